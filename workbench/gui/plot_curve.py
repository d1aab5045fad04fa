"""A per-step line that hands pyqtgraph only what its view shows.

pyqtgraph's own ``clipToView`` and ``autoDownsample`` still keep the whole
dataset, map all of it on a log axis, and scan it for bounds and NaNs on every
change; at a million steps a pan costs half a second. ``DecimatedCurve`` keeps
references to the rows instead (history views, or a smoother's array) plus a
min/max envelope, and gives pyqtgraph the visible rows only — every row when
they fit, else a minimum and maximum per pixel column (``plot_data.decimate``)
— so each paint, pan or new frame costs O(pixels + new rows).

While a run grows, a ``LiveLayer`` paints a view's curves instead of each
curve painting itself: it keeps them drawn in an image and adds only the new
rows' segments each frame, and Qt repaints only the strip where they land.
The curves' y ranges are sticky (``plot_data.sticky_range``), so the view's
range, its axes' ticks and the image stay put for many frames at a time; a
changed range, size, smoothing or visibility redraws the image whole.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPolygonF, QTransform
from PySide6.QtWidgets import QGraphicsItem

from .plot_data import FULL_RESOLUTION, Envelope, column_peaks, decimate, sticky_range, visible_rows

MAX_STRIPS = 64  # strips kept between paints; past this the next paint is the scene's
# Shapes a layer drew on the screen only, kept for its image until the scene next paints it (2-5 s
# of frames, a few ms to draw); past this the image is drawn whole then instead.
MAX_REPLAY = 256
STRIP_MARGIN = 3  # pixels around a strip that its segments may reach: pen width, the join to the last row
RANGE_EVERY_S = 0.5  # while a run grows, a view's y range moves at most this often

DEFAULT_PIXELS = 1000  # before the view has a size


class DecimatedCurve(pg.PlotDataItem):
    """A line of ``values`` against ``steps`` (increasing), decimated to its view's pixels."""

    # Read by view callbacks that may come before __init__ has finished.
    _values = None
    layer = None
    _sticky = None
    _quiet = False  # a layer's sync: the view's bounds are the sticky ones, which did not move
    _move_put_off = False  # a sticky-bounds move the layer's pacer has put off

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tell_view = self.curve.informViewBoundsChanged  # the child line tells the view too
        self.curve.informViewBoundsChanged = lambda: None if self._quiet else tell_view()
        self._steps: np.ndarray | None = None
        self._values: np.ndarray | None = None
        self._envelope = Envelope()
        self._shown: tuple | None = None  # (start, stop, pixels, rows) last handed to pyqtgraph
        # Painted by a LiveLayer (see ``LiveLayer.add``): pyqtgraph is handed rows only when the layer
        # redraws whole (``sync``), and the y bounds the view sees are sticky.
        self.layer: LiveLayer | None = None
        self.generation = 0  # changes whenever rows already drawn may look different
        self._stale = False  # rows or view changed since pyqtgraph was last handed them
        self._y_seen: tuple[float, float] | None = None  # finite min, max of the (mapped) values so far
        self._y_rows = 0  # rows counted in _y_seen
        self._sticky: tuple[float, float] | None = None  # the y bounds given to the view

    def show_rows(self, steps: np.ndarray, values: np.ndarray) -> None:
        """Draw every row so far; the arrays are kept, not copied, and rows already seen must not change."""
        rows = min(len(steps), len(values))  # unequal only if a rollback cut the history between the reads
        steps, values = steps[:rows], values[:rows]
        before = len(self._values) if self._values is not None else 0
        self._steps, self._values = steps, values  # (the envelope takes them in when it is read: _sync)
        if self.layer is not None and rows and not before:
            self.layer.curves_changed()  # it had no rows: now it is one of those drawn
        if self.layer is None:
            self._redraw()
            return
        self._stale = True
        fresh = self._bound_new_rows()
        if rows > before and self.isVisible():
            self.layer.rows_added(self, before, fresh)

    def forget(self) -> None:
        """Draw nothing (the rows were rewound, or a new run starts)."""
        self._envelope.clear()
        self._steps = self._values = None
        self._shown = None
        self.generation += 1
        self._stale, self._y_seen, self._y_rows = False, None, 0
        self.setData([], [])
        if self.layer is not None:
            self.layer.curves_changed()
            self.layer.update()  # all of it: rows past a rollback's cut are drawn there

    def sync(self) -> None:
        """Hand pyqtgraph the rows its view shows, if a layer put that off."""
        if self._stale:
            self._quiet = True
            try:
                if self._sync():
                    self._stale = False
            finally:
                self._quiet = False

    def informViewBoundsChanged(self):
        if not self._quiet:  # else the view would repaint whole for bounds it does not read
            super().informViewBoundsChanged()

    def getData(self):
        self.sync()
        return super().getData()

    def setLogMode(self, xState, yState):
        if self.layer is not None and bool(yState) != bool(self.opts["logMode"][1]):
            self.generation += 1
            self._y_seen, self._y_rows, self._sticky = None, 0, None  # bounds in the new mapping
            self.layer.curves_changed()
        super().setLogMode(xState, yState)
        if self.layer is not None and self._values is not None:
            self._stale = True
            self._bound_new_rows()

    def _bound_new_rows(self) -> tuple[int, float, float] | None:
        """Fold the new rows into the y bounds; tell the view only when its sticky bounds move.

        Returns (first new row, their mapped low, high) for ``LiveLayer.rows_added``; None if none are new.
        """
        first = self._y_rows
        fresh = self._values[first:]
        self._y_rows = len(self._values)
        log = bool(self.opts["logMode"][1])
        seen, extent = self._y_seen, None
        if len(fresh):
            low, high = mapped_extent(fresh, log)
            extent = (first, low, high)
            if self._y_seen is not None:
                low, high = min(low, self._y_seen[0]), max(high, self._y_seen[1])
            if low <= high:
                self._y_seen = (low, high)
        if self._y_seen is None or (self._y_seen == seen and not self._move_put_off and self._sticky is not None):
            return extent  # nothing new to fit (most frames)
        sticky = sticky_range(self._sticky, *self._y_seen, log)
        self._move_put_off = False
        if sticky != self._sticky:
            if self._sticky is not None and not self.layer.pacer.open:
                self._move_put_off = True  # made at the pacer's next open frame
                return extent
            self._sticky = sticky
            self.layer.pacer.moved()
            if self.isVisible():  # the view skips hidden items' bounds, yet would repaint whole
                self.informViewBoundsChanged()
        return extent

    _pen_seen = None  # the pen translucent() last looked at, and its answer
    _translucent = False

    def translucent(self) -> bool:
        """Whether the line's pen lets what is under it show (looked at again only for a new pen)."""
        pen = self.curve.opts["pen"]
        if pen is not self._pen_seen:
            self._pen_seen, self._translucent = pen, pen.color().alpha() < 255
        return self._translucent

    def getOriginalDataset(self):
        """All rows the line stands for (not only those drawn): (steps, values), or (None, None)."""
        if self._steps is None:  # fed by setData, as a plain PlotDataItem
            return super().getOriginalDataset()
        if not len(self._steps):
            return None, None
        return self._steps, self._values

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        # x: every row's step, so "fit all" and auto-range see the whole run while only part
        # of it is handed to pyqtgraph, and while a run goes on, its plan to the end (a
        # layer's ``plan_end``): x then stays put as rows come. y: a layer's curve gives its
        # sticky bounds over all rows while the run goes on, then the rows' own; a plain one
        # what is drawn, as with clipToView.
        if self._steps is not None and len(self._steps) and (self._dataset is not None or self.layer):
            if ax == 0:
                end = max(float(self._steps[-1]), self.layer.plan_end if self.layer is not None else 0.0)
                return float(self._steps[0]), end
            if self.layer is not None and self._sticky is not None:  # tight once the run is over
                return self._sticky if self.layer.plan_end else self._y_seen
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
        if change == self.GraphicsItemChange.ItemZValueHasChanged and self.layer is not None:
            self.layer.curves_changed()  # drawn in another order
        if change == self.GraphicsItemChange.ItemVisibleHasChanged:
            if value:
                self._redraw()  # rows that came while it was hidden
            if self.layer is not None:
                self.layer.curves_changed()
                self.layer.update()  # all of it: the line appears or goes
                if value:
                    self.informViewBoundsChanged()  # and the bounds the new rows moved
        return result

    def _redraw(self) -> bool:
        """Hand pyqtgraph the rows the view shows (a layer's curve: mark them due); True if it did."""
        if self.layer is not None:
            self._stale = True
            self.layer.update()
            return False
        return self._sync()

    def _sync(self) -> bool:
        if self._values is None or not self.isVisible():
            return False  # a hidden line (legend click) is brought up to date when shown
        window = self._window()
        if window == self._shown:
            return False
        self._shown = window
        start, stop, _pixels, _rows, columns = window
        self._envelope.update(self._values)  # the rows since it was last read, all at once
        self.setData(*decimate(self._steps, self._values, self._envelope, start, stop, columns))
        return True

    def _view_box(self) -> pg.ViewBox | None:
        view = self.getViewBox()  # the GraphicsView itself for an item outside any ViewBox
        return view if isinstance(view, pg.ViewBox) else None

    def _window(self) -> tuple[int, int, int, int, int]:
        """(start, stop) of the rows to draw, the view's width in pixels, the rows so far, and the pixel
        columns those rows span (fewer than the width when the view reaches past them, as to a run's plan end)."""
        rows = len(self._values)
        view = self._view_box()
        if view is None:
            return 0, rows, DEFAULT_PIXELS, rows, DEFAULT_PIXELS
        pixels = int(view.width()) or DEFAULT_PIXELS
        left, right = view.viewRange()[0]
        if view.autoRangeEnabled()[0]:
            start, stop = 0, rows
        else:
            start, stop = visible_rows(self._steps[:rows], left, right)
        columns = pixels
        if stop - start > 1 and right > left:
            span = float(self._steps[stop - 1]) - float(self._steps[start])
            columns = min(pixels, max(1, math.ceil(pixels * span / (right - left))))
        return start, stop, pixels, rows, columns


