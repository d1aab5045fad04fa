"""One whole training run: ``run(config, control, reporter)``, headless and Qt-free."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import data as data_module
from .config import RunConfig
from .control import RunControl
from .errors import ConfigError, RunFailed
from .files import atomic_path, atomic_write_text
from .recorder import History, Reporter


@dataclass
class RunResult:
    """What a run leaves behind, finished or not."""

    config: RunConfig
    history: History
    model: object = None
    schedule: object = None
    summary: dict = field(default_factory=dict)
    tensorboard: object = None


class _StepRecorder:
    """Keras callback body: record each step, apply schedule edits, obey the control.

    Built as a plain class and wrapped by :func:`_as_callback` so this module
    does not import Keras at import time.
    """

    def __init__(self, history, control, reporter, schedule, max_steps, tensorboard=None):
        self.history, self.control, self.reporter = history, control, reporter
        self.schedule, self.max_steps = schedule, max_steps
        self.tensorboard = tensorboard
        self.epoch = 0
        self.steps_done = 0
        self.started = time.perf_counter()

    def on_train_begin(self, model, logs=None):
        self.started = time.perf_counter()
        self._between_batches(model)

    def on_epoch_begin(self, model, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, model, batch, logs):
        record = {"step": logs["step"], "epoch": self.epoch, "lr": logs["lr"], "loss": logs["loss"]}
        record.update((k, v) for k, v in logs.items() if k not in record)
        record["wall_time"] = time.perf_counter() - self.started
        self.history.append(record)
        self.steps_done += 1
        self.reporter.on_step(record)
        if self.max_steps and self.steps_done >= self.max_steps:
            model.stop_training = True
            return
        self._between_batches(model)

    def on_epoch_end(self, model, epoch, logs):
        rows = self.history.snapshot()
        mine = rows["epoch"] == epoch if len(self.history) else np.zeros(0, bool)
        record = {"epoch": epoch, "steps": int(mine.sum())}
        for name in ("loss", "accuracy"):
            if name in rows and mine.any():
                record[name] = float(np.nanmean(rows[name][mine]))
        record.update((k, float(v)) for k, v in (logs or {}).items() if k.startswith("val_"))
        self.history.add_epoch(record)
        if self.tensorboard is not None:
            self.tensorboard.write_new(self.history)
        self.reporter.on_epoch(record)

    def _between_batches(self, model):
        self._apply_schedule_changes()
        step = len(self.history)
        if self.control.paused:
            self._event(step, "pause")
        if not self.control.checkpoint():
            model.stop_training = True
            self._event(step, "stop")
            return
        if self.control.paused or self._last_event_kind() == "pause":
            self._event(step, "resume" if not self.control.paused else "step")
        self._apply_schedule_changes()

    def _apply_schedule_changes(self):
        changes = self.control.take_schedule_changes()
        if not changes:
            return
        step = len(self.history)
        try:
            params = self.schedule.update(**changes)
        except ConfigError as exc:
            self._event(step, "schedule_rejected", str(exc))
        else:
            self._event(step, "schedule", json.dumps(params))

    def _last_event_kind(self):
        return self.history.events[-1]["kind"] if self.history.events else None

    def _event(self, step, kind, detail=""):
        self.reporter.on_event(self.history.add_event(step, kind, detail))


def _as_callback(recorder: _StepRecorder):
    import keras

    class StepRecorderCallback(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            recorder.on_train_begin(self.model, logs)

        def on_epoch_begin(self, epoch, logs=None):
            recorder.on_epoch_begin(self.model, epoch, logs)

        def on_train_batch_end(self, batch, logs=None):
            recorder.on_train_batch_end(self.model, batch, logs)

        def on_epoch_end(self, epoch, logs=None):
            recorder.on_epoch_end(self.model, epoch, logs)

    return StepRecorderCallback()


def seed_everything(seed: int, deterministic: bool) -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def run(config: RunConfig, control: RunControl | None = None, reporter: Reporter | None = None,
        out_dir=None) -> RunResult:
    """Train ``config`` to the end (or until stopped) and return the result.

    With ``out_dir`` the run folder is written: ``config.toml`` first, then
    ``history.csv``, ``epochs.csv``, ``model.keras`` and ``summary.json`` —
    also when training fails, in which case :class:`RunFailed` carries the
    partial result.
    """
    from .model import build_model
    from .schedules import make_schedule

    control = control or RunControl()
    reporter = reporter or Reporter()
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        _prepare_run_folder(out, config)
    history = History()
    result = RunResult(config=config, history=history)

    reporter.on_message(f"Loading {config.data.dataset}…")
    dataset = data_module.load_dataset(
        config.data.dataset, image_size=config.data.image_size, color_mode=config.data.color_mode)
    seed_everything(config.training.seed, config.training.deterministic)
    (x_train, y_train), validation = data_module.split(
        dataset.x_train, dataset.y_train, config.data.validation_split)
    batch_size = config.data.batch_size
    steps_per_epoch = math.ceil(len(x_train) / batch_size)
    epochs, max_steps = _plan(config, steps_per_epoch)

    schedule = make_schedule(config.schedule.family, config.schedule.params)
    model = build_model(config.model.name, dataset.input_shape, dataset.num_classes,
                        config.model.optimizer, schedule)
    result.model, result.schedule = model, schedule
    train_ds = data_module.to_tf_dataset(x_train, y_train, batch_size, shuffle_seed=config.training.seed)
    val_ds = data_module.to_tf_dataset(*validation, batch_size, shuffle_seed=None) if validation else None
    tensorboard = None
    if out is not None:
        from .tensorboard import TensorBoardWriter

        tensorboard = result.tensorboard = TensorBoardWriter(out / "tensorboard")
    recorder = _StepRecorder(history, control, reporter, schedule, max_steps, tensorboard)
    reporter.on_start(history, max_steps or epochs * steps_per_epoch, steps_per_epoch)

    started = time.perf_counter()
    try:
        model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0, shuffle=False,
                  callbacks=[_as_callback(recorder)])
        result.summary = _summary(result, time.perf_counter() - started, stopped=control.stop_requested)
        if dataset.x_test is not None and len(history):
            reporter.on_message("Evaluating on held-out data…")
            result.summary["test"] = _evaluate(model, dataset.x_test, dataset.y_test, batch_size)
    except BaseException as exc:
        result.summary = _summary(result, time.perf_counter() - started, stopped=True,
                                  error=f"{type(exc).__name__}: {exc}")
        if out is not None:
            save_run_folder(out, result)
        if isinstance(exc, Exception):
            raise RunFailed(f"training failed at step {len(history)}: {type(exc).__name__}: {exc}",
                            result) from exc
        raise
    if out is not None:
        save_run_folder(out, result)
    return result


def _plan(config: RunConfig, steps_per_epoch: int) -> tuple[int, int]:
    """(epochs to give ``fit``, step limit or 0)."""
    steps, epochs = config.training.steps, config.training.epochs
    if epochs == 0:
        return math.ceil(steps / steps_per_epoch), steps
    return epochs, steps


def _summary(result: RunResult, seconds: float, *, stopped: bool, error: str | None = None) -> dict:
    history = result.history
    steps = len(history)
    wall = history.column("wall_time")
    # Steps per second after the first step, which includes tracing.
    rate = (steps - 1) / (wall[-1] - wall[0]) if steps > 2 and wall[-1] > wall[0] else None
    summary = {
        "steps": steps,
        "epochs_completed": len(history.epochs),
        "seconds": round(seconds, 3),
        "steps_per_second": float(rate) if rate else None,
        "stopped_early": bool(stopped),
        "final_lr": history.last().get("lr"),
        "schedule": {"family": result.schedule.family_name, **result.schedule.params},
    }
    if history.epochs:
        summary["last_epoch"] = history.epochs[-1]
    if error:
        summary["error"] = error
    return summary


def _evaluate(model, x, y, batch_size) -> dict:
    """Loss and metrics on held-out samples."""
    ds = data_module.to_tf_dataset(x, y, batch_size, shuffle_seed=None)
    return {k: float(v) for k, v in model.evaluate(ds, verbose=0, return_dict=True).items()}


def _prepare_run_folder(out: Path, config: RunConfig) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError("out", "must be a folder, not a file", str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
        config.save(out / "config.toml")
    except OSError as exc:
        raise ConfigError("out", f"must be a writable folder ({exc.strerror})", str(out)) from None


def save_run_folder(out: Path, result: RunResult) -> list[str]:
    """Write history, epochs, events, model, summary (and TensorBoard's rest) into ``out``.

    Each file is written atomically and on its own: one that fails (a model
    that cannot be saved, say) does not stop the others. Returns the problems.
    """
    out = Path(out)
    history = result.history
    writers = [
        ("history.csv", lambda: history.save_csv(out / "history.csv")),
        ("epochs.csv", lambda: atomic_write_text(out / "epochs.csv", history.epochs_csv())),
        ("events.json", lambda: atomic_write_text(out / "events.json", json.dumps(history.events, indent=2))),
        ("model.keras", lambda: _save_model(result.model, out / "model.keras")),
        ("tensorboard", lambda: _finish_tensorboard(result.tensorboard, history)),
    ]
    problems = []
    for name, write in writers:
        try:
            write()
        except Exception as exc:  # keep saving the rest
            problems.append(f"{name}: {type(exc).__name__}: {exc}")
    if problems:
        result.summary["save_problems"] = problems
    atomic_write_text(out / "summary.json", json.dumps(result.summary, indent=2))
    return problems


def _save_model(model, path: Path) -> None:
    if model is not None:
        with atomic_path(path) as tmp:
            model.save(tmp)


def _finish_tensorboard(writer, history: History) -> None:
    if writer is not None:
        writer.write_new(history)
        writer.close()
