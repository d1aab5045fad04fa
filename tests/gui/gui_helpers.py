"""Helpers for GUI tests: deleting widgets safely, aiming at the preview, dragging like a person."""

from __future__ import annotations

import math

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QPointF, Qt
from PySide6.QtTest import QTest


def delete_now(widget) -> None:
    """Close and delete a widget through Qt (Python's collector racing pyqtgraph's teardown crashes)."""
    if shiboken6.isValid(widget):
        widget.close()
        widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def viewport_pos(preview, step: float, lr: float):
    """Where (step, lr) is drawn, in the preview's viewport pixels."""
    view = preview.getViewBox()
    y = math.log10(lr) if preview.log_y else lr
    scene = view.mapViewToScene(QPointF(step, y))
    return preview.mapFromScene(scene)


def drag(qtbot, preview, start, end, moves: int = 6) -> None:
    """Press, move in steps and release the left button on the preview's viewport."""
    viewport = preview.viewport()
    left = Qt.MouseButton.LeftButton
    QTest.mouseMove(viewport, start)
    QTest.mousePress(viewport, left, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, moves + 1):
        qtbot.wait(25)  # pyqtgraph drops moves closer together than its rate limit
        point = QPoint(start.x() + (end.x() - start.x()) * i // moves,
                       start.y() + (end.y() - start.y()) * i // moves)
        QTest.mouseMove(viewport, point)
    qtbot.wait(25)
    QTest.mouseRelease(viewport, left, Qt.KeyboardModifier.NoModifier, end)
