"""The LR range finder (the fastai / Lightning idea), headless.

A short run raises the learning rate exponentially from ``start`` to ``end``
over ``steps`` batches and records the loss at each rate; it stops early once
the smoothed loss exceeds ``diverge`` times its best. The suggestion is the
rate where the smoothed loss falls fastest (on a log-LR axis) before its
minimum — a good starting LR. The model's weights, and its optimizer's state,
are put back afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .config import RunConfig
from .errors import ConfigError


@dataclass
class LRFinderResult:
    lrs: np.ndarray
    losses: np.ndarray  # raw, per step
    smoothed: np.ndarray  # exponential moving average, bias-corrected
    suggestion: float
    stopped_early: bool
    model: object = field(default=None, repr=False)


def _sweep_schedule(start: float, end: float, steps: int):
    import keras

    class ExponentialSweep(keras.optimizers.schedules.LearningRateSchedule):
        """lr = start * (end / start) ** (step / (steps - 1)): the finder's own ramp."""

        def __call__(self, step):
            fraction = keras.ops.cast(step, "float32") / max(steps - 1, 1)
            return start * keras.ops.power(end / start, fraction)

        def get_config(self):
            return {"start": start, "end": end, "steps": steps}

    return ExponentialSweep()


def smooth(losses: np.ndarray, beta: float = 0.9) -> np.ndarray:
    """Bias-corrected exponential moving average, as the finder plots it."""
    out, average = np.empty(len(losses)), 0.0
    for i, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        out[i] = average / (1 - beta ** (i + 1))
    return out


def suggest(lrs: np.ndarray, smoothed: np.ndarray) -> float:
    """The rate of steepest descent of the smoothed loss before its minimum (log-LR axis)."""
    finite = np.isfinite(smoothed)
    lrs, smoothed = lrs[finite], smoothed[finite]
    if len(lrs) < 3:
        raise ConfigError("find-lr", "recorded too few finite losses to suggest a rate", show_got=False)
    lowest = int(np.argmin(smoothed))
    if lowest < 2:
        return float(lrs[lowest])
    slopes = np.gradient(smoothed[: lowest + 1], np.log10(lrs[: lowest + 1]))
    return float(lrs[int(np.argmin(slopes))])


def find_lr(config: RunConfig, *, start: float = 1e-7, end: float = 10.0, steps: int = 100,
            diverge: float = 4.0, model=None, reporter=None) -> LRFinderResult:
    """Sweep the LR on ``config``'s data and model; restore the weights; suggest a rate.

    With ``model`` (one built by a previous call, say) the sweep runs on it and
    its weights and optimizer state are restored after; otherwise a model is
    built the way a run would build it, with the same seed.
    """
    if not (0 < start < end <= 100) or not all(map(math.isfinite, (start, end))):
        raise ConfigError("find-lr", "needs 0 < start < end <= 100", (start, end))
    if not isinstance(steps, int) or not 10 <= steps <= 10_000:
        raise ConfigError("find-lr steps", "must be an integer from 10 to 10000", steps)
    from . import data as data_module
    from .session import _make_model, seed_everything
    from .schedules import make_schedule

    dataset = data_module.load_dataset(config.data.dataset, image_size=config.data.image_size,
                                       color_mode=config.data.color_mode)
    seed_everything(config.training.seed, config.training.deterministic)
    if model is None:
        schedule = make_schedule(config.schedule.family, config.schedule.params)
        model = _make_model(config, dataset, schedule)[0]
    (x, y), _ = data_module.split(dataset.x_train, dataset.y_train, config.data.validation_split)
    lrs, losses, stopped = _sweep(model, x, y, config, start, end, steps, diverge)
    smoothed = smooth(losses)
    return LRFinderResult(lrs, losses, smoothed, suggest(lrs, smoothed), stopped, model)


def _sweep(model, x, y, config, start, end, steps, diverge):
    """Train ``steps`` batches on a ramped LR; put the model back as it was."""
    import keras

    from . import data as data_module
    from .plugins import find_optimizers

    optimizers = find_optimizers(model)
    saved_weights = [v.numpy().copy() for v in model.variables]
    saved_rates = [o._learning_rate for o in optimizers]
    saved_slots = [[v.numpy().copy() for v in o.variables] for o in optimizers]
    saved_counts = [int(o.iterations.numpy()) for o in optimizers]
    sweep = _sweep_schedule(start, end, steps)
    lrs, losses, best = [], [], math.inf

    class Track(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            stream.begin_epoch(epoch)

        def on_train_batch_end(self, batch, logs=None):
            nonlocal best
            loss = next((v for k, v in logs.items() if "loss" in k), math.nan)
            lrs.append(start * (end / start) ** (len(losses) / max(steps - 1, 1)))
            losses.append(loss)
            smoothed = smooth(np.array(losses))[-1]
            best = min(best, smoothed)
            if not math.isfinite(loss) or smoothed > diverge * best or len(losses) >= steps:
                self.model.stop_training = True

    stream = data_module.TrainStream(x, y, config.data.batch_size, config.training.seed)
    try:
        model.train_function = None  # traced with the old schedule: trace again with the sweep
        for optimizer in optimizers:
            optimizer.learning_rate = sweep
            optimizer.iterations.assign(0)
        epochs = math.ceil(steps / stream.batches_per_epoch)
        model.fit(stream.dataset(), epochs=epochs, verbose=0, shuffle=False, callbacks=[Track()])
    finally:
        model.train_function = None  # and again with the restored schedule
        for variable, value in zip(model.variables, saved_weights):
            variable.assign(value)
        for optimizer, rate, slots, count in zip(optimizers, saved_rates, saved_slots, saved_counts):
            optimizer.learning_rate = rate
            for variable, value in zip(optimizer.variables, slots):
                variable.assign(value)
            optimizer.iterations.assign(count)
    return np.array(lrs), np.array(losses, dtype=float), len(losses) < steps
