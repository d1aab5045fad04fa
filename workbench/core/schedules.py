"""Keras learning-rate schedules whose parameters live in variables.

A Python float inside a traced train step is frozen at trace time
(tensorflow#51399), so every parameter here is a non-trainable variable: an
``update()`` made while a run is going takes effect at the next batch without
retracing. The formulas are shared with the numpy preview in ``schedule_math``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from . import schedule_math
from .errors import ConfigError


class VariableSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Base class: validated parameters held in ``keras.Variable`` objects."""

    family_name = ""

    def __init__(self, **params):
        values = schedule_math.validate(self.family_name, params)
        # The exact values people typed; the variables hold their float32 copies.
        self._params = values
        self._variables = {
            name: keras.Variable(
                np.asarray(value, dtype="float32"),
                dtype="float32",
                trainable=False,
                name=f"schedule_{name}",
            )
            for name, value in values.items()
        }

    @property
    def family(self) -> schedule_math.Family:
        return schedule_math.FAMILIES[self.family_name]

    def __call__(self, step):
        step = ops.cast(step, "float32")
        params = {name: ops.convert_to_tensor(v) for name, v in self._variables.items()}
        return ops.cast(self.family.formula(ops, step, params), "float32")

    @property
    def params(self) -> dict:
        """Current parameter values as plain Python numbers and lists."""
        return {name: (list(v) if isinstance(v, list) else v) for name, v in self._params.items()}

    def update(self, **changes) -> dict:
        """Validate ``changes`` against the current values and assign them.

        Returns the complete new parameter dict. Nothing is assigned when any
        value breaks a rule.
        """
        merged = schedule_math.validate(self.family_name, {**self.params, **changes})
        for name, value in merged.items():
            var = self._variables[name]
            value = np.asarray(value, dtype="float32")
            if value.shape != tuple(var.shape):
                raise ConfigError(
                    f"schedule.{name}",
                    f"cannot change length during a run (it has {var.shape[0]} entries)",
                    merged[name],
                )
        for name, value in merged.items():
            self._variables[name].assign(np.asarray(value, dtype="float32"))
        self._params = merged
        return self.params

    def scale_rates(self, factor: float) -> dict:
        """Multiply every learning-rate parameter (not step counts or fractions) by ``factor``."""
        changes = {}
        for param in self.family.params:
            value = self._params[param.name]
            if param.kind == "lr":
                changes[param.name] = value * factor
            elif param.kind == "values":
                changes[param.name] = [v * factor for v in value]
        return self.update(**changes)

    def preview(self, steps) -> np.ndarray:
        """The same curve computed with numpy, for plots."""
        return schedule_math.preview(self.family_name, self.params, steps)

    def get_config(self) -> dict:
        return self.params


@keras.saving.register_keras_serializable(package="workbench")
class StaircaseDecay(VariableSchedule):
    """lr = initial_lr * decay_rate ** floor(step / decay_steps): the seed's schedule."""

    family_name = "staircase"


@keras.saving.register_keras_serializable(package="workbench")
class ExponentialDecay(VariableSchedule):
    """lr = initial_lr * decay_rate ** (step / decay_steps)."""

    family_name = "exponential"


@keras.saving.register_keras_serializable(package="workbench")
class PiecewiseConstant(VariableSchedule):
    """values[i] while step passes boundaries[i-1]; Keras' boundary rule (step <= b stays)."""

    family_name = "piecewise"


@keras.saving.register_keras_serializable(package="workbench")
class CosineDecay(VariableSchedule):
    """Linear warm-up to initial_lr, then cosine decay to alpha * initial_lr."""

    family_name = "cosine"


@keras.saving.register_keras_serializable(package="workbench")
class CosineDecayRestarts(VariableSchedule):
    """SGDR: cosine periods that lengthen by t_mul, peaks scaled by m_mul."""

    family_name = "cosine_restarts"


@keras.saving.register_keras_serializable(package="workbench")
class PolynomialDecay(VariableSchedule):
    """(initial_lr - end_lr) * (1 - step / decay_steps) ** power + end_lr."""

    family_name = "polynomial"


@keras.saving.register_keras_serializable(package="workbench")
class OneCycle(VariableSchedule):
    """Cosine rise from max_lr/div_factor to max_lr, then fall to a tiny final rate."""

    family_name = "one_cycle"


@keras.saving.register_keras_serializable(package="workbench")
class ConstantSchedule(VariableSchedule):
    """A fixed rate that can still be changed mid-run."""

    family_name = "constant"


SCHEDULES: dict[str, type[VariableSchedule]] = {
    cls.family_name: cls
    for cls in (
        StaircaseDecay, ExponentialDecay, PiecewiseConstant, CosineDecay,
        CosineDecayRestarts, PolynomialDecay, OneCycle, ConstantSchedule,
    )
}


def make_schedule(family: str, params: dict) -> VariableSchedule:
    """Build the schedule for ``family`` (validated) from ``params``."""
    schedule_math.family(family)
    return SCHEDULES[family](**params)
