"""The live training plot: LR and loss on one plot, metrics below, x = step.

``refresh(history)`` is called by the window's ~30 Hz clock and reads only the
rows, events and epochs that are new since the last call, so a long run costs
the same per frame as a short one. Every per-step curve downsamples ('peak')
and clips to the view, which keeps 100k-step histories smooth.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from workbench.core import schedule_math

from .plot_data import Columns
from .schedule_preview import sample_steps
from .style import COLORS, configure_pyqtgraph

MARKED_EVENTS = {
    "pause": "paused", "schedule": "LR edit", "schedule_rejected": "edit rejected", "stop": "stop",
    "nan": "NaN loss", "rollback": "rollback",
}


def _curve(target, color, width=1.5, alpha=255, name=None, style=Qt.PenStyle.SolidLine):
    """A per-step line: downsampled by peaks and clipped to the view, so long runs stay fast."""
    color = pg.mkColor(color)
    color.setAlpha(alpha)
    item = pg.PlotDataItem(pen=pg.mkPen(color, width=width, style=style), name=name)
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
    target.addItem(item)
    return item


def _points(plot_or_view, color, name):
    item = pg.PlotDataItem(pen=pg.mkPen(color, width=1), symbol="o", symbolSize=6,
                           symbolBrush=color, symbolPen=None, name=name)
    plot_or_view.addItem(item)
    return item


class TrainingPlot(QWidget):
    """Learning rate (left axis), loss (right axis) and metrics of a run, live."""

    def __init__(self, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.setObjectName("trainingPlot")
        self.columns = Columns(("step", "lr", "loss", "accuracy", "wall_time"))
        self.markers: list[tuple[int, str]] = []  # (step, event kind) drawn so far
        self._events_seen = self._epochs_seen = 0
        self._marker_items: list[tuple] = []  # (plot, InfiniteLine)
        self._schedule: tuple[str, dict] | None = None
        self._total = 0
        self._build_controls()
        self._build_plots()

    # --- building ---

    def _build_controls(self):
        self.smoothing = QSlider(Qt.Orientation.Horizontal, objectName="smoothingSlider")
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(80)
        self.smoothing.setMinimumWidth(120)
        self.smoothing.setMaximumWidth(200)
        self._smoothing_label = QLabel()
        self.log_lr = QCheckBox("Log LR axis", objectName="logLrCheck")
        self.log_lr.setChecked(True)
        self.log_loss = QCheckBox("Log loss axis", objectName="logLossCheck")
        self.log_loss.setChecked(True)  # the tail of the loss, where LR drops show, needs it
        row = QHBoxLayout()
        for widget in (QLabel("Smoothing"), self.smoothing, self._smoothing_label):
            row.addWidget(widget)
        row.addSpacing(16)
        row.addWidget(self.log_lr)
        row.addWidget(self.log_loss)
        row.addStretch(1)
        self._graphics = pg.GraphicsLayoutWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self._graphics, 1)
        self.smoothing.valueChanged.connect(self._on_smoothing_changed)
        self.log_lr.toggled.connect(self._on_log_lr_toggled)
        self.log_loss.toggled.connect(self._on_log_loss_toggled)
        self._show_smoothing()

    def _build_plots(self):
        self.lr_plot = self._graphics.addPlot(row=0, col=0)
        self.lr_plot.setLogMode(y=True)
        self.lr_plot.showGrid(x=True, y=True, alpha=0.2)
        self.lr_plot.setLabel("left", "learning rate", color=COLORS["lr"])
        self.lr_plot.getAxis("left").enableAutoSIPrefix(False)  # "(x0.001)" on a log axis misleads
        self.lr_plot.getAxis("bottom").setStyle(showValues=False)  # the metrics plot below has them
        self._add_loss_view()
        self.metrics_plot = self._graphics.addPlot(row=1, col=0)
        self.metrics_plot.setXLink(self.lr_plot)
        self.metrics_plot.showGrid(x=True, y=True, alpha=0.2)
        self.metrics_plot.setLabel("left", "accuracy")
        self.metrics_plot.setLabel("bottom", "step")
        self.metrics_plot.getAxis("right").setWidth(self.lr_plot.getAxis("right").width())
        self.metrics_plot.showAxis("right")
        self.metrics_plot.getAxis("right").setStyle(showValues=False)  # lines the x axes up
        self._graphics.ci.layout.setRowStretchFactor(0, 3)
        self._graphics.ci.layout.setRowStretchFactor(1, 2)
        self._add_curves()
        self._apply_loss_log_mode()

    def _add_loss_view(self):
        """A second ViewBox for loss on the right axis, sharing the LR plot's x."""
        self.loss_view = pg.ViewBox()
        self.lr_plot.showAxis("right")
        self.lr_plot.scene().addItem(self.loss_view)
        self.lr_plot.getAxis("right").linkToView(self.loss_view)
        self.lr_plot.getAxis("right").setLabel("loss", color=COLORS["loss"])
        self.loss_view.setXLink(self.lr_plot)
        self.lr_plot.vb.sigResized.connect(self._on_lr_view_resized)

    def _add_curves(self):
        legend = self.lr_plot.addLegend(offset=(-10, 10), labelTextSize="9pt")
        legend.setBrush(pg.mkBrush(255, 255, 255, 200))
        self.lr_curve = _curve(self.lr_plot, COLORS["lr"], width=2, name="learning rate")
        self.lr_ahead = _curve(self.lr_plot, COLORS["lr"], width=1.5, alpha=150, name="schedule ahead",
                               style=Qt.PenStyle.DashLine)
        self.loss_raw = _curve(self.loss_view, COLORS["loss"], width=1, alpha=55)
        self.loss_curve = _curve(self.loss_view, COLORS["loss"], width=2)
        self.val_loss = _points(self.loss_view, COLORS["val_loss"], "val_loss")
        for item, name in ((self.loss_curve, "loss (smoothed)"), (self.val_loss, "val loss")):
            legend.addItem(item, name)
        metrics_legend = self.metrics_plot.addLegend(offset=(-10, -10), labelTextSize="9pt")
        metrics_legend.setBrush(pg.mkBrush(255, 255, 255, 200))
        self.accuracy_raw = _curve(self.metrics_plot, COLORS["accuracy"], width=1, alpha=55)
        self.accuracy_curve = _curve(self.metrics_plot, COLORS["accuracy"], width=2, name="accuracy (smoothed)")
        self.val_accuracy = _points(self.metrics_plot, COLORS["val_accuracy"], "val accuracy")

    # --- feeding it ---

    def reset(self, total_steps: int) -> None:
        """Forget the last run; show the plan for the next."""
        self.columns.clear()
        self._events_seen = self._epochs_seen = 0
        for plot, line in self._marker_items:
            plot.removeItem(line)
        self._marker_items.clear()
        self.markers.clear()
        self._total = int(total_steps)
        for item in (self.lr_curve, self.loss_raw, self.loss_curve, self.accuracy_raw,
                     self.accuracy_curve, self.val_loss, self.val_accuracy):
            item.setData([], [])
        self._draw_ahead(running=True)
        self.lr_plot.enableAutoRange()
        self.loss_view.enableAutoRange()

    def set_schedule(self, family: str, params: dict, total_steps: int | None = None) -> None:
        """The schedule the rest of the run follows (drawn dashed ahead of the current step)."""
        self._schedule = (family, dict(params))
        if total_steps is not None:
            self._total = int(total_steps)
        self._draw_ahead(running=True)

    def refresh(self, history, total_steps: int | None = None, running: bool = True) -> None:
        """Draw what is new in ``history`` since the last call."""
        if total_steps:
            self._total = int(total_steps)
        if self._history_rewound(history):
            self.columns.clear()  # a rollback cut the history: read it again
        new_rows = len(history) > len(self.columns)
        if new_rows:
            self.columns.extend(history.snapshot(len(self.columns)), self._smoothing_weight())
            self._draw_rows()
        self._draw_events(history.events)
        self._draw_epochs(history.epochs)
        if new_rows or not running:
            self._draw_ahead(running)

    def _history_rewound(self, history) -> bool:
        """True when rows already drawn are no longer the history's (it was truncated)."""
        drawn = len(self.columns)
        if not drawn:
            return False
        if len(history) < drawn:
            return True
        # Replayed rows repeat their step numbers but not their wall times.
        last = history.column("wall_time", drawn - 1, drawn)
        return len(last) == 1 and not np.array_equal(last, self.columns["wall_time"][-1:], equal_nan=True)

    def _draw_rows(self):
        c = self.columns
        steps = c["step"]
        self.lr_curve.setData(steps, c["lr"])
        self.loss_raw.setData(steps, c["loss"])
        self.loss_curve.setData(steps, c.smoothed("loss"))
        self.accuracy_raw.setData(steps, c["accuracy"])
        self.accuracy_curve.setData(steps, c.smoothed("accuracy"))

    def _draw_ahead(self, running: bool):
        if not running or self._schedule is None or self._total <= 0:
            self.lr_ahead.setData([], [])
            return
        family, params = self._schedule
        start = int(self.columns["step"][-1]) + 1 if len(self.columns) else 0
        if start >= self._total:
            self.lr_ahead.setData([], [])
            return
        # Absolute steps, so the drops land where the run will meet them.
        x = sample_steps(family, params, self._total)
        x = np.concatenate([[start], x[x > start]])
        self.lr_ahead.setData(x, schedule_math.preview(family, params, x))

    def _draw_events(self, events: list):
        for event in events[self._events_seen:]:
            self._add_marker(event["step"], event["kind"])
        self._events_seen = len(events)

    def _add_marker(self, step: int, kind: str):
        if kind not in MARKED_EVENTS:
            return
        if kind == "pause" and any(k == "pause" and step - s <= 1 for s, k in self.markers[-4:]):
            return  # single-stepping pauses every batch: one marker for the stretch
        self.markers.append((step, kind))
        for plot, label in ((self.lr_plot, MARKED_EVENTS[kind]), (self.metrics_plot, None)):
            line = pg.InfiniteLine(step, angle=90, pen=self._marker_pen(kind), label=label,
                                   labelOpts={"position": 0.98, "color": COLORS[kind],
                                              "fill": (255, 255, 255, 170), "anchors": [(0, 0), (0, 0)]})
            plot.addItem(line, ignoreBounds=True)
            self._marker_items.append((plot, line))

    @staticmethod
    def _marker_pen(kind: str):
        style = Qt.PenStyle.DashLine if kind == "pause" else Qt.PenStyle.SolidLine
        return pg.mkPen(COLORS[kind], width=1.5, style=style)

    def _draw_epochs(self, epochs: list):
        if len(epochs) == self._epochs_seen:
            return
        self._epochs_seen = len(epochs)
        ends = np.cumsum([e.get("steps", 0) for e in epochs]) - 1  # last step of each epoch
        for item, key in ((self.val_loss, "val_loss"), (self.val_accuracy, "val_accuracy")):
            values = np.array([e.get(key, np.nan) for e in epochs], dtype=float)
            item.setData(ends, values)

    # --- view ---

    def log_lr_action(self) -> QAction:
        """A checkable action (for the View menu) kept in step with the Log LR box."""
        action = QAction("&Log LR axis", self)
        action.setCheckable(True)
        action.setChecked(self.log_lr.isChecked())
        action.toggled.connect(self.log_lr.setChecked)
        self.log_lr.toggled.connect(action.setChecked)
        return action

    def fit_all(self) -> None:
        for view in (self.lr_plot, self.loss_view, self.metrics_plot):
            view.enableAutoRange()

    # --- handlers ---

    def _on_lr_view_resized(self):
        # The loss ViewBox floats over the LR plot's ViewBox: keep them the same size.
        # While the window is torn down the scene may have deleted it already, and
        # an exception raised inside a Qt virtual crashes shiboken 6.12.
        if not (shiboken6.isValid(self.loss_view) and shiboken6.isValid(self.lr_plot.vb)):
            return
        self.loss_view.setGeometry(self.lr_plot.vb.sceneBoundingRect())
        self.loss_view.linkedViewChanged(self.lr_plot.vb, self.loss_view.XAxis)

    def _smoothing_weight(self) -> float:
        return self.smoothing.value() / 100.0

    def _show_smoothing(self):
        self._smoothing_label.setText(f"{self._smoothing_weight():.2f}")

    def _on_smoothing_changed(self, _value):
        self._show_smoothing()
        self.columns.resmooth(self._smoothing_weight())
        if len(self.columns):
            self._draw_rows()

    def _on_log_lr_toggled(self, on: bool):
        self.lr_plot.setLogMode(y=on)
        self._apply_loss_log_mode()  # PlotItem.setLogMode also switched the loss axis
        self.lr_plot.enableAutoRange(y=True)

    def _on_log_loss_toggled(self, _on: bool):
        self._apply_loss_log_mode()
        self.loss_view.enableAutoRange(y=True)

    def _apply_loss_log_mode(self):
        on = self.log_loss.isChecked()
        self.lr_plot.getAxis("right").setLogMode(y=on)
        for item in (self.loss_raw, self.loss_curve, self.val_loss):
            item.setLogMode(False, on)