def draw_shapes(painter: QPainter, shapes) -> None:
    """Draw (pen, antialias, shape) in order: a ``QPolygonF`` as a polyline, a path (with gaps) as a path."""
    smooth = None  # the painter's antialiasing, once set
    for pen, antialias, shape in shapes:
        if antialias is not smooth:
            smooth = antialias
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, smooth)
        painter.setPen(pen)
        if isinstance(shape, QPolygonF):
            painter.drawPolyline(shape)
        else:
            painter.drawPath(shape)


def pixels_around(strip: QRectF) -> QRect:
    """The pixels a strip of the viewport (new rows' segments) may touch: pen width, joins."""
    return strip.toAlignedRect().adjusted(-STRIP_MARGIN, -STRIP_MARGIN, STRIP_MARGIN, STRIP_MARGIN)


def polygon(x: np.ndarray, y: np.ndarray, log: bool = False, bounds: tuple[float, float] | None = None):
    """The points as a shape to draw, y mapped as a view maps it (log10 on a log axis, where a value
    that is not positive is a gap) and clamped to ``bounds``; None if there are none.

    A ``QPolygonF``, filled and mapped in its own memory: drawn as a polyline, the same pixels as
    ``pg.arrayToQPath(x, y, connect="finite")`` (zero-length segments included). Where a point is not
    finite, that path: it leaves a gap there, which a polyline would not.
    """
    if not len(x):
        return None
    points = QPolygonF()
    points.resize(len(x))
    xy = pg.functions.ndarray_from_qpolygonf(points)  # the polygon's own memory
    xy[:, 0], xy[:, 1] = x, y
    mapped = xy[:, 1]
    if log:
        if mapped.min() > 0:  # (also False for a NaN)
            np.log10(mapped, out=mapped)
        else:
            positive = mapped > 0
            np.log10(mapped, out=mapped, where=positive)
            mapped[~positive] = np.nan  # not positive: a gap
    finite = math.isfinite(xy.sum())  # (a NaN or an infinity carries through a sum)
    if not finite:
        xy[~np.isfinite(xy)] = np.nan  # a gap, as the whole redraw shows it
    if bounds is not None:
        np.clip(mapped, *bounds, out=mapped)
    return points if finite else pg.arrayToQPath(xy[:, 0].copy(), mapped.copy(), connect="finite")


