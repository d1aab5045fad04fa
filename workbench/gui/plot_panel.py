"""The live training plot: LR and losses on one plot, metrics below, x = step.

``refresh(history)`` is called by the window's ~22 Hz clock and reads only the
rows, events and epochs that are new since the last call, so a long run costs
the same per frame as a short one. Every column the step records gets a curve
(see ``plot_series``): a GAN's ``d_loss`` and ``g_loss`` each on the loss axis.
The curves read the history's columns in place (views, no copies); only the
smoothed lines keep float32 arrays of their own. Each curve hands pyqtgraph
just the rows its view shows, min/max-decimated to the pixels
(``plot_curve``), so a million-step run pans as fast as a short one. While a
run grows, one ``LiveLayer`` per view paints its curves from an image and adds
only the new rows' segments each frame; the y ranges are sticky and x follows
the planned length, so axes, grid and image stay valid between frames.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from workbench.figures import add_right_view

from .plot_curve import LiveLayer, RangePacer
from .plot_live import LiveView
from .plot_paint import clipped_axes, clipped_legend
from .panels import BUILT_IN_COLUMNS
from .plot_series import Palette, ScheduleAhead, Series, axis_for, curve, make_series, points
from .style import COLORS, configure_pyqtgraph

MARKED_EVENTS = {
    "pause": "paused", "schedule": "LR edit", "schedule_rejected": "edit rejected", "stop": "stop",
    "nan": "NaN loss", "rollback": "rollback",
}
# Where along the line each label sits, so labels at the same step do not overlap.
LABEL_POSITION = {"nan": 0.86, "rollback": 0.74}
# While a run grows, new validation points join at most this often (each repaints the points' items whole).
VALIDATION_EVERY_S = 1.0
AXIS_WIDTHS = {"left": 64, "right": 56}  # pixels: room for "0.0001" and the axis title


class TrainingPlot(QWidget):
    """Learning rate (left axis), loss (right axis) and metrics of a run, live."""

    def __init__(self, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.setObjectName("trainingPlot")
        self._history = None  # the history drawn from (views of its columns are drawn)
        self._rows = 0  # its rows drawn so far
        self._columns_seen = 0  # its columns given curves so far (they only come)
        self._last_step, self._last_wall = -1, np.nan  # of the last row drawn: tell a rewound history
        self.series: dict[str, Series] = {}  # column name -> its curves
        self._palette = Palette()
        self._val_points: dict[str, pg.PlotDataItem] = {}  # val_* name -> its per-epoch points
        self.markers: list[tuple[int, str]] = []  # (step, event kind) drawn so far
        self._events_seen = self._epochs_seen = 0
        self._epochs_drawn_at = -math.inf  # when validation points were last added (the pacer's clock)
        self._val_names: set[str] = set()  # val_* columns in the epochs seen
        self._marker_items: list[tuple] = []  # (plot, InfiniteLine)
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
        self._graphics = LiveView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self._graphics, 1)
        self.smoothing.valueChanged.connect(self._on_smoothing_changed)
        self.log_lr.toggled.connect(self._on_log_lr_toggled)
        self.log_loss.toggled.connect(self._on_log_loss_toggled)
        self._show_smoothing()

    def _build_plots(self):
        self.lr_plot = self._graphics.addPlot(row=0, col=0, axisItems=clipped_axes("left", "bottom", "right"))
        self.lr_plot.setLogMode(y=True)
        self.lr_plot.showGrid(x=True, y=True, alpha=0.2)
        self.lr_plot.setLabel("left", "learning rate", color=COLORS["lr"])
        self.lr_plot.getAxis("left").enableAutoSIPrefix(False)  # "(x0.001)" on a log axis misleads
        self.lr_plot.getAxis("bottom").setStyle(showValues=False)  # the metrics plot below has them
        self._add_loss_view()
        self.metrics_plot = self._graphics.addPlot(row=1, col=0, axisItems=clipped_axes("left", "bottom", "right"))
        self.metrics_plot.setXLink(self.lr_plot)
        self.metrics_plot.showGrid(x=True, y=True, alpha=0.2)
        self.metrics_plot.setLabel("left", "metrics")
        self.metrics_plot.getAxis("left").enableAutoSIPrefix(False)  # not "(x0.001)" for accuracies
        self.metrics_plot.setLabel("bottom", "step")
        self.metrics_plot.showAxis("right")
        self.metrics_plot.getAxis("right").setStyle(showValues=False)  # lines the x axes up
        # Nor an SI prefix on the right axes: it would also re-typeset their labels on every frame.
        self.metrics_plot.getAxis("right").enableAutoSIPrefix(False)
        # Fixed widths line the two plots' x axes up, and keep tick labels that widen or narrow as a
        # range moves from re-laying out the plots (which moves the linked x ranges: a full redraw).
        for plot in (self.lr_plot, self.metrics_plot):
            for side, width in AXIS_WIDTHS.items():
                plot.getAxis(side).setWidth(width)
        self._graphics.ci.layout.setRowStretchFactor(0, 3)
        self._graphics.ci.layout.setRowStretchFactor(1, 2)
        # Before the curves, so the markers and validation points added later paint above them.
        self._pacer = RangePacer()  # the three views move their ranges in the same frames
        self.layers = {"lr": LiveLayer(self.lr_plot.getViewBox(), self._pacer),
                       "loss": LiveLayer(self.loss_view, self._pacer),
                       "metrics": LiveLayer(self.metrics_plot.getViewBox(), self._pacer)}
        for layer in self.layers.values():
            self._graphics.add_layer(layer)
        self._graphics.obstacles = self._items_above_layers
        self._add_curves()
        self._expect(BUILT_IN_COLUMNS)
        self._apply_loss_log_mode()

    def _add_loss_view(self):
        """A second ViewBox for loss on the right axis, sharing the LR plot's x."""
        self.loss_view = add_right_view(self.lr_plot, "loss", color=COLORS["loss"])
        self.lr_plot.getAxis("right").enableAutoSIPrefix(False)  # "(x1e-06)" misleads, as on the LR axis

    def _add_curves(self):
        self.legend = clipped_legend(self.lr_plot, offset=(-10, 10), labelTextSize="9pt")
        self.legend.setBrush(pg.mkBrush(255, 255, 255))  # opaque: a live frame leaves it alone
        self.lr_curve = curve(self.lr_plot, COLORS["lr"], width=2, name="learning rate")
        self.layers["lr"].add(self.lr_curve)
        self.lr_ahead = curve(self.lr_plot, COLORS["lr"], width=1.5, alpha=150, name="schedule ahead",
                              style=Qt.PenStyle.DashLine)
        self.lr_ahead.setZValue(-1)  # under the run's line, which covers it up to the step it was cut at
        self.ahead = ScheduleAhead(self.lr_ahead)
        self.metrics_legend = clipped_legend(self.metrics_plot, offset=(-10, -10), labelTextSize="9pt")
        self.metrics_legend.setBrush(pg.mkBrush(255, 255, 255))

    def _items_above_layers(self) -> list:
        """What paints above the curves' layers: a live frame whose new rows cross one paints the scene."""
        items = [self.legend, self.metrics_legend]
        for _, line in self._marker_items:
            label = getattr(line, "label", None)  # a child with bounds of its own (the metrics plot's have none)
            items += [line, label] if label is not None else [line]
        for item in self._val_points.values():
            items += [item.curve, item.scatter]  # a PlotDataItem's own bounds are empty
        return items

    # --- the curves of each recorded column ---

    def _ensure_series(self, names) -> None:
        """Curves for every plottable column in ``names`` that has none yet."""
        for name in names:
            axis = axis_for(name)
            if axis is None or name in self.series:
                continue
            target, legend = self._axis_target(axis)
            series = make_series(name, axis, self._palette.color(name, axis), target, legend)
            for item in series.items():
                if axis == "loss":
                    item.setLogMode(False, self.log_loss.isChecked())
                self.layers[axis].add(item)
            series.line.visibleChanged.connect(lambda series=series: self._catch_up(series))
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
                self.layers[series.axis].remove(item)
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
        self._forget_rows()
        self._history = None
        self._remove_series()
        self._expect(expected)
        self._events_seen = self._epochs_seen = 0
        self._epochs_drawn_at = -math.inf  # when validation points were last added (the pacer's clock)
        self._val_names = set()
        for plot, line in self._marker_items:
            plot.removeItem(line)
        self._marker_items.clear()
        self.markers.clear()
        self._total = int(total_steps)
        self._set_plan_end(running=True)
        self._draw_ahead(running=True)
        self.fit_all()

    def set_schedule(self, family: str, params: dict, total_steps: int | None = None) -> None:
        """The schedule the rest of the run follows (drawn dashed ahead of the current step)."""
        self.ahead.set_schedule(family, params)
        if total_steps is not None:
            self._total = int(total_steps)
        self._draw_ahead(running=True)

    def refresh(self, history, total_steps: int | None = None, running: bool = True) -> None:
        """Draw what is new in ``history`` since the last call."""
        if total_steps:
            self._total = int(total_steps)
        if history is not self._history or self._history_rewound(history):
            self._forget_rows()  # another run's history, or a rollback cut this one: read it again
            self._history = history
        self._set_plan_end(running)
        self._pacer.begin_frame(running)
        rows = len(history)
        new_rows = rows > self._rows
        if new_rows:
            for layer in self.layers.values():
                layer.begin_rows()
            try:
                self._draw_rows(rows)
            finally:
                for layer in self.layers.values():
                    layer.end_rows()  # one strip per view, mapped to its pixels once a frame
        elif self._pacer.open:
            for layer in self.layers.values():
                layer.catch_up_ranges()  # moves put off while rows came (a run ended, or paused)
        self._draw_events(history.events)
        self._draw_epochs(history.epochs, running)
        if new_rows or not running:
            self._draw_ahead(running)
        if self._pacer.moved_now:
            # The views' new ranges now, not as the next paint begins: the axes they re-tick are then
            # repainted in that same paint, not in a second one right after it.
            self._graphics.scene().prepareForPaint()

    def _set_plan_end(self, running: bool) -> None:
        """While a run goes on, x holds its whole plan; once it is over, the rows."""
        for layer in self.layers.values():
            layer.set_plan_end(self._total - 1 if running and self._total else 0)

    def _history_rewound(self, history) -> bool:
        """True when rows already drawn are no longer the history's (it was truncated)."""
        if not self._rows:
            return False
        if len(history) < self._rows:
            return True
        # Replayed rows repeat their step numbers but not their wall times.
        last = history.view("wall_time", self._rows - 1, self._rows)
        if last is None or len(last) != 1:
            return False
        wall = float(last[0])
        return wall != self._last_wall and not (wall != wall and self._last_wall != self._last_wall)  # NaN = NaN

    def _forget_rows(self) -> None:
        self._rows, self._last_step, self._last_wall = 0, -1, np.nan
        self._columns_seen = 0
        self.lr_curve.forget()
        for series in self.series.values():
            series.forget()

    def _draw_rows(self, rows: int) -> None:
        """Hand every curve the first ``rows`` rows; each works out what is new to it."""
        history = self._history
        steps = history.view("step", 0, rows)
        if steps is None or not len(steps):
            return
        rows = len(steps)
        if history.column_count != self._columns_seen:
            self._ensure_series(history.columns)
            self._columns_seen = history.column_count
        lr = history.view("lr", 0, rows)
        if lr is not None:
            self.lr_curve.show_rows(steps, lr)
        weight = self._smoothing_weight()
        for series in self.series.values():
            if series.line.isVisible():  # a hidden one (legend click) catches up when shown
                self._draw_series(series, steps, weight)
        wall = history.view("wall_time", rows - 1, rows)
        self._rows, self._last_step = rows, int(steps[-1])
        self._last_wall = float(wall[0]) if wall is not None and len(wall) else np.nan

    def _draw_series(self, series: Series, steps: np.ndarray, weight: float) -> None:
        values = self._history.view(series.name, 0, len(steps))
        if values is not None:
            series.draw(steps, values, weight)

    def _catch_up(self, series: Series) -> None:
        """A line shown again from the legend: the rows that came while it was hidden."""
        if series.line.isVisible() and self._history is not None and self._rows:
            steps = self._history.view("step", 0, self._rows)
            if steps is not None and len(steps):
                self._draw_series(series, steps, self._smoothing_weight())

    def _draw_ahead(self, running: bool):
        if running:
            self.ahead.draw(self._last_step + 1 if self._rows else 0, self._total,
                            whole_repaint=self._pacer.moved_now, covered=self.lr_curve.isVisible())
        else:
            self.ahead.clear()

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

    def _draw_epochs(self, epochs: list, running: bool):
        """New validation points. They repaint their items' whole bounds through the scene: while a run
        grows, once a second at most, or with a range move (which repaints it all anyway)."""
        if len(epochs) == self._epochs_seen or (running and not self._pacer.moved_now
                                                and self._pacer.now - self._epochs_drawn_at < VALIDATION_EVERY_S):
            return
        self._epochs_drawn_at = self._pacer.now
        # The names in the new epochs only: a long run's every epoch would be read again at each one.
        self._val_names.update(k for e in epochs[self._epochs_seen:] for k in e if k.startswith("val_"))
        self._epochs_seen = len(epochs)
        ends = np.cumsum([e.get("steps", 0) for e in epochs]) - 1  # last step of each epoch
        for name in sorted(self._val_names):
            values = np.array([e.get(name, np.nan) for e in epochs], dtype=float)
            finite = np.isfinite(values)  # an all-NaN scatter has no bounds
            self._val_item(name).setData(ends[finite], values[finite])

    # --- view ---

    def link_log_lr_action(self, action: QAction) -> None:
        """Keep a checkable action (the View menu's) in step with the Log LR box, both ways."""
        action.setChecked(self.log_lr.isChecked())
        action.toggled.connect(self.log_lr.setChecked)
        self.log_lr.toggled.connect(action.setChecked)
        action.setEnabled(True)

    def fit_all(self) -> None:
        """Every view back to showing all it has. x is auto-ranged on the LR plot alone and the
        linked views follow it: linked views auto-ranging x too would set it back and forth."""
        self.lr_plot.enableAutoRange()
        for view in (self.loss_view, self.metrics_plot.getViewBox()):
            view.enableAutoRange(x=False, y=True)

    # --- handlers ---

    def _smoothing_weight(self) -> float:
        return self.smoothing.value() / 100.0

    def _show_smoothing(self):
        self._smoothing_label.setText(f"{self._smoothing_weight():.2f}")

    def _on_smoothing_changed(self, _value):
        self._show_smoothing()
        if self._history is not None and self._rows:
            self._draw_rows(self._rows)  # the smoothed lines see the new weight and start over

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

