"""A per-step line that hands pyqtgraph only what its view shows.

pyqtgraph's own ``clipToView`` and ``autoDownsample`` still keep the whole
dataset, map all of it on a log axis, and scan it for bounds and NaNs on every
change; at a million steps a pan costs half a second. ``DecimatedCurve`` keeps
references to the rows instead (history views, or a smoother's array) plus a
min/max envelope, and gives pyqtgraph the visible rows only — every row when
they fit, else a minimum and maximum per pixel column (``plot_data.decimate``)
— so each paint, pan or new frame costs O(pixels + new rows).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .plot_data import Envelope, decimate, visible_rows

DEFAULT_PIXELS = 1000  # before the view has a size


class DecimatedCurve(pg.PlotDataItem):
    """A line of ``values`` against ``steps`` (increasing), decimated to its view's pixels."""

    _values = None  # read by view callbacks that may come before __init__ has finished

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._steps: np.ndarray | None = None
        self._values: np.ndarray | None = None
        self._envelope = Envelope()
        self._shown: tuple | None = None  # (start, stop, pixels, rows) last handed to pyqtgraph

    def show_rows(self, steps: np.ndarray, values: np.ndarray) -> None:
        """Draw every row so far; the arrays are kept, not copied, and rows already seen must not change."""
        rows = min(len(steps), len(values))  # unequal only if a rollback cut the history between the reads
        steps, values = steps[:rows], values[:rows]
        self._envelope.update(values)
        self._steps, self._values = steps, values
        self._redraw()

    def forget(self) -> None:
        """Draw nothing (the rows were rewound, or a new run starts)."""
        self._envelope.clear()
        self._steps = self._values = None
        self._shown = None
        self.setData([], [])

    def getOriginalDataset(self):
        """All rows the line stands for (not only those drawn): (steps, values), or (None, None)."""
        if self._steps is None:  # fed by setData, as a plain PlotDataItem
            return super().getOriginalDataset()
        if not len(self._steps):
            return None, None
        return self._steps, self._values

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        # x: every row's step, so "fit all" and auto-range see the whole run while
        # only part of it is handed to pyqtgraph; y: what is drawn, as with clipToView.
        if ax == 0 and self._steps is not None and len(self._steps) and self._dataset is not None:
            return float(self._steps[0]), float(self._steps[-1])
        return super().dataBounds(ax, frac, orthoRange)

    def viewRangeChanged(self, vb=None, ranges=None, changed=None):
        x_changed = changed is None or changed[0]
        if x_changed:
            self._redraw()
        if x_changed or self._may_clip():
            # pyqtgraph re-hands the curve its data on every y change, to keep values far
            # outside the view from reaching Qt (dynamicRangeLimit). While a run grows the
            # y axis every frame, that is work for nothing unless some value is that far out.
            super().viewRangeChanged(vb, ranges, changed)

    def _may_clip(self) -> bool:
        """Whether pyqtgraph's dynamicRangeLimit cuts, or cut, the drawn values at this view's height."""
        view, limit, mapped = self._view_box(), self.opts["dynamicRangeLimit"], self._datasetMapped
        if view is None or limit is None or mapped is None:
            return False
        if self._drlLastClip != (0.0, 0.0):
            return True  # it cut once: let it see every change from now on
        rect, height = mapped.dataRect(), view.viewRect().height()
        return rect is not None and rect.height() > 2 * self.opts["dynamicRangeHyst"] * limit * height

    def viewTransformChanged(self):
        # Also sent for every y-range change; only a new width (a resize) matters here.
        view = self._view_box()
        if self._shown is not None and view is not None and int(view.width()) != self._shown[2]:
            self._redraw()
        super().viewTransformChanged()

    def itemChange(self, change, value):
        result = super().itemChange(change, value)
        if change == self.GraphicsItemChange.ItemVisibleHasChanged and value:
            self._redraw()  # rows that came while it was hidden
        return result

    def _redraw(self) -> bool:
        """Hand pyqtgraph the rows the view shows, unless it has them already; True if it did."""
        if self._values is None or not self.isVisible():
            return False  # a hidden line (legend click) is brought up to date when shown
        window = self._window()
        if window == self._shown:
            return False
        self._shown = window
        start, stop, pixels, _rows = window
        self.setData(*decimate(self._steps, self._values, self._envelope, start, stop, pixels))
        return True

    def _view_box(self) -> pg.ViewBox | None:
        view = self.getViewBox()  # the GraphicsView itself for an item outside any ViewBox
        return view if isinstance(view, pg.ViewBox) else None

    def _window(self) -> tuple[int, int, int, int]:
        rows = len(self._values)
        view = self._view_box()
        if view is None:
            return 0, rows, DEFAULT_PIXELS, rows
        pixels = int(view.width()) or DEFAULT_PIXELS
        if view.autoRangeEnabled()[0]:
            return 0, rows, pixels, rows
        left, right = view.viewRange()[0]
        start, stop = visible_rows(self._steps[:rows], left, right)
        return start, stop, pixels, rows
