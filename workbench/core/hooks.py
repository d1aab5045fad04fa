"""What happens between batches: record the step, guard against NaN, checkpoint, obey the control.

:class:`StepHooks` is plain Python; :func:`as_keras_callback` wraps it for
``fit``. It runs on the training thread every batch, so it stays cheap: one
row appended, a few comparisons, and a checkpoint only when one is due.
"""

from __future__ import annotations

import json
import math
import sys
import time

import numpy as np

from .checkpoint import Checkpoint
from .errors import ConfigError


class Checkpointer:
    """Decides when a checkpoint is due and keeps the last one (in memory and on disk)."""

    def __init__(self, run_dir=None, every_steps: int = 0, every_seconds: float = 0, appender=None):
        self.run_dir, self.every_steps, self.every_seconds = run_dir, every_steps, every_seconds
        self.appender = appender
        self.last: Checkpoint | None = None
        self._last_time = time.monotonic()

    def due(self, steps: int) -> bool:
        if self.last is None:
            return True
        by_steps = self.every_steps and steps - self.last.step >= self.every_steps
        by_time = self.every_seconds and time.monotonic() - self._last_time >= self.every_seconds
        return bool(by_steps or by_time)

    def save(self, model, optimizers, schedule, history, *, epoch: int, batch: int) -> Checkpoint:
        self.last = Checkpoint.capture(model, optimizers, schedule, history, epoch=epoch, batch=batch)
        self._last_time = time.monotonic()
        if self.run_dir is not None:
            if self.appender is not None:
                self.appender.flush()  # the rows the checkpoint counts are on disk first
            self.last.save(self.run_dir)
        return self.last


