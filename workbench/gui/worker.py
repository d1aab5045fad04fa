"""The training thread: runs ``core.session.run`` and reports through signals.

The thread owns no widgets. It emits a signal only for rare moments (start,
epoch end, pause/schedule events, messages, the end of the run); per-step data
goes into the core's ``History``, which the window reads on a timer. Commands
travel the other way through the core's ``RunControl``, which the training
step reads between batches — ``fit()`` blocks this thread, so a queued slot on
it would never run.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from PySide6.QtCore import QThread, Signal

from workbench.core.config import RunConfig
from workbench.core.control import RunControl
from workbench.core.errors import RunFailed, WorkbenchError
from workbench.core.recorder import Reporter

SAMPLE_COUNT = 16  # a 4 x 4 grid of generated images
SAMPLE_EVERY_S = 2.0


class SignalReporter(Reporter):
    """Forwards the run's rare moments to the thread's signals.

    ``on_step`` is inherited as a no-op on purpose: one signal per batch would
    flood the GUI's event queue at hundreds of steps per second.
    """

    def __init__(self, thread: "TrainingThread"):
        self._thread = thread

    def on_model(self, model):
        # Read here, on the training thread: the window never walks a model that is training.
        layers = model.weight_layers() if hasattr(model, "weight_layers") else []
        self._thread.modelBuilt.emit(model, list(layers))

    def on_start(self, history, total_steps, steps_per_epoch):
        self._thread.trainingStarted.emit(history, total_steps, steps_per_epoch)

    def on_epoch(self, record):
        self._thread.epochEnded.emit(dict(record))

    def on_event(self, event):
        self._thread.eventRecorded.emit(dict(event))

    def on_message(self, text):
        self._thread.messagePosted.emit(text)


class SamplingReporter(SignalReporter):
    """Also samples a plugin's ``generate(model, count)`` every epoch and every ~2 s.

    It runs between batches on the training thread, the only thread that may
    touch the model while it trains; the window gets a numpy array. A failing
    ``generate`` is reported once (file and line) and sampling stops.
    """

    def __init__(self, thread: "TrainingThread", plugin):
        super().__init__(thread)
        self._plugin = plugin
        self._model = None
        self._last = 0.0

    def on_model(self, model):
        self._model = model
        super().on_model(model)

    def on_step(self, record):
        if time.monotonic() - self._last >= SAMPLE_EVERY_S:
            self._sample()

    def on_epoch(self, record):
        super().on_epoch(record)
        self._sample()

    def _sample(self):
        self._last = time.monotonic()
        if self._model is None or self._plugin is None:
            return
        try:
            images = self._plugin.generate(self._model, SAMPLE_COUNT)
        except Exception as exc:
            from workbench.core.plugins import describe_failure

            self._plugin = None
            self._thread.messagePosted.emit(f"generate failed, no more samples: "
                                            f"{describe_failure(self._plugin_path, exc)}")
            return
        if images is not None:
            self._thread.samplesReady.emit(images)

    @property
    def _plugin_path(self) -> Path:
        return Path(self._thread.config.model.name).expanduser().resolve()


class TrainingThread(QThread):
    """One run of ``config`` under ``control``; emits exactly one of runFinished / runFailed.

    With ``out_dir`` the run writes its folder there; with ``resume`` it
    continues that folder from its last checkpoint.
    """

    modelBuilt = Signal(object, list)  # the model (read it only while the run holds), its layer names
    trainingStarted = Signal(object, object, object)  # history, total steps, steps per epoch
    epochEnded = Signal(dict)
    eventRecorded = Signal(dict)
    messagePosted = Signal(str)
    samplesReady = Signal(object)  # images (N, H, W[, C]) in [0, 1] from a plugin's generate()
    runFinished = Signal(object)  # RunResult
    runFailed = Signal(str, str)  # message for people, details (traceback) for the log

    def __init__(self, config: RunConfig, control: RunControl, out_dir=None, resume: bool = False, parent=None):
        super().__init__(parent)
        self.config = config
        self.control = control
        self.out_dir = out_dir
        self.resume = resume

    def run(self):
        # Imported here, on this thread: TensorFlow takes seconds to load and
        # the window must open without it.
        from workbench.core.session import run

        try:
            result = run(self.config, self.control, self._reporter(), self.out_dir, resume=self.resume)
        except RunFailed as exc:
            self.runFailed.emit(str(exc), _cause_traceback(exc))
        except WorkbenchError as exc:  # ConfigError, DataError, PluginError: the message says it all
            self.runFailed.emit(str(exc), "")
        except Exception as exc:  # anything else must not take the window down
            self.runFailed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        else:
            self.runFinished.emit(result)

    def _reporter(self) -> Reporter:
        """A sampling reporter for a plugin that defines ``generate``, else the plain one."""
        from workbench.core.plugins import is_plugin, load_plugin

        if not is_plugin(self.config.model.name):
            return SignalReporter(self)
        # The session loads the file again to build the model: a broken file is reported from there.
        try:
            plugin = load_plugin(self.config.model.name)
        except WorkbenchError:
            return SignalReporter(self)
        if getattr(plugin.module, "generate", None) is None:
            return SignalReporter(self)
        return SamplingReporter(self, plugin)


def _cause_traceback(exc: BaseException) -> str:
    cause = exc.__cause__
    if cause is None:
        return ""
    return "".join(traceback.format_exception(type(cause), cause, cause.__traceback__))