def mapped_extent(values: np.ndarray, log: bool) -> tuple[float, float]:
    """Finite (min, max) of ``values`` as the view maps them (log10 on a log axis); (inf, -inf) if none."""
    # fmin/fmax skip NaN (a NaN loss is a gap, not a bound); log10 keeps the order, so on a log axis
    # the extremes are mapped rather than every value (unless one is not positive, or is infinite).
    low, high = float(np.fmin.reduce(values, initial=np.inf)), float(np.fmax.reduce(values, initial=-np.inf))
    if log and 0 < low <= high < math.inf:
        return math.log10(low), math.log10(high)
    if not log and -math.inf < low <= high < math.inf:
        return low, high
    mapped = values
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            mapped = np.log10(values)
    finite = mapped[np.isfinite(mapped)]
    return (float(finite.min()), float(finite.max())) if finite.size else (math.inf, -math.inf)


def mapped_value(value: float, log: bool) -> float | None:
    """One value as the view maps it; None where it draws nothing (NaN, infinite, not positive on a log axis)."""
    if log:
        value = math.log10(value) if value > 0 else math.nan
    return value if math.isfinite(value) else None


class RangePacer:
    """When a plot's live curves may move their views' y ranges.

    A moved range redraws the whole plot (axes re-ticked, images redrawn), and
    early in a run, as the loss falls and the accuracy climbs, every view wants
    to move often. While a run grows, moves are allowed in one frame every
    ``every_s`` seconds, for every view at once (one full repaint for all);
    in between, values past a view's edge wait out of sight. At once otherwise.
    """

    def __init__(self, every_s: float = RANGE_EVERY_S):
        self.every_s = every_s
        self.open = True  # moves allowed in this frame
        self._now = self._last = -math.inf

    def begin_frame(self, running: bool) -> None:
        self._now = time.monotonic()
        self.open = not running or self._now - self._last >= self.every_s

    @property
    def now(self) -> float:
        """The time this frame began (``time.monotonic``)."""
        return self._now

    def moved(self) -> None:
        self._last = self._now

    @property
    def moved_now(self) -> bool:
        """Whether a view moved its range in this frame (the views repaint whole)."""
        return self._last == self._now


