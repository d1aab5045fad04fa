"""The schedule preview: the learning rate over the planned steps, editable by dragging.

For the staircase three kinds of handle are live: any drop edge (drag sideways:
``decay_steps``), the first plateau (drag up/down: ``initial_lr``) and the second
plateau (drag up/down: ``decay_rate``). Drags arrive through pyqtgraph's own
path (scene → ``ViewBox.mouseDragEvent``), so a test's mouse events and a
person's take the same route. The preview never changes parameters itself: it
emits ``paramDragged`` and the form, which owns the values, redraws it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal

from workbench.core import schedule_math

from .plot_paint import clipped_axes, repaint_in_one_rect
from .style import COLORS, configure_pyqtgraph

GRAB_PIXELS = 8  # how close to a handle a press must land
MAX_EDGES = 60  # more drop lines than this is noise
SAMPLES = 1200


@dataclass(frozen=True)
class Handle:
    """Something on the staircase that can be dragged."""

    kind: str  # "edge" (sideways) or "plateau" (up/down)
    index: int  # edge k (1-based: the k-th drop) or plateau 0 / 1

    @property
    def cursor(self):
        return Qt.CursorShape.SizeHorCursor if self.kind == "edge" else Qt.CursorShape.SizeVerCursor


class _HandleViewBox(pg.ViewBox):
    """A ViewBox that gives left-button drags starting on a handle to its preview."""

    def __init__(self):
        super().__init__(enableMenu=False)
        self.preview: SchedulePreview | None = None
        self._handle: Handle | None = None

    def mouseDragEvent(self, ev, axis=None):
        if ev.button() != Qt.MouseButton.LeftButton or self.preview is None:
            ev.ignore()
            return
        if ev.isStart():
            self._handle = self.preview.handle_at(ev.buttonDownPos())
        if self._handle is None:
            ev.ignore()
            return
        ev.accept()
        self.preview.drag(self._handle, self.mapToView(ev.pos()), finished=ev.isFinish())
        if ev.isFinish():
            self._handle = None


def sample_steps(family: str, params: dict, planned: int) -> np.ndarray:
    """Steps 0 … planned-1 to evaluate the curve at: an even grid plus both sides of every drop."""
    planned = max(int(planned), 1)
    grid = np.linspace(0, planned - 1, min(SAMPLES, planned))
    edges = drop_edges(family, params, planned)
    edges = np.asarray(edges + [e - 1 for e in edges], dtype=float)
    steps = np.sort(np.concatenate([np.round(grid), edges]))
    # np.unique's first call imports numpy.ma: 30 ms of the window's start-up for a sort and a diff.
    return steps[np.concatenate([[True], steps[1:] != steps[:-1]])]


def drop_edges(family: str, params: dict, planned: int) -> list[int]:
    """The steps where a staircase or piecewise schedule drops, up to ``planned``."""
    if family == "staircase":
        every = int(params["decay_steps"])
        return [k * every for k in range(1, min((planned - 1) // every, MAX_EDGES) + 1)]
    if family == "piecewise":  # Keras' rule: a boundary's own step still has the old value
        return [int(b) + 1 for b in params["boundaries"] if b + 1 < planned][:MAX_EDGES]
    return []


class SchedulePreview(pg.PlotWidget):
    """Plot of the schedule; for the staircase, edges and plateaus can be dragged."""

    paramDragged = Signal(str, object)  # parameter name, new value
    dragFinished = Signal()

    def __init__(self, parent=None):
        configure_pyqtgraph()
        view = _HandleViewBox()
        super().__init__(parent, viewBox=view, axisItems=clipped_axes())
        view.preview = self
        repaint_in_one_rect(self)
        self.setObjectName("schedulePreview")
        self.setMinimumHeight(120)
        self._family, self._params, self._planned = "staircase", {}, 1
        self._log_y = True
        self._dragging = False
        self._edges: list[pg.InfiniteLine] = []
        self._build_items()
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def _build_items(self):
        item = self.getPlotItem()
        item.setMouseEnabled(x=False, y=False)  # dragging edits values; no panning
        item.hideButtons()
        item.setLogMode(y=True)
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setLabel("left", "learning rate")
        item.getAxis("left").enableAutoSIPrefix(False)  # "(x0.001)" on a log axis misleads
        item.setLabel("bottom", "step")
        self._plateaus = [
            item.plot(pen=pg.mkPen(COLORS["handle"], width=9)),
            item.plot(pen=pg.mkPen(COLORS["handle"], width=9)),
        ]
        self._curve = item.plot(pen=pg.mkPen(COLORS["lr"], width=2))

    # --- what it shows ---

    @property
    def family(self) -> str:
        return self._family

    @property
    def params(self) -> dict:
        return dict(self._params)

    @property
    def log_y(self) -> bool:
        return self._log_y

    def curve_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The (steps, lr) the curve currently draws (before the log mapping)."""
        x, y = self._curve.getOriginalDataset()
        return np.asarray(x), np.asarray(y)

    def set_schedule(self, family: str, params: dict, planned_steps: int | None = None) -> None:
        self._family, self._params = family, dict(params)
        if planned_steps is not None:
            self._planned = max(int(planned_steps), 1)
        self._redraw()

    def set_planned_steps(self, steps: int) -> None:
        self._planned = max(int(steps), 1)
        self._redraw()

    def set_log_y(self, on: bool) -> None:
        self._log_y = bool(on)
        self.getPlotItem().setLogMode(y=self._log_y)
        self._redraw()

    def _redraw(self):
        if not self._params:
            return
        x = sample_steps(self._family, self._params, self._planned)
        y = schedule_math.preview(self._family, self._params, x)
        self._curve.setData(x, y)
        self._draw_handles()
        if not self._dragging:  # a moving range under the cursor would fight the drag
            self._fit_view(y)

    def _draw_handles(self):
        edges = drop_edges(self._family, self._params, self._planned)
        for line in self._edges[len(edges):]:
            self.removeItem(line)
        del self._edges[len(edges):]
        while len(self._edges) < len(edges):
            line = pg.InfiniteLine(angle=90, pen=pg.mkPen(COLORS["edge"], width=1, style=Qt.PenStyle.DashLine))
            self.addItem(line)
            self._edges.append(line)
        for line, step in zip(self._edges, edges):
            line.setPos(step)
        for plateau, segment in zip(self._plateaus, self._plateau_segments()):
            x, y = segment if segment else ([], [])
            plateau.setData(x, y)

    def _plateau_segments(self) -> list:
        """((x0, x1), (lr, lr)) for the two draggable plateaus, or None."""
        if self._family != "staircase":
            return [None, None]
        every, lr = self._params["decay_steps"], self._params["initial_lr"]
        first = ([0, min(every, self._planned)], [lr, lr])
        if every >= self._planned:
            return [first, None]
        second_lr = lr * self._params["decay_rate"]
        return [first, ([every, min(2 * every, self._planned)], [second_lr, second_lr])]

    def _fit_view(self, y: np.ndarray):
        self.setXRange(0, self._planned, padding=0.02)
        shown = y[np.isfinite(y) & (y > 0)] if self._log_y else y[np.isfinite(y)]
        if not len(shown):
            return
        low, high = float(shown.min()), float(shown.max())
        if self._log_y:  # view coordinates are log10 of the rate
            self.setYRange(math.log10(low) - 0.25, math.log10(high) + 0.25, padding=0)
        else:
            span = (high - low) or abs(high) or 1.0
            self.setYRange(low - 0.1 * span, high + 0.1 * span, padding=0)

    # --- dragging ---

    def _view_y(self, lr: float) -> float:
        return math.log10(lr) if self._log_y else lr

    def _value_at(self, view_y: float) -> float:
        return 10.0 ** view_y if self._log_y else view_y

    def handle_at(self, local: QPointF) -> Handle | None:
        """The handle within GRAB_PIXELS of ``local`` (ViewBox pixel coordinates)."""
        if self._family != "staircase" or not self._params:
            return None
        best, best_distance = None, GRAB_PIXELS
        for handle, distance in self._distances(local):
            if distance < best_distance:
                best, best_distance = handle, distance
        return best

    def _distances(self, local: QPointF):
        view = self.getViewBox()
        for k, step in enumerate(drop_edges(self._family, self._params, self._planned), start=1):
            yield Handle("edge", k), abs(view.mapFromView(QPointF(step, 0)).x() - local.x())
        for index, segment in enumerate(self._plateau_segments()):
            if segment is None:
                continue
            (x0, x1), (lr, _) = segment
            left = view.mapFromView(QPointF(x0, self._view_y(lr)))
            right = view.mapFromView(QPointF(x1, self._view_y(lr)))
            if left.x() - GRAB_PIXELS <= local.x() <= right.x() + GRAB_PIXELS:
                yield Handle("plateau", index), abs(left.y() - local.y())

    def drag(self, handle: Handle, view_pos: QPointF, *, finished: bool = False) -> None:
        """Turn a drag of ``handle`` to ``view_pos`` (view coordinates) into a parameter change."""
        self._dragging = not finished
        change = self._change_for(handle, view_pos)
        if change is not None:
            self.paramDragged.emit(*change)
        if finished:
            self._redraw()
            self.dragFinished.emit()

    def _change_for(self, handle: Handle, view_pos: QPointF):
        if handle.kind == "edge":
            step = min(max(view_pos.x(), 1.0), float(self._planned))
            return "decay_steps", max(1, round(step / handle.index))
        value = self._value_at(view_pos.y())
        if not value > 0:
            return None
        if handle.index == 0:
            return "initial_lr", schedule_math.round_significant(min(value, schedule_math.MAX_LR))
        rate = value / self._params["initial_lr"]
        return "decay_rate", schedule_math.round_significant(min(max(rate, 1e-6), 1.0))

    def _on_mouse_moved(self, scene_pos):
        # Cursor feedback: show which way a handle under the pointer moves.
        local = self.getViewBox().mapFromScene(scene_pos)
        handle = None if self._dragging else self.handle_at(local)
        if handle is None and not self._dragging:
            self.unsetCursor()
        elif handle is not None:
            self.setCursor(handle.cursor)
