"""Which axis each recorded column goes on, in which colour, and the curves that draw it.

Everything a train step returns is plotted: a name with ``loss`` in it on the
loss axis (right of the LR plot), a learning rate (``*lr``) on the LR axis,
anything else in the metrics plot. Each loss or metric gets a faint raw line
and a smoothed line in one colour, with one legend entry; clicking the entry
hides both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

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


def curve(target, color, width=1.5, alpha=255, name=None, style=Qt.PenStyle.SolidLine):
    """A per-step line: downsampled by peaks and clipped to the view, so long runs stay fast."""
    color = pg.mkColor(color)
    color.setAlpha(alpha)
    item = pg.PlotDataItem(pen=pg.mkPen(color, width=width, style=style), name=name)
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
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
    line: pg.PlotDataItem
    raw: pg.PlotDataItem | None = None

    def items(self) -> list:
        return [i for i in (self.line, self.raw) if i is not None]

    def draw(self, steps: np.ndarray, columns) -> None:
        if self.raw is None:
            self.line.setData(steps, columns[self.name])
        else:
            self.raw.setData(steps, columns[self.name])
            self.line.setData(steps, columns.smoothed(self.name))


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