class StepHooks:
    """Keras-callback body for one ``fit`` call, resumable at (``start_epoch``, ``start_batch``)."""

    def __init__(self, run, *, start_epoch: int, start_batch: int, wall_offset: float):
        self.run = run  # the session's _Run: history, control, reporter, schedule, stream, limits
        self.start_epoch, self.start_batch = start_epoch, start_batch
        self.wall_offset = wall_offset
        self.epoch, self.batch_in_epoch = start_epoch, start_batch
        self.started = time.perf_counter()
        self.checkpoint_at_epoch_end = False
        self.non_finite_step: int | None = None
        self._epoch_iterator = None
        self._execution_steps = None  # fast mode: the count last given to the model

    # --- Keras hooks ---

    def on_train_begin(self, model):
        self._epoch_iterator = _running_epoch_iterator()
        self.started = time.perf_counter() - self.wall_offset
        # A plugin's own optimizers may build only at their first update: checkpoint after it then.
        if self.run.checkpointer.last is None and all(o.built for o in self.run.optimizers):
            self._checkpoint(model)
        self._between_batches(model)

    def on_epoch_begin(self, model, epoch):
        self.epoch = epoch
        self.batch_in_epoch = self.start_batch if epoch == self.start_epoch else 0
        self.run.stream.begin_epoch(epoch)

    def on_train_batch_begin(self, model):
        """Fast mode: the next call takes k batches, or what is left of the epoch or the run.

        (Keras makes ceil(epoch / k) calls an epoch whatever each takes, so a call takes no fewer:
        a Step while paused runs one call.)
        """
        steps = getattr(model, "execution_steps", None)
        if steps is None:
            return
        run = self.run
        left = run.stream.batches_per_epoch - self.batch_in_epoch
        if run.max_steps:
            left = min(left, run.max_steps - len(run.history))
        count = max(1, min(model.steps_per_execution, left))
        if count != self._execution_steps:
            steps.assign(count)
            self._execution_steps = count

    def on_train_batch_end(self, model, logs):
        run = self.run
        if run.step_options is not None:
            model.enforce_frozen()
        now = time.perf_counter() - self.started
        for record in self._records(model, logs):
            record["wall_time"] = now
            run.history.append(record)
            self.batch_in_epoch += 1
            run.reporter.on_step(record)
            if not finite_row(record) and self._on_non_finite(model, record):
                return
        if run.max_steps and len(run.history) >= run.max_steps:
            model.stop_training = True
            return
        if finite_row(run.history.last()) and run.checkpointer.due(len(run.history)):
            if self.batch_in_epoch < run.stream.batches_per_epoch:
                self._checkpoint(model)
            else:  # after this epoch's validation, so the resumed run need not redo it
                self.checkpoint_at_epoch_end = True
        self._between_batches(model)

    def _records(self, model, logs) -> list[dict]:
        """The rows for the step(s) Keras just ran: one, or in fast mode each step of the execution."""
        run = self.run
        step_log = getattr(model, "step_log", None)
        if step_log is not None:
            rows, names = np.asarray(step_log.numpy()), model.log_names
            done = int(model.optimizer.iterations.numpy())
            first = int(run.history.last()["step"]) + 1 if len(run.history) else done - 1 - (done - 1) % len(rows)
            return [{"step": float(s), "epoch": self.epoch,
                     **{n: float(v) for n, v in zip(names, rows[s % len(rows)]) if n != "step"}}
                    for s in range(first, done)]
        # A user's train_step may not report step or lr: they follow from the count and the schedule.
        step = logs.get("step", float(len(run.history)))
        lr = logs["lr"] if "lr" in logs else float(run.schedule.preview([step])[0])
        record = {"step": step, "epoch": self.epoch, "lr": lr}
        record.update((k, v) for k, v in logs.items() if k not in record)
        return [record]

    def on_epoch_end(self, model, epoch, logs):
        run = self.run
        rows = run.history.snapshot()
        mine = rows["epoch"] == epoch if len(run.history) else np.zeros(0, bool)
        record = {"epoch": epoch, "steps": int(mine.sum())}
        if mine.any():
            for name, values in rows.items():
                finite = values[mine][np.isfinite(values[mine])]
                if name not in ("step", "epoch", "lr", "wall_time") and finite.size:
                    record[name] = float(finite.mean())
        record.update((k, float(v)) for k, v in (logs or {}).items() if k.startswith("val_"))
        if run.held_out is not None:
            from .plugins import classifier_scores

            scores = classifier_scores(model, *run.held_out, run.batch_size) or {}
            record.update((f"val_{k}", v) for k, v in scores.items())
        run.history.add_epoch(record)
        if run.tensorboard is not None:
            run.tensorboard.write_new(run.history)
        run.reporter.on_epoch(record)
        self._plateau_rule(epoch)
        if self.checkpoint_at_epoch_end and self.non_finite_step is None:
            self.checkpoint_at_epoch_end = False
            self._checkpoint(model)

    def release_data(self) -> None:
        """End the ``fit`` call's data iterator now, on this thread; call once ``fit`` has returned.

        Keras keeps its epoch iterator in a reference cycle (it holds the
        generator that walks it), so without this the ``tf.data`` iterator —
        prefetch threads and all — lives on until the cyclic collector finds
        it, on whichever thread that runs (the GUI thread, in the window).
        """
        iterator, self._epoch_iterator = self._epoch_iterator, None
        if iterator is not None:
            for name in ("_epoch_iterator", "_current_iterator"):
                if hasattr(iterator, name):
                    setattr(iterator, name, None)

    # --- between batches ---

    def position(self) -> tuple[int, int]:
        """(epoch, batches done in it) to continue from after the last recorded step."""
        if self.batch_in_epoch >= self.run.stream.batches_per_epoch:
            return self.epoch + 1, 0
        return self.epoch, self.batch_in_epoch

    def _checkpoint(self, model):
        epoch, batch = self.position()
        run = self.run
        run.checkpointer.save(model, run.optimizers, run.schedule, run.history, epoch=epoch, batch=batch)

    def _on_non_finite(self, model, record) -> bool:
        """The loss is NaN or infinite: act on the run's ``on_nan`` policy. True: stop here."""
        run, step = self.run, int(record["step"])
        self.non_finite_step = step
        bad = ", ".join(f"{k} {v}" for k, v in record.items() if ("loss" in k or k == "grad_norm")
                        and not math.isfinite(v))
        detail = f"{bad} at step {step}"
        self._event(len(run.history) - 1, "nan", detail)
        if run.on_nan == "rollback":
            run.control.rollback(run.nan_lr_factor)
        elif run.on_nan == "pause":
            run.control.pause()  # the window offers: lower the LR and roll back, or stop
            return False
        model.stop_training = True
        return True

    def _plateau_rule(self, epoch: int):
        """The conditional rule: no better val_loss for ``patience`` epochs → LR × factor."""
        options = self.run.step_options
        if options is None or not options.plateau_patience:
            return
        if plateau_due(self.run.history.epochs, self.run.history.events, epoch, options.plateau_patience):
            params = self.run.schedule.scale_rates(options.plateau_factor)
            detail = json.dumps({"epoch": epoch, "lr_factor": options.plateau_factor, **params})
            self._event(len(self.run.history), "plateau", detail)

    def _between_batches(self, model):
        run = self.run
        self._apply_schedule_changes()
        step = len(run.history)
        if run.control.paused:
            self._event(step, "pause")
        if not run.control.checkpoint():
            model.stop_training = True
            if run.control.stop_requested:
                self._event(step, "stop")
            return
        if run.control.paused or self._last_event_kind() == "pause":
            self._event(step, "resume" if not run.control.paused else "step")
        self._apply_schedule_changes()

    def _apply_schedule_changes(self):
        """Edits queued from other threads: the schedule's parameters and the step options."""
        run = self.run
        changes = run.control.take_schedule_changes()
        step = len(run.history)
        if changes:
            try:
                params = run.schedule.update(**changes)
            except ConfigError as exc:
                self._event(step, "schedule_rejected", str(exc))
            else:
                self._event(step, "schedule", json.dumps(params))
        options = run.control.take_step_option_changes()
        if options:
            try:
                applied = run.apply_step_options(options)
            except ConfigError as exc:
                self._event(step, "step_options_rejected", str(exc))
            else:
                self._event(step, "step_options", json.dumps(applied))

    def _last_event_kind(self):
        events = self.run.history.events
        return events[-1]["kind"] if events else None

    def _event(self, step, kind, detail=""):
        self.run.reporter.on_event(self.run.history.add_event(step, kind, detail))