class LiveLayer(pg.GraphicsObject):
    """Paints a view's ``DecimatedCurve`` s from an image, adding only their new rows on each frame.

    The image holds the curves as pyqtgraph draws them, at the view's current
    range and size. A frame in which rows were only added draws each curve's
    new segments onto it and has Qt repaint the strip they fall in: a blit of
    a few pixel columns instead of every curve's whole path. A new range,
    size, smoothing (a curve's ``generation``), log mode, or a curve shown or
    hidden redraws the image whole, from the curves' own paint.

    A live frame (``paint_live``) draws onto the screen alone and keeps what it
    drew: the image gets those same shapes when the scene next paints it. A
    painter on the image every frame cost as much as the drawing itself.
    """

    def __init__(self, view: pg.ViewBox, pacer: RangePacer | None = None):
        super().__init__()
        self._view = view
        self.pacer = pacer or RangePacer()  # shared by a plot's layers
        self.curves: list[DecimatedCurve] = []
        self._image: QImage | None = None
        self._image_transform = QTransform()  # from the curves' coordinates to the image's pixels
        self._key: tuple | None = None  # what the image was drawn for
        self._rows: dict[int, int] = {}  # id(curve) -> its rows in the image (with those in _replay)
        # (pen, antialias, shape) drawn by live frames and not yet onto the image; None: too many, draw it whole
        self._replay: list | None = []
        self._version = 0  # changes with the curves drawn or how (``curves_changed``)
        self._view_pixels: tuple | None = None  # the view's top, bottom and pixel width, height (in its units)
        self._shown: list | None = None  # the curves drawn, bottom first, while _version holds
        self.whole_redraws = 0  # how often the image was drawn whole (the rest added rows to it)
        self.plan_end = 0.0  # while a run goes on, its last planned step: the curves' x bounds reach it
        self._live_view = None  # the LiveView that paints this layer's frames (see ``LiveView.add_layer``)
        self._strips: list[QRectF] = []  # rects of its viewport where new rows went since its last paint
        self._batch: list | None = None  # while rows are added for a frame: their strip so far (see begin_rows)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # drags and clicks go to the view
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # paint learns the exposed rect
        view.addItem(self, ignoreBounds=True)

    def add(self, curve: DecimatedCurve) -> None:
        curve.layer = self
        curve.curve.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, True)  # painted here
        self.curves.append(curve)
        self.curves_changed()
        self.update()

    def remove(self, curve: DecimatedCurve) -> None:
        if curve in self.curves:
            self.curves.remove(curve)
            curve.layer = None
            curve.curve.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, False)
            self.curves_changed()
            self.update()

    def curves_changed(self) -> None:
        """A curve came or went, was shown, hidden or restacked, or its drawn rows changed (its
        ``generation``): the image is redrawn whole at the next paint."""
        self._version += 1
        self._shown = None

    def redraw_whole(self) -> None:
        """Draw the image afresh at the next paint."""
        self._key = None
        self.update()

    @property
    def image_bytes(self) -> int:
        return self._image.sizeInBytes() if self._image is not None else 0

    def rows_added(self, curve: DecimatedCurve, before: int, fresh: tuple[int, float, float] | None = None) -> None:
        """Repaint where ``curve``'s segments from row ``before`` on (and any it has not drawn yet) go.

        The strip spans those rows' steps and values, not the view's height: a live frame
        (``plot_live``) then only finds a marker or points in the way when the line meets them.
        ``fresh``: (first row, mapped low, high) of the rows from there on, if the curve has them.
        """
        first = max(min(before, self._rows.get(id(curve), before)) - 1, 0)
        log = bool(curve.opts["logMode"][1])
        if fresh is not None and fresh[0] in (first, first + 1):
            low, high = fresh[1:]
            if fresh[0] == first + 1:  # and the last row drawn, where the new segments join it
                joint = mapped_value(float(curve._values[first]), log)
                if joint is not None:
                    low, high = min(low, joint), max(high, joint)
        else:
            low, high = mapped_extent(curve._values[first:], log)
        if self._view_pixels is None:  # (kept until the view's range or size changes)
            # A pixel around it: a flat line's strip is not empty. (Not pyqtgraph's viewPixelSize, which
            # maps two vectors through the item's transforms, in Python.)
            rect = self._view.viewRect()
            self._view_pixels = (rect.top(), rect.bottom(), rect.width() / max(self._view.width(), 1.0),
                                 rect.height() / max(self._view.height(), 1.0))
        top, bottom, pixel_x, pixel_y = self._view_pixels
        low, high = max(low, top), min(high, bottom)
        if low > high:
            return  # a gap, or all beyond one edge of the view: nothing to draw
        x0, x1 = float(curve._steps[first]) - pixel_x, float(curve._steps[len(curve._values) - 1]) + pixel_x
        low, high = low - pixel_y, high + pixel_y
        batch = self._batch
        if batch is None:
            self._show_strip(x0, x1, low, high)
        elif batch:  # the layer's curves share one strip a frame: mapped and repainted once
            batch[:] = min(batch[0], x0), max(batch[1], x1), min(batch[2], low), max(batch[3], high)
        else:
            batch[:] = x0, x1, low, high

    def begin_rows(self) -> None:
        """Gather the strips of the rows added from here to ``end_rows`` into one (a frame's)."""
        self._batch = []

    def end_rows(self) -> None:
        batch, self._batch = self._batch, None
        if batch:
            self._show_strip(*batch)

    def _show_strip(self, x0: float, x1: float, low: float, high: float) -> None:
        """Repaint the rect of the view from ``x0`` to ``x1``, ``low`` to ``high`` (view coordinates)."""
        strip = QRectF(x0, low, x1 - x0, high - low)
        live = self._live_view
        if live is None:
            self.update(strip)
            return
        # Straight to the viewport, not through the scene: an item's update has the scene walk its
        # items for what is dirty, then map that to the view, each frame. A frame the view cannot
        # paint live paints this rect through the scene all the same.
        strip = self.deviceTransform(live.viewportTransform()).mapRect(strip)
        live.viewport().update(pixels_around(strip))
        if len(self._strips) <= MAX_STRIPS:
            self._strips.append(strip)

    # --- QGraphicsItem ---

    def boundingRect(self) -> QRectF:
        return self._view.viewRect()

    def viewRangeChanged(self):
        self._view_pixels = None
        self.prepareGeometryChange()

    def viewTransformChanged(self):
        self._view_pixels = None  # (a resize: the same range over more or fewer pixels)
        super().viewTransformChanged()

    def catch_up_ranges(self) -> None:
        """Make the y-range moves the pacer put off (no new rows will ask for them)."""
        for curve in self.curves:
            if curve._values is not None:
                curve._bound_new_rows()

    def set_plan_end(self, step: float) -> None:
        """The x the curves' bounds reach while a run goes on (0 once it is over)."""
        if step != self.plan_end:
            self.plan_end = float(step)
            shown = [c for c in self.curves if c.isVisible() and c._values is not None]
            if shown:
                shown[0].informViewBoundsChanged()

    def take_strips(self) -> list[QRectF] | None:
        """The viewport rects new rows went into since the last call (for its ``LiveView``); None: too
        many to be worth drawing live (frames came while nothing was painted: a hidden or minimised window)."""
        strips, self._strips = self._strips, []
        return None if len(strips) > MAX_STRIPS else strips

    def live_plan(self, view_transform: QTransform, ratio: float):
        """(curves, world, bounds) for ``paint_live``; () when nothing of it shows; None when the
        image is not what the screen shows (a new range, size, smoothing…): then paint the scene."""
        world, bounds = self.deviceTransform(view_transform), self.boundingRect()
        target = world.mapRect(bounds).toAlignedRect()
        if target.isEmpty() or not self.isVisible():
            return ()
        curves = self._shown_curves()
        if self._image is None or self._key != self._image_key(world, target, ratio) \
                or self._pending(curves) > 8 * target.width():
            return None
        return curves, world, bounds

    def paint_live(self, screen: QPainter, curves, world: QTransform, bounds: QRectF) -> None:
        """Draw the new rows' segments onto the image and onto ``screen`` (the view's own painter)."""
        screen.save()
        screen.setTransform(world)
        screen.setClipRect(bounds, Qt.ClipOperation.IntersectClip)
        try:
            self._draw_new_rows(curves, world, bounds, screen)
        finally:
            screen.restore()

    def _shown_curves(self) -> list:
        if self._shown is None:
            self._shown = sorted((c for c in self.curves if c.isVisible() and c._values is not None),
                                 key=lambda c: c.zValue())
        return self._shown

    def _image_key(self, world: QTransform, target, ratio: float) -> tuple:
        return (world.m11(), world.m12(), world.m21(), world.m22(), world.dx(), world.dy(),
                target.width(), target.height(), ratio, self._version)

    def _pending(self, curves) -> int:
        return sum(len(c._values) - self._rows.get(id(c), 0) for c in curves)

    def paint(self, p, *args):
        world = p.transform()
        target = world.mapRect(self.boundingRect()).toAlignedRect()
        if target.isEmpty():
            return
        ratio = p.device().devicePixelRatioF()
        curves = self._shown_curves()
        key = self._image_key(world, target, ratio)
        if key != self._key or self._image is None or self._replay is None \
                or self._pending(curves) > 8 * target.width():
            # (a long gap between paints, the window minimised: one decimated pass is cheaper)
            self._draw_whole(curves, world, target, ratio)
            self._key = key
            exposed = args[0].exposedRect if args and args[0] is not None else self.boundingRect()
            if not exposed.contains(self.boundingRect()):
                self.update()  # Qt repaints only what it was told changed: show the rest too
        else:
            self._draw_new_rows(curves, world, self.boundingRect())
        p.save()
        p.resetTransform()
        p.drawImage(target.topLeft(), self._image)
        p.restore()

    def _painter(self, bounds: QRectF) -> QPainter:
        """A painter on the image, in the curves' coordinates (as the image was last drawn whole)."""
        painter = QPainter(self._image)
        painter.setTransform(self._image_transform)
        painter.setClipRect(bounds)
        return painter

    def _draw_whole(self, curves, world, target, ratio: float) -> None:
        size = target.size() * ratio
        if self._image is None or self._image.size() != size or self._image.devicePixelRatio() != ratio:
            self._image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
            self._image.setDevicePixelRatio(ratio)
        self._image.fill(0)
        self._rows.clear()
        self._replay = []
        self.whole_redraws += 1
        # Kept with the image: the frames that add rows to it draw in the same place.
        self._image_transform = world * QTransform.fromTranslate(-target.x(), -target.y())
        painter = self._painter(self.boundingRect())
        try:
            for c in curves:
                c.sync()
                c.curve.paint(painter, None, None)
                self._rows[id(c)] = len(c._values)
        finally:
            painter.end()

    def _draw_new_rows(self, curves, world, bounds: QRectF, screen: QPainter | None = None) -> None:
        """The segments not drawn yet: onto ``screen`` (a live frame), kept for the image's next
        paint; else onto the image, after what live frames drew since it was last painted."""
        low, high = self._view.viewRange()[1]
        shapes = []
        for c in curves:
            new = self._new_rows(c, world, low, high)
            if new is not None:
                shape, self._rows[id(c)] = new
                opts = c.curve.opts
                shapes.append((opts["pen"], bool(opts["antialias"]), shape))
        if screen is not None:
            draw_shapes(screen, shapes)
            if self._replay is not None:
                self._replay += shapes
                if len(self._replay) > MAX_REPLAY:
                    self._replay = None  # (no scene paint for a long while: a whole redraw is cheaper)
            return
        shapes, self._replay = self._replay + shapes, []
        if shapes:
            painter = self._painter(bounds)
            try:
                draw_shapes(painter, shapes)
            finally:
                painter.end()

    def _new_rows(self, c: DecimatedCurve, world: QTransform, low: float, high: float):
        """(shape, rows drawn after) of ``c``'s segments not yet in the image, in view coordinates
        (see ``polygon``); None if none."""
        done, rows = self._rows.get(id(c), 0), len(c._values)
        if rows <= done:
            return None
        first = max(done - 1, 0)  # from the last row drawn
        x, y = c._steps[first:rows], c._values[first:rows]
        if c.translucent():
            # A translucent line drawn over itself darkens: draw each pixel column once, when the
            # rows after it have moved on to the next one, and with many rows a pixel as the
            # whole redraw does, as its maximum and minimum.
            column = np.floor(x * world.m11() + world.dx())
            whole = int(np.searchsorted(column, column[-1], side="left"))  # rows before the last column
            if whole <= 1:
                return None
            x, y, column, rows = x[:whole], y[:whole], column[:whole], first + whole
            if whole > FULL_RESOLUTION * (column[-1] - column[0] + 1):
                x, y = column_peaks(x, y, column)
        reach = 4 * max(high - low, 1e-12)  # Qt draws far-out coordinates slowly: clamp them near the view
        shape = polygon(x, y, bool(c.opts["logMode"][1]), (low - reach, high + reach))
        return None if shape is None else (shape, rows)
