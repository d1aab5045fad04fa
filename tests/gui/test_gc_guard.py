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