def finite_row(record: dict) -> bool:
    """Every loss the step reports, and the gradient norm if it reports one, is a finite number."""
    return all(math.isfinite(value) for key, value in record.items() if "loss" in key or key == "grad_norm")


def plateau_due(epochs: list, events: list, epoch: int, patience: int) -> bool:
    """True when ``patience`` epochs have passed since the best val_loss and since the last drop.

    Derived from the history alone, so a resumed run decides exactly as the
    uninterrupted one would.
    """
    losses = [(int(r["epoch"]), r["val_loss"]) for r in epochs if "val_loss" in r and int(r["epoch"]) <= epoch]
    if not losses:
        return False
    best_epoch = min(losses, key=lambda pair: pair[1])[0]
    drops = [json.loads(e["detail"])["epoch"] for e in events if e["kind"] == "plateau"]
    return epoch - max([best_epoch, *drops]) >= patience


def _running_epoch_iterator():
    """The epoch iterator of the ``fit`` call under way: a local of ``fit``, a few frames up."""
    try:
        from keras.src.trainers.epoch_iterator import EpochIterator
    except ImportError:  # another Keras layout: the collector ends the iterator instead
        return None
    frame = sys._getframe(1)
    for _ in range(10):
        if frame is None:
            break
        if frame.f_code.co_name == "fit":
            found = [v for v in frame.f_locals.values() if isinstance(v, EpochIterator)]
            if found:
                return found[0]
        frame = frame.f_back
    return None


def as_keras_callback(hooks: StepHooks):
    import keras

    class StepHooksCallback(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            hooks.on_train_begin(self.model)

        def on_epoch_begin(self, epoch, logs=None):
            hooks.on_epoch_begin(self.model, epoch)

        def on_train_batch_begin(self, batch, logs=None):
            hooks.on_train_batch_begin(self.model)

        def on_train_batch_end(self, batch, logs=None):
            hooks.on_train_batch_end(self.model, logs)

        def on_epoch_end(self, epoch, logs=None):
            hooks.on_epoch_end(self.model, epoch, logs)

    return StepHooksCallback()
