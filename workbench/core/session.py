"""One whole training run: ``run(config, control, reporter)``, headless and Qt-free."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path


from . import data as data_module
from .config import RunConfig, StepConfig
from .config import _step as validate_step
from .control import RunControl
from .errors import ConfigError, RunFailed
from .files import atomic_path, atomic_write_text
from .hooks import Checkpointer, StepHooks, as_keras_callback, finite_row
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
    checkpointer: object = None
    evaluator: str | None = "keras"  # keras | classifier (a plugin's predictions) | None (a GAN, say)


@dataclass
class _Run:
    """What the between-batch hooks need; one per run, shared by every ``fit`` call."""

    history: History
    control: RunControl
    reporter: Reporter
    schedule: object
    stream: object
    checkpointer: object
    max_steps: int
    on_nan: str
    model: object = None
    optimizers: list = field(default_factory=list)
    step_options: StepConfig | None = None  # None: a plugin's model, which has no step options
    epochs: int = 1
    validation: object = None  # a tf.data set for fit, when Keras' own test_step can score the model
    held_out: tuple | None = None  # (x, y) scored from a plugin classifier's predictions
    batch_size: int = 64
    nan_lr_factor: float = 0.1
    tensorboard: object = None

    def apply_step_options(self, changes: dict) -> dict:
        """Validate and apply step-option changes (clip_norm, l2, frozen) to the model."""
        if self.step_options is None:
            raise ConfigError("step", "options apply to the built-in models only", show_got=False)
        unknown = sorted(set(changes) - {"clip_norm", "l2", "frozen"})
        if unknown:
            raise ConfigError(f"step.{unknown[0]}", "cannot change during a run (clip_norm, l2 and frozen can)",
                              show_got=False)
        merged = validate_step({**dataclasses.asdict(self.step_options), **changes})
        self.model.set_step_options(**{k: getattr(merged, k) for k in changes})
        self.step_options = merged
        return {k: getattr(merged, k) for k in changes}


def seed_everything(seed: int, deterministic: bool) -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def make_strategy(name: str):
    """The ``tf.distribute`` strategy for ``training.strategy``: Keras' ``fit`` does the rest.

    ``mirrored``: every local GPU, or every (logical) CPU when there is none.
    ``multiworker``: the machines named in ``TF_CONFIG``, each running the same command.
    """
    import tensorflow as tf

    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if name == "multiworker":
        return _multiworker_strategy()
    return tf.distribute.get_strategy()


_MULTIWORKER = []


def _multiworker_strategy():
    """One per process: TensorFlow allows a single collective setup per program."""
    import tensorflow as tf

    if not _MULTIWORKER:
        _MULTIWORKER.append(tf.distribute.MultiWorkerMirroredStrategy())
    return _MULTIWORKER[0]


def run(config: RunConfig, control: RunControl | None = None, reporter: Reporter | None = None,
        out_dir=None, *, resume: bool = False) -> RunResult:
    """Train ``config`` to the end (or until stopped) and return the result.

    With ``out_dir`` the run folder is written: ``config.toml`` first, then
    ``history.csv`` (appended as it goes), checkpoints, TensorBoard events, and
    at the end ``epochs.csv``, ``events.json``, ``model.keras`` and
    ``summary.json`` — also when training fails, in which case
    :class:`RunFailed` carries the partial result. With ``resume`` the run
    continues from ``out_dir``'s last checkpoint at exactly the next step.
    """
    control = control or RunControl()
    reporter = reporter or Reporter()
    out = Path(out_dir) if out_dir is not None else None
    checkpoint = _open_folder(out, config, resume)
    strategy = make_strategy(config.training.strategy)  # multi-worker setup must come before other TF work
    reporter.on_message(f"Loading {config.data.dataset}…")
    dataset = data_module.load_dataset(
        config.data.dataset, image_size=config.data.image_size, color_mode=config.data.color_mode)
    if dataset.non_finite_values():
        reporter.on_message(f"warning: the dataset holds {dataset.non_finite_values()} NaN or infinite values")
    seed_everything(config.training.seed, config.training.deterministic)
    result, state = _build(config, dataset, control, reporter, out, strategy)
    if checkpoint is not None:
        state.history.extend_from_csv(out / "history.csv")
        checkpoint.restore(result.model, state.optimizers, result.schedule, state.history)
        if state.step_options is not None:  # frozen layers stay at their restored values
            result.model.set_step_options(frozen=state.step_options.frozen)
        state.checkpointer.last = checkpoint
        state.checkpointer.appender.rewrite()
        reporter.on_message(f"Resuming at step {checkpoint.step} (epoch {checkpoint.epoch + 1})")
    reporter.on_model(result.model)
    reporter.on_start(state.history, state.max_steps or state.epochs * state.stream.batches_per_epoch,
                      state.stream.batches_per_epoch)
    started = time.perf_counter()
    try:
        hooks = _train(result.model, state, control, checkpoint, config.training.nan_retries)
        result.summary = _summary(result, time.perf_counter() - started, stopped=control.stop_requested)
        last = state.checkpointer.last
        if hooks is not None and last is not None and not finite_row(state.history.last()):
            # Stopped on a NaN it paused at: keep the last good state, not the broken weights.
            last.restore_weights(result.model)
            result.summary["weights_from_step"] = last.step
            reporter.on_message(f"The last step was not finite: the saved model holds the weights of step "
                                f"{last.step} (the last checkpoint)")
        elif hooks is not None and (last is None or last.step != len(state.history)):
            # A finished or stopped run can be continued later (--resume with more steps).
            epoch, batch = hooks.position()
            state.checkpointer.save(result.model, state.optimizers, state.schedule, state.history,
                                    epoch=epoch, batch=batch)
        # A stopped run ends fast (closing the window waits for it): no held-out pass then.
        if dataset.x_test is not None and len(state.history) and result.evaluator and not control.stop_requested:
            reporter.on_message("Evaluating on held-out data…")
            result.summary["test"] = _evaluate(result, dataset.x_test, dataset.y_test, config.data.batch_size)
    except BaseException as exc:
        result.summary = _summary(result, time.perf_counter() - started, stopped=True,
                                  error=f"{type(exc).__name__}: {exc}")
        if out is not None:
            save_run_folder(out, result)
        if isinstance(exc, RunFailed):
            exc.result = result
            raise
        if isinstance(exc, Exception):
            raise RunFailed(f"training failed at step {len(state.history)}: {_describe(config, exc)}",
                            result) from exc
        raise
    if out is not None:
        save_run_folder(out, result)
    return result


def _describe(config: RunConfig, exc: Exception) -> str:
    """The error; for a plugin, with the file and line inside it where it happened."""
    from .plugins import describe_failure, is_plugin

    if is_plugin(config.model.name):
        return describe_failure(Path(config.model.name).expanduser().resolve(), exc)
    return f"{type(exc).__name__}: {exc}"


def _open_folder(out: Path | None, config: RunConfig, resume: bool):
    """Prepare the run folder; with ``resume``, return its last checkpoint."""
    if resume:
        if out is None:
            raise ConfigError("resume", "needs the run folder to resume", show_got=False)
        from .checkpoint import Checkpoint

        return Checkpoint.load(out)
    if out is not None:
        _prepare_run_folder(out, config)
    return None


def _build(config: RunConfig, dataset, control, reporter, out, strategy) -> tuple[RunResult, _Run]:
    """Data stream, schedule, model, checkpointer and TensorBoard writer for a run."""
    from .recorder import CsvAppender
    from .schedules import make_schedule

    (x_train, y_train), validation = data_module.split(
        dataset.x_train, dataset.y_train, config.data.validation_split)
    stream = data_module.TrainStream(x_train, y_train, config.data.batch_size, config.training.seed)
    with strategy.scope():
        schedule = make_schedule(config.schedule.family, config.schedule.params)
        model, optimizers, step_options, evaluator = _make_model(config, dataset, schedule)
    history = History()
    tensorboard = appender = None
    if out is not None:
        from .tensorboard import TensorBoardWriter

        tensorboard = TensorBoardWriter(out / "tensorboard")
        appender = CsvAppender(out / "history.csv", history)
    training = config.training
    checkpointer = Checkpointer(out, training.checkpoint_steps, training.checkpoint_seconds, appender)
    epochs, max_steps = _plan(config, stream.batches_per_epoch)
    validation_ds = held_out = None
    if validation and evaluator == "keras":
        validation_ds = data_module.to_tf_dataset(*validation, config.data.batch_size)
    elif validation and evaluator == "classifier":
        held_out = validation
    state = _Run(history, control, reporter, schedule, stream, checkpointer, max_steps, training.on_nan,
                 model=model, optimizers=optimizers, step_options=step_options, epochs=epochs,
                 validation=validation_ds, held_out=held_out, batch_size=config.data.batch_size,
                 tensorboard=tensorboard)
    result = RunResult(config, history, model, schedule, tensorboard=tensorboard, checkpointer=checkpointer,
                       evaluator=evaluator)
    return result, state


def _make_model(config: RunConfig, dataset, schedule):
    """(model, its optimizers, step options or None, how held-out data is scored: keras/classifier/None)."""
    import keras

    from .model import OPTIMIZERS, build_model, lean_train_function
    from .plugins import find_optimizers, is_plugin, load_plugin

    if not is_plugin(config.model.name):
        model = build_model(config.model.name, dataset.input_shape, dataset.num_classes, config.model.optimizer,
                            schedule, top3_accuracy=config.step.top3_accuracy,
                            steps_per_execution=config.training.steps_per_execution)
        model.set_step_options(clip_norm=config.step.clip_norm, l2=config.step.l2, frozen=config.step.frozen)
        model.optimizer.build(model.trainable_variables)
        return model, [model.optimizer], config.step, "keras"
    if config.training.steps_per_execution > 1:
        raise ConfigError("training.steps_per_execution", "above 1 needs a built-in model (mlp or cnn)",
                          config.training.steps_per_execution)
    model = load_plugin(config.model.name).build(dataset.input_shape, dataset.num_classes)
    if not model.compiled:
        model.compile(optimizer=OPTIMIZERS[config.model.optimizer](learning_rate=schedule),
                      loss=keras.losses.SparseCategoricalCrossentropy())
    optimizers = find_optimizers(model)
    for optimizer in optimizers:
        optimizer.learning_rate = schedule  # the workbench's schedule drives every optimizer
    if getattr(model, "steps_per_execution", 1) == 1:
        model.train_function = lean_train_function(model)  # the user's train_step, called leaner
    # A model compiled with a loss is a classifier we can score; a GAN compiled without one is not.
    return model, optimizers, None, "classifier" if getattr(model, "loss", None) is not None else None


def _train(model, state: _Run, control: RunControl, checkpoint, nan_retries: int):
    """``fit`` from the start or a checkpoint; roll back and go again when asked to.

    Returns the last ``fit`` call's hooks (None when there was nothing left to train).
    """
    epoch, batch, wall = (checkpoint.epoch, checkpoint.batch, checkpoint.wall_time) if checkpoint else (0, 0, 0.0)
    rollbacks, hooks = 0, None
    while epoch < state.epochs and not _limit_reached(state):
        hooks = StepHooks(state, start_epoch=epoch, start_batch=batch, wall_offset=wall)
        state.stream.begin_epoch(epoch)
        if batch:  # a partly done epoch is finished by a fit call of its own (its dataset is shorter)
            data, epochs, per_epoch = state.stream.dataset(skip=batch), epoch + 1, None
        else:  # whole epochs: one pass over all of them, the next epoch prefetched while one ends
            data, epochs = state.stream.epochs_dataset(epoch, state.epochs), state.epochs
            per_epoch = state.stream.batches_per_epoch
            if getattr(model, "steps_per_execution", 1) > 1:
                # Keras counts k batches a call, more than an epoch's short last call takes, and would
                # end a pass of known length early; an endless one it leaves to steps_per_epoch.
                data = data.repeat()
        try:
            model.fit(data, validation_data=state.validation, epochs=epochs, initial_epoch=epoch,
                      steps_per_epoch=per_epoch, verbose=0, shuffle=False, callbacks=[as_keras_callback(hooks)])
        finally:
            hooks.release_data()
            if getattr(model, "execution_steps", None) is not None:  # whole calls again, for a fit of one's own
                model.execution_steps.assign(model.steps_per_execution)
        factor = control.take_rollback()
        if factor is not None:
            rollbacks += 1
            if rollbacks > nan_retries:
                raise RunFailed(f"the loss was still not finite after {nan_retries} rollbacks with a lower "
                                "learning rate; check the data for NaN values")
            epoch, batch, wall = _roll_back(model, state, factor)
            continue
        if hooks.non_finite_step is not None and state.on_nan != "pause":
            raise RunFailed(f"the loss became NaN or infinite at step {hooks.non_finite_step}; "
                            "try a lower learning rate, or training.on_nan = \"rollback\"")
        if control.stop_requested:
            break
        epoch, batch = hooks.position()
        wall = state.history.last().get("wall_time", wall)
    return hooks


def _limit_reached(state: _Run) -> bool:
    return bool(state.max_steps) and len(state.history) >= state.max_steps


def _roll_back(model, state: _Run, factor: float) -> tuple[int, int, float]:
    """Restore the last checkpoint and scale the schedule's rates by ``factor``."""
    last = state.checkpointer.last
    # The rows after the checkpoint go; what went wrong and what was done about it stays.
    kept = [e for e in state.history.events if e["kind"] in ("nan", "rollback") and e["step"] >= last.step]
    last.restore(model, state.optimizers, state.schedule, state.history)
    if state.step_options is not None:
        model.set_step_options(frozen=state.step_options.frozen)
    state.history.events.extend(kept)
    params = state.schedule.scale_rates(factor)
    event = state.history.add_event(last.step, "rollback", json.dumps({"lr_factor": factor, **params}))
    state.reporter.on_event(event)
    if state.checkpointer.appender is not None:
        state.checkpointer.appender.rewrite()
    return last.epoch, last.batch, last.wall_time


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


def _evaluate(result: RunResult, x, y, batch_size) -> dict | None:
    """Loss and metrics on held-out samples."""
    if result.evaluator == "classifier":
        from .plugins import classifier_scores

        return classifier_scores(result.model, x, y, batch_size)
    ds = data_module.to_tf_dataset(x, y, batch_size)
    return {k: float(v) for k, v in result.model.evaluate(ds, verbose=0, return_dict=True).items()}


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
