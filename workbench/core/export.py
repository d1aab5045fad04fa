"""Export a trained model in the formats people deploy, atomically.

``keras`` (native, reloads with ``keras.models.load_model``), ``savedmodel``
(``tf.saved_model.load`` serves it through ``serve``), ``tflite`` and
``weights``. A file or folder is written beside its target and renamed into
place, so a failed export leaves any earlier one intact. Each export carries
the run's schedule: inside the ``.keras`` archive (the optimizer's config), in
``workbench.json`` inside a SavedModel folder, and in a ``PATH.json`` sidecar
for TFLite and weights.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from .errors import ConfigError, WorkbenchError
from .files import atomic_folder, atomic_path, atomic_write_text

FORMATS = {"keras": ".keras", "savedmodel": "", "tflite": ".tflite", "weights": ".weights.h5"}


class ExportError(WorkbenchError):
    """An export could not be written; nothing that was there before is lost."""


def default_path(run_dir, fmt: str) -> Path:
    names = {"keras": "model.keras", "savedmodel": "saved_model", "tflite": "model.tflite",
             "weights": "model.weights.h5"}
    return Path(run_dir) / "export" / names[fmt]


def export_model(model, fmt: str, path, metadata: dict | None = None) -> Path:
    """Write ``model`` as ``fmt`` to ``path``; return the path written."""
    if fmt not in FORMATS:
        raise ConfigError("format", f"must be one of {', '.join(FORMATS)}", fmt)
    path = Path(path)
    if fmt == "weights" and not path.name.endswith(".weights.h5"):
        raise ConfigError("to", "must end in .weights.h5 for the weights format", str(path))
    if fmt == "keras" and path.suffix != ".keras":
        raise ConfigError("to", "must end in .keras for the keras format", str(path))
    try:
        _WRITERS[fmt](model, path, metadata)
    except WorkbenchError:
        raise
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def _keras(model, path: Path, metadata):
    with atomic_path(path) as tmp:
        model.save(tmp)  # the optimizer's config, schedule included, travels inside


def _weights(model, path: Path, metadata):
    with atomic_path(path) as tmp:
        model.save_weights(tmp)
    _sidecar(path, metadata)


def _saved_model_into(model, folder: Path):
    model.export(str(folder), format="tf_saved_model", verbose=False)


def _savedmodel(model, path: Path, metadata):
    with atomic_folder(path) as tmp:
        _saved_model_into(model, tmp)
        if metadata is not None:
            (tmp / "workbench.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")


def _tflite(model, path: Path, metadata):
    import tensorflow as tf

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "saved_model"
        _saved_model_into(model, folder)
        flat = tf.lite.TFLiteConverter.from_saved_model(str(folder)).convert()
    with atomic_path(path) as tmp:
        tmp.write_bytes(flat)
    _sidecar(path, metadata)


def _sidecar(path: Path, metadata):
    if metadata is not None:
        atomic_write_text(path.with_name(path.name + ".json"), json.dumps(metadata, indent=2))


_WRITERS = {"keras": _keras, "savedmodel": _savedmodel, "tflite": _tflite, "weights": _weights}
