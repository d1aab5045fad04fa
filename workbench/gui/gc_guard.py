"""Python's garbage collector, run on the GUI thread only.

The cyclic collector runs on whichever thread happens to allocate when a
threshold is crossed — often the training thread, busy importing TensorFlow —
and libraries call ``gc.collect()`` from their own threads too (the TFLite
converter does, inside an export job). Qt objects caught in reference cycles
(pyqtgraph's ViewBox menus, a closed dialog held by its own signal
connection) would then be destroyed off the GUI thread: Qt refuses to touch
their timers ("Timers cannot be started from another thread") or deadlocks
against the GUI thread on its signal-slot lock.

So automatic collection is switched off, ``gc.collect()`` called from any
other thread is put off, and a GUI-thread timer collects instead, generation
by generation as the thresholds say (pyqtgraph's ``GarbageCollector`` idea,
with the timer owned by the application).

A full collection walks every object — with TensorFlow and a model loaded,
~400k of them, 50-100 ms holding the GIL, during which training stands still.
CPython makes them rare: one is due only once the objects that survived since
the last one exceed a quarter of those that were there before. The timer keeps
that rule by freezing the survivors of each full collection (``gc.freeze``):
the unfrozen old generation is then exactly the newcomers, and the next full
collection unfreezes everything first, so no garbage is kept for good.
"""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QCoreApplication, QTimer

INTERVAL_MS = 1000
_timer: QTimer | None = None
_gui_thread = 0
_collect_now = gc.collect


def collect_on_gui_thread(app: QCoreApplication) -> None:
    """Collect only on ``app``'s thread (the calling one), from a timer; once per process."""
    global _timer, _gui_thread
    if _timer is not None:
        return
    _gui_thread = threading.get_ident()
    _timer = QTimer(app)
    _timer.setInterval(INTERVAL_MS)
    _timer.timeout.connect(_collect)
    gc.disable()
    gc.collect = _collect_on_gui_thread_only
    _timer.start()


def _collect_on_gui_thread_only(generation: int = 2) -> int:
    """``gc.collect`` as other code sees it: at once on the GUI thread, else at the next tick."""
    if threading.get_ident() == _gui_thread:
        return _full() if generation >= 2 else _collect_now(generation)
    return 0


def _collect() -> None:
    threshold = gc.get_threshold()
    young, middle, old = gc.get_count()
    if young > threshold[0]:
        if middle <= threshold[1]:
            _collect_now(0)
        elif old > threshold[2] and full_collection_due():
            _full()
        else:
            _collect_now(1)


def full_collection_due() -> bool:
    """CPython's rule: the old objects new since the last full collection exceed a quarter of those frozen by it."""
    return len(gc.get_objects(generation=2)) > gc.get_freeze_count() / 4


def _full() -> int:
    """Collect every generation, frozen objects included, then freeze the survivors."""
    gc.unfreeze()
    try:
        return _collect_now(2)
    finally:
        gc.freeze()
