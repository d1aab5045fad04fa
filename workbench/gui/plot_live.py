"""Live frames painted without the scene: only the new rows' segments, straight onto the screen.

A frame in which a run only added rows changes nothing on screen but a thin
strip per view. Qt would repaint that strip through the whole scene: every
item crossing it asked for its bounds and painted, in Python, while the
training thread waits for the GIL. ``LiveView`` instead draws the new
segments onto the viewport over what it showed before (the viewport is
opaque, so Qt keeps its old pixels) and onto each ``LiveLayer``'s image, which
stays what a full repaint shows.

It does so only when that is exactly the change: the repainted region lies in
the strips and every layer's image was drawn for the range, size and curves
now shown. Anything else (a range move, a resize, an expose, a new marker)
paints the scene as usual; so does the part of a strip that a marker or
validation point (painted above the layers) covers. An opaque legend hides what
is under it: those pixels are left as they are.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QRegion
from PySide6.QtWidgets import QGraphicsView

from .plot_curve import LiveLayer, pixels_around


class LiveView(pg.GraphicsLayoutWidget):
    """A ``GraphicsLayoutWidget`` whose frames that only add rows skip the scene."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._layers: list[LiveLayer] = []
        self._stacked: list[LiveLayer] = []  # the layers bottom first, as the scene stacks them
        self.obstacles = lambda: []  # items painted above the layers (legends, markers, points)
        self.live_frames = self.scene_frames = 0
        self._owed = QRegion()  # asked of the scene (under a marker, say), not painted by it yet
        # Qt repaints exactly the region that changed (its default), not that region's bounding rect:
        # a frame's strips in the two plots are then all it asks for, and a live frame can tell.
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        viewport = self.viewport()
        viewport.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)  # keep what it showed
        viewport.setAutoFillBackground(False)

    def add_layer(self, layer: LiveLayer) -> None:
        layer._live_view, layer._strips = self, []
        self._layers.append(layer)
        self._stacked = []

    def paintEvent(self, ev):
        taken = [layer.take_strips() for layer in self._layers]
        strips = [strip for layer_strips in taken if layer_strips for strip in layer_strips]
        live = strips and None not in taken and self._stacked and not self._owed.intersects(ev.region())
        if live and self._paint_live(ev, strips):
            self.live_frames += 1
            return None
        self.scene_frames += 1
        self._owed -= ev.region()
        result = super().paintEvent(ev)
        if not self._stacked:  # the layers' order, once they are in the scene
            mine = {id(layer) for layer in self._layers}
            self._stacked = [item for item in self.scene().items(Qt.SortOrder.AscendingOrder) if id(item) in mine]
        return result

    def _paint_live(self, ev, strips) -> bool:
        if any(_range_update_due(layer._view) for layer in self._layers):
            self.scene().prepareForPaint()  # what pyqtgraph's paintEvent does first (pending range updates)
        covered = QRegion()
        for strip in strips:
            covered += pixels_around(strip)
        if not (ev.region() - covered).isEmpty():
            return False
        transform, ratio = self.viewportTransform(), self.viewport().devicePixelRatioF()
        blocked = QRegion()  # where an item above the layers crosses a strip: painted by the scene
        hidden = QRegion()  # pixels an opaque item fills: nothing under them shows, nothing to paint
        for item in self.obstacles():
            if not item.isVisible():
                continue
            opaque = getattr(item, "opaque_rect", None)
            if opaque is not None and not (rect := opaque(transform)).isEmpty():
                hidden += rect
                continue
            rect = transform.mapRect(item.sceneBoundingRect())  # (a call into Python per item: once)
            if any(rect.intersects(strip) for strip in strips):
                blocked += rect.toAlignedRect().adjusted(-1, -1, 1, 1)
        blocked &= ev.region()
        plans = []
        for layer in self._stacked:
            plan = layer.live_plan(transform, ratio)
            if plan is None:
                return False
            if plan:
                plans.append((layer, plan))
        painter = QPainter(self.viewport())
        try:
            painter.setClipRegion(ev.region() - blocked - hidden)
            for layer, plan in plans:
                layer.paint_live(painter, *plan)
        finally:
            painter.end()
        if not blocked.isEmpty():  # the scene paints there next: the layers' images, now current, and the item
            self._owed += blocked
            self.viewport().update(blocked)
        return True


def _range_update_due(view) -> bool:
    """Whether ``view`` (a ViewBox) has a range or transform update waiting for the next paint."""
    return getattr(view, "_autoRangeNeedsUpdate", True) or getattr(view, "_matrixNeedsUpdate", True)
