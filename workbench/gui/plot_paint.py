"""Plots that paint fast: grid lines on the raster engine's fast path.

pyqtgraph draws a grid by stretching an axis' tick lines across the plot in a
translucent colour, recorded once in a QPicture and replayed on every paint.
Into a window, Qt's raster engine replays those translucent lines through a
slow path — about 10 ms for a hundred lines, against 0.3 ms — unless the
painter's clip is one plain rectangle of the item's own. So each axis clips
to its bounding rect before drawing (``ClippedAxis``; the picture never draws
outside it, so nothing on screen changes), and a view repaints one rectangle
around whatever changed rather than a region of many small ones
(``repaint_in_one_rect``), which would bring the slow path back. Measured on
Qt 6.11's raster engine (the offscreen platform and X11 alike use it).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QPainter, QPen, QPixmapCache, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView

PIXMAP_CACHE_KB = 64 * 1024


class _ClippedAndCached:
    """Clips its painter to its own bounding rect before drawing, and is cached as a pixmap.

    The clip keeps translucent fills and lines on the raster engine's fast path;
    the cache means that while a live plot's ranges stay put, a frame repainting
    a strip of the plot blits that strip rather than replaying every line and label.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # Item caches live in Qt's pixmap cache (10 MB by default): a grid axis of a full-screen
        # plot is a few MB, and evicted caches would be redrawn on every frame.
        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), PIXMAP_CACHE_KB))

    def paint(self, p, *args):
        p.save()
        p.setClipRect(self.boundingRect(), Qt.ClipOperation.IntersectClip)
        super().paint(p, *args)
        p.restore()


class ClippedAxis(_ClippedAndCached, pg.AxisItem):
    """A pyqtgraph ``AxisItem`` (its grid lines included) on the fast paths.

    Qt asks every item for its bounding rect on every repaint, a live plot's
    strip included, and an axis with a grid works its rect out from its linked
    view's (three more calls into Python): it is kept until what it depends on moves.
    """

    _rect_key = None
    _rect = None

    def boundingRect(self):
        view = self.linkedView()
        placed = (view.geometry(), view.scenePos()) if view is not None else None
        key = (self.geometry(), self.scenePos(), placed, self.grid, self.style["tickLength"],
               self.style["hideOverlappingLabels"])
        if key != self._rect_key:
            self._rect_key, self._rect = key, super().boundingRect()
        return QRectF(self._rect)


class ClippedLegend(_ClippedAndCached, pg.LegendItem):
    """A pyqtgraph ``LegendItem`` on the fast paths, its entries cached too, with an opaque box on whole pixels.

    With an opaque brush, the box fills exactly the pixels of ``opaque_rect``: what lies
    under them never shows, so a live frame (``plot_live``) leaves them alone instead of
    having the scene repaint the legend over each new segment that passes under it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Its own paint is one rect (the entries keep their caches): drawn where opaque_rect says.
        self.setCacheMode(QGraphicsItem.CacheMode.NoCache)

    _opaque_seen = None  # (brush, pen) that _opaque last saw, and its answer
    _opaque_answer = False

    def _opaque(self) -> bool:
        brush, pen = self.opts["brush"], self.opts["pen"]
        if (brush, pen) != self._opaque_seen:  # (comparing Qt values is cheap; reading their enums is not)
            self._opaque_seen = (QBrush(brush), QPen(pen))
            self._opaque_answer = brush.style() == Qt.BrushStyle.SolidPattern and brush.color().alpha() == 255 \
                and pen.style() == Qt.PenStyle.NoPen
        return self._opaque_answer

    _opaque_at = None  # (view transform, scene transform, geometry) the last opaque_rect was for, and it
    _opaque_rect = QRect()

    def opaque_rect(self, view_transform: QTransform) -> QRect:
        """The view's pixels the box fills with an opaque brush (an empty rect if it lets anything show)."""
        if not self._opaque():
            return QRect()
        # Asked on every live frame, in which the legend has not moved: worked out again only when it has.
        at = (view_transform, self.sceneTransform(), self.geometry())
        if at != self._opaque_at:
            self._opaque_at = at
            self._opaque_rect = whole_pixels(self.deviceTransform(view_transform).mapRect(self.boundingRect()))
        return QRect(self._opaque_rect)

    def paint(self, p, *args):
        if not self._opaque():
            return super().paint(p, *args)  # pyqtgraph's box, clipped
        p.save()
        rect = whole_pixels(p.transform().mapRect(self.boundingRect()))
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillRect(rect, self.opts["brush"])
        p.restore()

    def addItem(self, item, name):
        super().addItem(item, name)
        sample, label = self.items[-1]
        for part in (sample, label):  # a repaint crossing the legend blits them
            part.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        shown = getattr(item, "visibleChanged", None)
        if shown is not None:
            shown.connect(sample.update)  # the cached sample shows whether its line is hidden


def whole_pixels(rect: QRectF) -> QRect:
    """The pixels whose centres lie in ``rect`` (device coordinates)."""
    left, top = round(rect.left()), round(rect.top())
    return QRect(left, top, round(rect.right()) - left, round(rect.bottom()) - top)


def clipped_legend(plot: pg.PlotItem, **options) -> ClippedLegend:
    """``plot.addLegend(**options)`` with a ``ClippedLegend``: curves added with a name join it."""
    legend = ClippedLegend(**options)
    legend.setParentItem(plot.getViewBox())
    plot.legend = legend
    return legend


def clipped_axes(*sides: str) -> dict[str, ClippedAxis]:
    """The ``axisItems`` argument for a ``PlotItem`` (or ``PlotWidget``, ``addPlot``).

    Only the sides a plot shows: pyqtgraph shows every axis it is given.
    The default is what a plot shows unless told otherwise, left and bottom.
    """
    return {side: ClippedAxis(side) for side in sides or ("left", "bottom")}


def repaint_in_one_rect(view: QGraphicsView) -> None:
    """Have ``view`` repaint the bounding rect of what changed (Qt's default is the exact region)."""
    view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)


def plot_widget(object_name: str, *sides: str) -> pg.PlotWidget:
    """A ``PlotWidget`` on the fast paths above (clipped ``sides``, one-rect repaints), with the light grid."""
    widget = pg.PlotWidget(objectName=object_name, axisItems=clipped_axes(*sides))
    repaint_in_one_rect(widget)
    widget.getPlotItem().showGrid(x=True, y=True, alpha=0.2)
    return widget
