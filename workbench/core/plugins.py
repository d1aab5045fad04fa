"""Your own train step: load a Python file that builds a ``keras.Model`` with its own ``train_step``.

The contract, in the file::

    def build_model(input_shape, num_classes):
        ...
        return model            # a keras.Model; compiled or not

- Not compiled: the workbench compiles it with the run's optimizer (driven by
  the run's schedule) and sparse categorical cross-entropy.
- Compiled with optimizers of its own (a GAN's ``d_optimizer`` and
  ``g_optimizer``, say): every optimizer found on the model is driven by the
  run's schedule.
- Whatever ``train_step`` returns is recorded per step and plotted. If it
  returns no ``lr``, the schedule's value at that step is recorded; no
  ``step``, the count of updates so far.
- Optional: ``def generate(model, count)`` returning ``count`` images
  (N, H, W[, C]) in [0, 1], which the window shows as a grid while training.

Every load executes the file afresh, so an edited file is picked up without
restarting. Errors name the file and the line.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from .errors import WorkbenchError


class PluginError(WorkbenchError):
    """A plugin file failed: the message names the file and the line."""


@dataclass
class Plugin:
    path: Path
    module: ModuleType

    @property
    def name(self) -> str:
        return self.path.name

    def build(self, input_shape, num_classes: int):
        """Call the file's ``build_model``; a wrong return value or an exception becomes a PluginError."""
        import keras

        try:
            model = self.module.build_model(tuple(input_shape), int(num_classes))
        except Exception as exc:
            raise PluginError(describe_failure(self.path, exc, "build_model raised")) from None
        if not isinstance(model, keras.Model):
            raise PluginError(f"{self.path}: build_model must return a keras.Model, "
                              f"got {type(model).__name__}")
        return model

    def generate(self, model, count: int):
        """Sample images from the model if the file defines ``generate``; else None."""
        fn = getattr(self.module, "generate", None)
        return None if fn is None else fn(model, count)


def is_plugin(name: str) -> bool:
    return name.endswith(".py")


def load_plugin(path) -> Plugin:
    """Execute the file as a fresh module and check it defines ``build_model``."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise PluginError(f"model.name: {path} does not exist (a plugin is a .py file defining build_model)")
    digest = hashlib.sha1(f"{path}:{path.stat().st_mtime_ns}".encode()).hexdigest()[:10]
    module_name = f"workbench_plugin_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        raise PluginError(f"{path}:{exc.lineno}: SyntaxError: {exc.msg}") from None
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise PluginError(describe_failure(path, exc, "importing it raised")) from None
    if not callable(getattr(module, "build_model", None)):
        raise PluginError(f"{path}: must define build_model(input_shape, num_classes) returning a keras.Model")
    return Plugin(path, module)


def describe_failure(path: Path, exc: BaseException, what: str = "") -> str:
    """``file:line: Type: message`` for the deepest frame of ``exc`` inside the plugin file."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() == path]
    where = f"{path}:{frames[-1].lineno}" if frames else str(path)
    prefix = f"{what}: " if what and not frames else ""
    return f"{where}: {prefix}{type(exc).__name__}: {exc}"


def find_optimizers(model) -> list:
    """``model.optimizer`` and every other optimizer held as an attribute, each once."""
    import keras

    found = []
    candidates = [getattr(model, "optimizer", None), *vars(model).values()]
    for value in candidates:
        if isinstance(value, keras.optimizers.Optimizer) and all(value is not f for f in found):
            found.append(value)
    return found


def classifier_scores(model, x, y, batch_size: int) -> dict | None:
    """Cross-entropy and accuracy of a plugin classifier on (x, y), from its predictions.

    A plugin's own ``metrics`` need not be updated by Keras' default
    ``test_step``, so held-out scores are computed here. None when the
    model's output is not one score per class.
    """
    import numpy as np

    predictions = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    if predictions.ndim != 2 or predictions.shape[0] != len(y) or predictions.shape[1] <= int(np.max(y)):
        return None
    is_probability = predictions.min() >= 0 and np.allclose(predictions.sum(axis=1), 1.0, atol=1e-3)
    if not is_probability:  # logits
        shifted = np.exp(predictions - predictions.max(axis=1, keepdims=True))
        predictions = shifted / shifted.sum(axis=1, keepdims=True)
    picked = np.clip(predictions[np.arange(len(y)), y], 1e-7, 1.0)
    return {"loss": float(-np.mean(np.log(picked))), "accuracy": float(np.mean(predictions.argmax(axis=1) == y))}
