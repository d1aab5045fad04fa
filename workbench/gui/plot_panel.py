"""The live training plot: LR and losses on one plot, metrics below, x = step.

``refresh(history)`` is called by the window's ~30 Hz clock and reads only the
rows, events and epochs that are new since the last call, so a long run costs
the same per frame as a short one. Every column the step records gets a curve
(see ``plot_series``): a GAN's ``d_loss`` and ``g_loss`` each on the loss axis.
Every per-step curve downsamples ('peak') and clips to the view, which keeps
100k-step histories smooth.
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
from .plot_series import Palette, Series, axis_for, curve, make_series, points
from .schedule_preview import sample_steps
from .style import COLORS, configure_pyqtgraph

MARKED_EVENTS = {
    "pause": "paused", "schedule": "LR edit", "schedule_rejected": "edit rejected", "stop": "stop",
    "nan": "NaN loss", "rollback": "rollback",
}
# Where along the line each label sits, so labels at the same step do not overlap.
LABEL_POSITION = {"nan": 0.86, "rollback": 0.74}
# Shown in the legend before the first step of a built-in model.
BUILT_IN_COLUMNS = ("loss", "val_loss", "accuracy", "val_accuracy")


class TrainingPlot(QWidget):
    """Learning rate (left axis), loss (right axis) and metrics of a run, live."""

    def __init__(self, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.setObjectName("trainingPlot")
        self.columns = Columns(("step", "lr", "wall_time"))
        self.series: dict[str, Series] = {}  # column name -> its curves
        self._palette = Palette()
        self._val_points: dict[str, pg.PlotDataItem] = {}  # val_* name -> its per-epoch points
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
        self.metrics_plot.setLabel("left", "metrics")
        self.metrics_plot.getAxis("left").enableAutoSIPrefix(False)  # not "(x0.001)" for accuracies
        self.metrics_plot.setLabel("bottom", "step")
        self.metrics_plot.getAxis("right").setWidth(self.lr_plot.getAxis("right").width())
        self.metrics_plot.showAxis("right")
        self.metrics_plot.getAxis("right").setStyle(showValues=False)  # lines the x axes up
        self._graphics.ci.layout.setRowStretchFactor(0, 3)
        self._graphics.ci.layout.setRowStretchFactor(1, 2)
        self._add_curves()
        self._expect(BUILT_IN_COLUMNS)
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
        self.legend = self.lr_plot.addLegend(offset=(-10, 10), labelTextSize="9pt")
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 200))
        self.lr_curve = curve(self.lr_plot, COLORS["lr"], width=2, name="learning rate")
        self.lr_ahead = curve(self.lr_plot, COLORS["lr"], width=1.5, alpha=150, name="schedule ahead",
                              style=Qt.PenStyle.DashLine)
        self.metrics_legend = self.metrics_plot.addLegend(offset=(-10, -10), labelTextSize="9pt")
        self.metrics_legend.setBrush(pg.mkBrush(255, 255, 255, 200))

    # --- the curves of each recorded column ---

    def _ensure_series(self, names) -> None:
        """Curves for every plottable column in ``names`` that has none yet."""
        for name in names:
            axis = axis_for(name)
            if axis is None or name in self.series:
                continue
            target, legend = self._axis_target(axis)
            series = make_series(name, axis, self._palette.color(name, axis), target, legend)
            if axis == "loss":
                for item in series.items():
                    item.setLogMode(False, self.log_loss.isChecked())
            self.series[name] = series
            self._show_metrics_plot()

    def _expect(self, names) -> None:
        """Legend entries for columns a run will record, before it records them."""
        for name in names:
            if name.startswith("val_"):
                self._val_item(name)
            else:
                self._ensure_series([name])

    def _axis_target(self, axis: str):
        return {"loss": (self.loss_view, self.legend), "lr": (self.lr_plot, self.legend),
                "metrics": (self.metrics_plot, self.metrics_legend)}[axis]

    def _remove_series(self) -> None:
        for series in self.series.values():
            target, legend = self._axis_target(series.axis)
            legend.removeItem(series.line)
            for item in series.items():
                target.removeItem(item)
        for name, item in self._val_points.items():
            target, legend = self._axis_target("loss" if "loss" in name else "metrics")
            legend.removeItem(item)
            target.removeItem(item)
        self.series.clear()
        self._val_points.clear()
        self._palette.reset()
        self._show_metrics_plot()

    def _show_metrics_plot(self) -> None:
        """The metrics plot only when there are metrics (a GAN reports none): the LR plot gets the x axis."""
        shown = any(s.axis == "metrics" for s in self.series.values()) or any(
            "loss" not in name for name in self._val_points)
        if shown == self.metrics_plot.isVisible():
            return
        self.metrics_plot.setVisible(shown)
        self._graphics.ci.layout.setRowStretchFactor(1, 2 if shown else 0)
        self._graphics.ci.layout.setRowMaximumHeight(1, 1e6 if shown else 0)
        bottom = self.lr_plot.getAxis("bottom")
        bottom.setStyle(showValues=not shown)
        bottom.setLabel("" if shown else "step")

    def _val_item(self, name: str) -> pg.PlotDataItem:
        """Per-epoch points for a validation figure (``val_loss``, ``val_accuracy``…), made on first use."""
        item = self._val_points.get(name)
        if item is None:
            axis = "loss" if "loss" in name else "metrics"
            target, legend = self._axis_target(axis)
            trained = self.series.get(name[len("val_"):])
            color = COLORS.get(name) or (trained.color if trained else "#555555")
            item = points(target, color)
            if axis == "loss":
                item.setLogMode(False, self.log_loss.isChecked())
            legend.addItem(item, name.replace("_", " ", 1))
            self._val_points[name] = item
            self._show_metrics_plot()
        return item

    # Named curves of the built-in model (tests and the screenshot read them).
    @property
    def loss_curve(self):
        return self.series["loss"].line

    @property
    def loss_raw(self):
        return self.series["loss"].raw

    @property
    def accuracy_curve(self):
        return self.series["accuracy"].line

    @property
    def val_loss(self):
        return self._val_item("val_loss")

    @property
    def val_accuracy(self):
        return self._val_item("val_accuracy")

    # --- feeding it ---

    def reset(self, total_steps: int, expected=BUILT_IN_COLUMNS) -> None:
        """Forget the last run; show the plan for the next, with legend entries for ``expected`` columns."""
        self.columns.clear()
        self._remove_series()
        self._expect(expected)
        self._events_seen = self._epochs_seen = 0
        for plot, line in self._marker_items:
            plot.removeItem(line)
        self._marker_items.clear()
        self.markers.clear()
        self._total = int(total_steps)
        self.lr_curve.setData([], [])
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
            rows = history.snapshot(len(self.columns))
            # Only what is drawn (and wall_time, which tells a rewound history): no copy of 'epoch'.
            drawn = {k: v for k, v in rows.items() if k in ("step", "lr", "wall_time") or axis_for(k)}
            self.columns.extend(drawn, self._smoothing_weight())
            self._ensure_series(self.columns.names)
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
        for name, series in self.series.items():
            if name in c:
                series.draw(steps, c)

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
                                   labelOpts={"position": LABEL_POSITION.get(kind, 0.98), "color": COLORS[kind],
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
        names = sorted({k for e in epochs for k in e if k.startswith("val_")})
        for name in names:
            values = np.array([e.get(name, np.nan) for e in epochs], dtype=float)
            finite = np.isfinite(values)  # an all-NaN scatter has no bounds
            self._val_item(name).setData(ends[finite], values[finite])

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
        items = [i for s in self.series.values() if s.axis == "loss" for i in s.items()]
        items += [i for name, i in self._val_points.items() if "loss" in name]
        for item in items:
            item.setLogMode(False, on)

