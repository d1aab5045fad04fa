"""The training thread: runs ``core.session.run`` and reports through signals.

The thread owns no widgets. It emits a signal only for rare moments (start,
epoch end, pause/schedule events, messages, the end of the run); per-step data
goes into the core's ``History``, which the window reads on a timer. Commands
travel the other way through the core's ``RunControl``, which the training
step reads between batches — ``fit()`` blocks this thread, so a queued slot on
it would never run.
"""

from __future__ import annotations

import traceback

from PySide6.QtCore import QThread, Signal

from workbench.core.config import RunConfig
from workbench.core.control import RunControl
from workbench.core.errors import RunFailed, WorkbenchError
from workbench.core.recorder import Reporter


class SignalReporter(Reporter):
    """Forwards the run's rare moments to the thread's signals.

    ``on_step`` is inherited as a no-op on purpose: one signal per batch would
    flood the GUI's event queue at hundreds of steps per second.
    """

    def __init__(self, thread: "TrainingThread"):
        self._thread = thread

    def on_start(self, history, total_steps, steps_per_epoch):
        self._thread.trainingStarted.emit(history, total_steps, steps_per_epoch)

    def on_epoch(self, record):
        self._thread.epochEnded.emit(dict(record))

    def on_event(self, event):
        self._thread.eventRecorded.emit(dict(event))

    def on_message(self, text):
        self._thread.messagePosted.emit(text)


class TrainingThread(QThread):
    """One run of ``config`` under ``control``; emits exactly one of runFinished / runFailed."""

    trainingStarted = Signal(object, object, object)  # history, total steps, steps per epoch
    epochEnded = Signal(dict)
    eventRecorded = Signal(dict)
    messagePosted = Signal(str)
    runFinished = Signal(object)  # RunResult
    runFailed = Signal(str, str)  # message for people, details (traceback) for the log

    def __init__(self, config: RunConfig, control: RunControl, parent=None):
        super().__init__(parent)
        self.config = config
        self.control = control

    def run(self):
        # Imported here, on this thread: TensorFlow takes seconds to load and
        # the window must open without it.
        from workbench.core.session import run

        try:
            result = run(self.config, self.control, SignalReporter(self))
        except RunFailed as exc:
            self.runFailed.emit(str(exc), _cause_traceback(exc))
        except WorkbenchError as exc:  # ConfigError, DataError: the message says it all
            self.runFailed.emit(str(exc), "")
        except Exception as exc:  # anything else must not take the window down
            self.runFailed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        else:
            self.runFinished.emit(result)


def _cause_traceback(exc: BaseException) -> str:
    cause = exc.__cause__
    if cause is None:
        return ""
    return "".join(traceback.format_exception(type(cause), cause, cause.__traceback__))
