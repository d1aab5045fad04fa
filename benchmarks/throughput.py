"""Headless workbench steps/s ÷ a plain Keras script's, same model, data, batch and staircase."""

from __future__ import annotations

import time

import numpy as np

from .common import Figure, bench_config, median, ratios, side_by_side, spread

STEPS = 800
FAST_STEPS = 16
WARMUP_EPOCHS = 1


def plain_keras(steps: int) -> float:
    """The seed as a script: functional model, RMSprop on ExponentialDecay(staircase), fit(verbose=0)."""
    import keras

    from workbench.core.data import load_digits

    data = load_digits()
    keras.utils.set_random_seed(42)
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(512, activation="relu")(x)
    x = keras.layers.Dropout(0.5)(x)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    schedule = keras.optimizers.schedules.ExponentialDecay(0.001, 1000, 0.1, staircase=True)
    model.compile(keras.optimizers.RMSprop(schedule), "sparse_categorical_crossentropy", metrics=["accuracy"])
    per_epoch = int(np.ceil(len(data.x_train) / 64))
    times = []

    class EpochClock(keras.callbacks.Callback):  # epoch-level only: no per-batch sync forced
        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter())

    epochs = int(np.ceil(steps / per_epoch))
    model.fit(data.x_train, data.y_train, batch_size=64, epochs=epochs, verbose=0, callbacks=[EpochClock()])
    return per_epoch * (len(times) - WARMUP_EPOCHS - 1) / (times[-1] - times[WARMUP_EPOCHS])


def workbench_headless(steps: int, **more) -> float:
    from workbench.core.session import run

    result = run(bench_config(steps, **more))
    epochs, wall = result.history.column("epoch"), result.history.column("wall_time")
    first = int(np.argmax(epochs >= WARMUP_EPOCHS + 1))  # first step after warm-up
    return (len(wall) - 1 - first) / (wall[-1] - wall[first - 1])


def measure(rounds: int = 5) -> list[Figure]:
    runs = side_by_side({"plain": lambda: plain_keras(STEPS), "ours": lambda: workbench_headless(STEPS),
                         "fast": lambda: workbench_headless(STEPS, **{"training.steps_per_execution": FAST_STEPS})},
                        rounds)
    plain, ours, fast = runs["plain"], runs["ours"], runs["fast"]
    headless, quick = ratios(ours, plain), ratios(fast, plain)
    ratio, fast_ratio = median(headless), median(quick)
    return [
        Figure("headless ÷ plain Keras fit", ratio, "×", "≥ 1.0", ratio >= 1.0,
               f"median of {rounds} side-by-side rounds: {spread(headless)}; "
               f"{median(ours):.0f} vs {median(plain):.0f} steps/s, every step's LR and loss recorded"),
        Figure(f"fast mode (steps_per_execution={FAST_STEPS}) ÷ plain", fast_ratio, "×", "≥ 1.5", fast_ratio >= 1.5,
               f"{spread(quick)}; {median(fast):.0f} steps/s, still every step recorded"),
    ]
