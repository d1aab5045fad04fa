"""One background job at a time — an export, an LR sweep, loading a plugin file — off the GUI thread.

A job is a plain function; ``TaskRunner.start(label, fn, on_done)`` runs it on
a ``QThread`` and calls ``on_done(result)`` (or ``on_failed(message,
details)``) back on the GUI thread. Like the training thread, the job owns no
widgets.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

from workbench.core.errors import WorkbenchError

HOLD_TIMEOUT_S = 30.0


class TaskThread(QThread):
    done = Signal(object)
    failed = Signal(str, str)  # message, details

    def __init__(self, fn: Callable, parent=None):
        super().__init__(parent)
        self._fn = fn

    def run(self):
        try:
            result = self._fn()
        except WorkbenchError as exc:  # ConfigError, ExportError, PluginError: the message says it all
            self.failed.emit(str(exc), "")
        except Exception as exc:  # anything else must not take the window down
            self.failed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        else:
            self.done.emit(result)


class TaskRunner(QObject):
    """Runs one job at a time; ``busy`` while it does."""

    busyChanged = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = ""
        self._thread: TaskThread | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def start(self, label: str, fn: Callable, on_done: Callable, on_failed: Callable) -> bool:
        """Run ``fn()`` in the background; False (and nothing run) while another job is going."""
        if self._thread is not None:
            return False
        self.label = label
        thread = TaskThread(fn)
        thread.done.connect(on_done)
        thread.failed.connect(on_failed)
        thread.finished.connect(self._on_thread_finished)
        self._thread = thread
        thread.start()
        self.busyChanged.emit(True)
        return True

    def shutdown(self) -> None:
        """Wait for the job (for closing the window); its result is dropped."""
        if self._thread is not None:
            for signal in (self._thread.done, self._thread.failed, self._thread.finished):
                signal.disconnect()
            self._thread.wait()
            self._on_thread_finished()

    def _on_thread_finished(self):
        thread, self._thread = self._thread, None
        if thread is None:
            return
        thread.wait()
        thread.deleteLater()
        self.label = ""
        self.busyChanged.emit(False)


def wait_until_holding(control, timeout_s: float = HOLD_TIMEOUT_S) -> None:
    """Block (on a job's thread) until a paused run is held between batches.

    Pausing takes effect after the current batch; only then may another
    thread read the model's weights.
    """
    deadline = time.monotonic() + timeout_s
    while control is not None and not control.holding:
        if control.stop_requested or time.monotonic() > deadline:
            raise WorkbenchError("the run did not hold between batches; nothing was read from it")
        time.sleep(0.01)
