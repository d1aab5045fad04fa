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

A burst of new objects that live on (TensorFlow importing on the training
thread, a model being built and traced) is frozen as it is found, not scanned:
a young collection of 200k objects holds the GIL for 60-110 ms, and the middle
collection they then fill for up to 200 ms, mid-run. Freezing is O(1). Those
objects count as newcomers toward the next full collection, which scans them
with the rest: garbage among them waits for it, as CPython's own rule lets the
old generation grow by a quarter before it looks. When a burst was that big
(TensorFlow's import is), that collection comes at the first quiet tick after
it: once, about 0.3 s with TensorFlow loaded, where before there were three
young collections, a middle one and a full one, the last two mid-run.
"""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QCoreApplication, QTimer

INTERVAL_MS = 1000
BULK = 20_000  # young objects at a tick past which they are frozen rather than scanned
_timer: QTimer | None = None
_gui_thread = 0
_collect_now = gc.collect
_frozen_by_full = 0  # objects the last full collection froze (or start-up did)
_newcomers = 0  # objects frozen in bulk since


def collect_on_gui_thread(app: QCoreApplication) -> None:
    """Collect only on ``app``'s thread (the calling one), from a timer; once per process."""
    global _timer, _gui_thread, _frozen_by_full
    if _timer is not None:
        return
    _gui_thread = threading.get_ident()
    gc.freeze()  # what start-up made (modules, classes, Qt wrappers): the base the newcomers are measured on
    _frozen_by_full = gc.get_freeze_count()
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
    global _newcomers
    threshold = gc.get_threshold()
    young, middle, old = gc.get_count()
    if young > BULK:
        gc.freeze()  # a burst of lasting objects: out of every collection until the next full one
        _newcomers += young
    elif _newcomers and full_collection_due():
        _full()  # the burst is over and was big: scan it now, with everything
    elif young > threshold[0]:
        if middle <= threshold[1]:
            _collect_now(0)
        elif old > threshold[2] and full_collection_due():
            _full()
        else:
            _collect_now(1)


def full_collection_due() -> bool:
    """CPython's rule: the old objects new since the last full collection (those frozen in bulk
    since included) exceed a quarter of those frozen by it."""
    # (Counted, not measured: gc.get_freeze_count() walks every frozen object, 40 ms at 460k.)
    return len(gc.get_objects(generation=2)) + _newcomers > _frozen_by_full / 4


def _full() -> int:
    """Collect every generation, frozen objects included, then freeze the survivors."""
    global _frozen_by_full, _newcomers
    gc.unfreeze()
    try:
        return _collect_now(2)
    finally:
        gc.freeze()
        _frozen_by_full, _newcomers = gc.get_freeze_count(), 0
