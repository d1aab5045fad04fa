"""Which axis each recorded column goes on, in which colour, and the curves that draw it.

Everything a train step returns is plotted: a name with ``loss`` in it on the
loss axis (right of the LR plot), a learning rate (``*lr``) on the LR axis,
anything else in the metrics plot. Each loss or metric gets a faint raw line
and a smoothed line in one colour, with one legend entry; clicking the entry
hides both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from workbench.core import schedule_math

from .plot_curve import DecimatedCurve
from .plot_data import Smoother
from .schedule_preview import sample_steps
from .style import COLORS

NOT_PLOTTED = ("step", "epoch", "wall_time")
# The built-in step's diagnostics: recorded and plotted, but hidden until their legend entry is clicked
# (their scale would flatten the accuracy curve).
HIDDEN_AT_FIRST = ("grad_norm", "l2_penalty")
LOSS_PALETTE = ("#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#5d4037", "#283593")
METRIC_PALETTE = ("#00695c", "#c62828", "#283593", "#8d6e63", "#9e9d24", "#0277bd")
LR_PALETTE = ("#64b5f6", "#26a69a", "#9575cd", "#4dd0e1")


def axis_for(name: str) -> str | None:
    """'loss', 'lr' or 'metrics' for a history column; None for counters and clocks."""
    if name in NOT_PLOTTED or name == "lr":
        return None
    if "loss" in name:
        return "loss"
    if name.endswith("lr"):
        return "lr"
    return "metrics"


class Palette:
    """Fixed colours for the familiar names, then the next unused colour of the axis' palette."""

    def __init__(self):
        self._used = {"loss": 0, "metrics": 0, "lr": 0}

    def reset(self) -> None:
        self._used = dict.fromkeys(self._used, 0)

    def color(self, name: str, axis: str) -> str:
        if name in ("loss", "accuracy"):
            return COLORS[name]
        palette = {"loss": LOSS_PALETTE, "metrics": METRIC_PALETTE, "lr": LR_PALETTE}[axis]
        color = palette[self._used[axis] % len(palette)]
        self._used[axis] += 1
        return color


def curve(target, color, width=1.5, alpha=255, name=None, style=Qt.PenStyle.SolidLine) -> DecimatedCurve:
    """A per-step line, handed to pyqtgraph decimated to what its view shows, so long runs stay fast."""
    color = pg.mkColor(color)
    color.setAlpha(alpha)
    item = DecimatedCurve(pen=pg.mkPen(color, width=width, style=style), name=name)
    target.addItem(item)
    return item


def points(target, color, name=None):
    item = pg.PlotDataItem(pen=pg.mkPen(color, width=1), symbol="o", symbolSize=6,
                           symbolBrush=color, symbolPen=None, name=name)
    target.addItem(item)
    return item


@dataclass
class Series:
    """The items that draw one column: a smoothed line (in the legend) and, for losses and metrics, a raw one."""

    name: str
    axis: str
    color: str
    line: DecimatedCurve
    raw: DecimatedCurve | None = None
    smoother: Smoother = field(default_factory=Smoother)

    def items(self) -> list:
        return [i for i in (self.line, self.raw) if i is not None]

    def draw(self, steps: np.ndarray, values: np.ndarray, weight: float) -> None:
        """Draw every row so far: ``values`` is the whole column (a history view), ``steps`` its steps."""
        if self.raw is None:
            self.line.show_rows(steps, values)
        else:
            if weight != self.smoother.weight:
                self.line.forget()  # every smoothed row changes
            self.raw.show_rows(steps, values)
            self.line.show_rows(steps, self.smoother.extend(values, weight))

    def forget(self) -> None:
        """Drop what was drawn: the history was rewound, or the smoothing changed."""
        self.smoother.clear()
        for item in self.items():
            item.forget()


def make_series(name: str, axis: str, color: str, target, legend) -> Series:
    """Curves for ``name`` on ``target`` (a plot or view box), with a legend entry."""
    if axis == "lr":
        line = curve(target, color, width=1.2, style=Qt.PenStyle.DotLine)
        line.setZValue(-1)  # under the run's own LR line, which it usually equals
        series = Series(name, axis, color, line)
        legend.addItem(line, name)
        return series
    raw = curve(target, color, width=1, alpha=55)
    line = curve(target, color, width=2)
    series = Series(name, axis, color, line, raw)
    legend.addItem(line, f"{name} (smoothed)")
    # The legend toggles the smoothed line; the raw one follows it.
    line.visibleChanged.connect(lambda: raw.setVisible(line.isVisible()))
    if name in HIDDEN_AT_FIRST:
        line.setVisible(False)
    return series


class ScheduleAhead:
    """The dashed rest of the planned schedule, from the run's next step to the end of the plan.

    Sampled once per schedule and plan length, not per frame. The run's own
    line is drawn over the part it has passed, so what is behind is cut off
    only in frames that repaint the view whole anyway (``whole_repaint``: a
    range moved) rather than the line, and the whole view, being redrawn as
    the run moves on; while the run's line is hidden, each tenth of the plan.
    """

    def __init__(self, item: pg.PlotDataItem):
        self.item = item
        self._schedule: tuple[str, dict] | None = None
        self._plan: tuple | None = None  # (total steps, x, lr)
        self._cut: tuple[int, int] | None = None  # (start, total) last drawn

    def set_schedule(self, family: str, params: dict) -> None:
        self._schedule, self._plan, self._cut = (family, dict(params)), None, None

    def draw(self, start: int, total: int, whole_repaint: bool = True, covered: bool = True) -> None:
        """Steps ``start`` to ``total`` - 1, absolute, so the drops land where the run will meet them.

        Cut there only if ``whole_repaint`` (the view repaints whole in this frame), or the run's
        line does not cover it (``covered``) and a tenth of the plan has gone by, or the plan changed.
        """
        if self._schedule is None or not 0 <= start < total:
            self.clear()
            return
        if self._cut is not None and self._cut[1] == total and start >= self._cut[0] and not whole_repaint \
                and (covered or start - self._cut[0] < max(total // 10, 1)):
            return
        self._cut = (start, total)
        family, params = self._schedule
        x, lr = self._planned(total)
        ahead = int(np.searchsorted(x, start, side="right"))
        self.item.setData(np.concatenate([[start], x[ahead:]]),
                          np.concatenate([schedule_math.preview(family, params, [start]), lr[ahead:]]))

    def clear(self) -> None:
        self._cut = None
        self.item.setData([], [])

    def _planned(self, total: int) -> tuple[np.ndarray, np.ndarray]:
        if self._plan is None or self._plan[0] != total:
            family, params = self._schedule
            x = sample_steps(family, params, total)
            self._plan = (total, x, schedule_math.preview(family, params, x))
        return self._plan[1], self._plan[2]
