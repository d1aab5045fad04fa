"""The GUI-thread collector: full collections as rare as CPython's, and no garbage kept by freezing."""

from __future__ import annotations

import gc
import weakref

from workbench.gui import gc_guard


class Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_a_full_collection_is_due_only_once_a_quarter_more_old_objects_survived(qapp):
    gc.collect()  # on the GUI thread: unfreezes, collects everything, freezes the survivors
    frozen = gc.get_freeze_count()
    assert frozen > 0 and not gc_guard.full_collection_due()
    kept = [[i] for i in range(frozen // 4 + 1000)]  # survivors of younger collections...
    gc_guard._collect_now(1)  # ...now in the old generation
    assert gc_guard.full_collection_due()
    del kept
    gc.collect()
    assert not gc_guard.full_collection_due()


def test_garbage_among_frozen_objects_is_still_collected(qapp):
    node = Node()
    gone = weakref.ref(node)
    gc.collect()  # node survives, and is frozen
    assert gc.get_freeze_count() > 0 and gone() is node
    del node
    gc.collect()
    assert gone() is None


def test_a_burst_of_new_objects_is_frozen_not_scanned_and_the_next_quiet_tick_collects_it(qapp):
    """TensorFlow importing makes 200k objects a second: scanning them would hold the GIL 100 ms a tick."""
    gc.collect()
    base = gc.get_freeze_count()
    node = Node()  # garbage in the burst
    gone = weakref.ref(node)
    del node
    burst = [[i] for i in range(max(gc_guard.BULK, base // 4) + 1000)]
    gc_guard._collect()  # the tick in the burst: frozen as they are, nothing collected
    assert gc.get_count()[0] < 10 and gc.get_freeze_count() >= base + len(burst)
    assert gone() is not None and gc_guard.full_collection_due()
    gc_guard._collect()  # the next tick, quiet: the burst was over a quarter of the base, a full collection
    assert gone() is None and not gc_guard.full_collection_due()
    assert gc.get_freeze_count() >= base + len(burst)  # what lives on is frozen again
    del burst
    gc.collect()


def test_a_small_burst_waits_for_the_old_generation_rule(qapp):
    ballast = [[i] for i in range(4 * (gc_guard.BULK + 1000))]  # as much as TensorFlow leaves, at least
    gc.collect()
    node = Node()
    gone = weakref.ref(node)
    del node
    burst = [[i] for i in range(gc_guard.BULK + 1000)]  # under a quarter of what was there
    assert len(burst) < gc.get_freeze_count() / 4
    gc_guard._collect()
    gc_guard._collect()
    assert gone() is not None  # frozen, counted toward the next full collection
    del burst, ballast
    gc.collect()
    assert gone() is None
