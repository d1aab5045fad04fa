"""Learning-rate schedule formulas and their parameter rules.

Each formula is written once against an array namespace ``xp`` so the same
code runs as ``keras.ops`` inside the traced train step and as numpy for the
schedule form's preview. This module imports numpy only: the window can draw a
preview before TensorFlow has loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import ConfigError

MAX_LR = 10.0
MAX_STEPS = 10**9


@dataclass(frozen=True)
class Param:
    """One schedule parameter: its default and the rule it must satisfy."""

    name: str
    default: object
    kind: str  # "lr" | "steps" | "count" | "rate" | "fraction" | "factor" | "boundaries" | "values"
    label: str

    def check(self, value, field: str):
        """Return ``value`` normalised to the right Python type, or raise ConfigError."""
        return _CHECKS[self.kind](value, field)


def _number(value, field, rule):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ConfigError(field, rule, value)
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(field, rule, value)
    return value


def _lr(value, field):
    rule = f"must be a positive number no larger than {MAX_LR:g}"
    value = _number(value, field, rule)
    if not 0 < value <= MAX_LR:
        raise ConfigError(field, rule, value)
    return value


def _int(value, field, rule, low):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(field, rule, value)
    if not low <= int(value) <= MAX_STEPS:
        raise ConfigError(field, rule, value)
    return int(value)


def _steps(value, field):
    return _int(value, field, "must be a positive integer", 1)


def _count(value, field):
    return _int(value, field, "must be a non-negative integer", 0)


def _rate(value, field):
    rule = "must be a number in (0, 1]"
    value = _number(value, field, rule)
    if not 0 < value <= 1:
        raise ConfigError(field, rule, value)
    return value


def _fraction(value, field):
    rule = "must be a number in [0, 1]"
    value = _number(value, field, rule)
    if not 0 <= value <= 1:
        raise ConfigError(field, rule, value)
    return value


def _factor(value, field):
    rule = "must be a number >= 1 and no larger than 1e6"
    value = _number(value, field, rule)
    if not 1 <= value <= 1e6:
        raise ConfigError(field, rule, value)
    return value


def _boundaries(value, field):
    rule = "must be a list of increasing positive integers"
    if not isinstance(value, (list, tuple)) or not value:
        raise ConfigError(field, rule, value)
    out = [_int(v, field, rule, 1) for v in value]
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ConfigError(field, rule, value)
    return out


def _values(value, field):
    rule = f"must be a list of positive numbers no larger than {MAX_LR:g}"
    if not isinstance(value, (list, tuple)) or not value:
        raise ConfigError(field, rule, value)
    return [_lr(v, field) for v in value]


_CHECKS = {
    "lr": _lr,
    "steps": _steps,
    "count": _count,
    "rate": _rate,
    "fraction": _fraction,
    "factor": _factor,
    "boundaries": _boundaries,
    "values": _values,
}


# --- formulas: ``step`` is a float array (numpy) or scalar tensor (keras.ops) ---


def _staircase(xp, step, p):
    return p["initial_lr"] * xp.power(p["decay_rate"], xp.floor(step / p["decay_steps"]))


def _exponential(xp, step, p):
    return p["initial_lr"] * xp.power(p["decay_rate"], step / p["decay_steps"])


def _piecewise(xp, step, p):
    passed = xp.cast(xp.expand_dims(step, -1) > p["boundaries"], "int32")
    return xp.take(p["values"], xp.sum(passed, axis=-1))


def _cosine(xp, step, p):
    warmup = p["warmup_steps"]
    warm = p["initial_lr"] * step / xp.maximum(warmup, 1.0)
    done = xp.minimum(xp.maximum(step - warmup, 0.0), p["decay_steps"]) / p["decay_steps"]
    decayed = (1 - p["alpha"]) * 0.5 * (1 + xp.cos(math.pi * done)) + p["alpha"]
    return xp.where(step < warmup, warm, p["initial_lr"] * decayed)


def _cosine_restarts(xp, step, p):
    t_mul, fraction = p["t_mul"], step / p["first_decay_steps"]
    # Both branches are evaluated; keep the unused one finite.
    safe_t = xp.where(t_mul == 1.0, 2.0, t_mul)
    geometric = xp.floor(xp.log(1.0 - fraction * (1.0 - safe_t)) / xp.log(safe_t))
    restart = xp.where(t_mul == 1.0, xp.floor(fraction), geometric)
    done_before = xp.where(t_mul == 1.0, restart, (1.0 - xp.power(safe_t, restart)) / (1.0 - safe_t))
    fraction = (fraction - done_before) / xp.power(t_mul, restart)
    cosine = 0.5 * xp.power(p["m_mul"], restart) * (1.0 + xp.cos(math.pi * fraction))
    return p["initial_lr"] * ((1 - p["alpha"]) * cosine + p["alpha"])


def _polynomial(xp, step, p):
    done = xp.minimum(step, p["decay_steps"]) / p["decay_steps"]
    return (p["initial_lr"] - p["end_lr"]) * xp.power(1.0 - done, p["power"]) + p["end_lr"]


def _one_cycle(xp, step, p):
    total, peak = p["total_steps"], p["max_lr"]
    rise = xp.maximum(p["pct_start"] * total, 1.0)
    start, end = peak / p["div_factor"], peak / (p["div_factor"] * p["final_div_factor"])
    up = xp.minimum(step / rise, 1.0)
    down = xp.minimum(xp.maximum(step - rise, 0.0) / xp.maximum(total - rise, 1.0), 1.0)
    rising = _cosine_between(start, peak, up, xp)
    falling = _cosine_between(peak, end, down, xp)
    return xp.where(step < rise, rising, falling)


def _cosine_between(begin, finish, fraction, xp):
    """Cosine interpolation from ``begin`` (fraction 0) to ``finish`` (fraction 1)."""
    return finish + (begin - finish) * 0.5 * (1.0 + xp.cos(math.pi * fraction))


def _constant(xp, step, p):
    return p["lr"] + 0.0 * step


@dataclass(frozen=True)
class Family:
    """A schedule family: its name, parameters and formula."""

    name: str
    title: str
    params: tuple[Param, ...]
    formula: Callable

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


def _p(name, default, kind, label):
    return Param(name, default, kind, label)


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("staircase", "Staircase (step) decay", (
            _p("initial_lr", 0.001, "lr", "Initial LR"),
            _p("decay_steps", 1000, "steps", "Decay steps"),
            _p("decay_rate", 0.1, "rate", "Decay rate"),
        ), _staircase),
        Family("exponential", "Exponential decay", (
            _p("initial_lr", 0.001, "lr", "Initial LR"),
            _p("decay_steps", 1000, "steps", "Decay steps"),
            _p("decay_rate", 0.1, "rate", "Decay rate"),
        ), _exponential),
        Family("piecewise", "Piecewise constant", (
            _p("boundaries", [1000, 2000], "boundaries", "Boundaries"),
            _p("values", [0.001, 0.0005, 0.0001], "values", "Values"),
        ), _piecewise),
        Family("cosine", "Cosine decay with warm-up", (
            _p("initial_lr", 0.001, "lr", "Peak LR"),
            _p("decay_steps", 3000, "steps", "Decay steps"),
            _p("alpha", 0.0, "fraction", "Final fraction"),
            _p("warmup_steps", 100, "count", "Warm-up steps"),
        ), _cosine),
        Family("cosine_restarts", "Cosine with restarts", (
            _p("initial_lr", 0.001, "lr", "Initial LR"),
            _p("first_decay_steps", 500, "steps", "First period"),
            _p("t_mul", 2.0, "factor", "Period multiplier"),
            _p("m_mul", 1.0, "rate", "Peak multiplier"),
            _p("alpha", 0.0, "fraction", "Final fraction"),
        ), _cosine_restarts),
        Family("polynomial", "Polynomial decay", (
            _p("initial_lr", 0.001, "lr", "Initial LR"),
            _p("decay_steps", 3000, "steps", "Decay steps"),
            _p("end_lr", 0.0001, "lr", "End LR"),
            _p("power", 1.0, "factor", "Power"),
        ), _polynomial),
        Family("one_cycle", "One-cycle", (
            _p("max_lr", 0.01, "lr", "Max LR"),
            _p("total_steps", 3000, "steps", "Total steps"),
            _p("pct_start", 0.3, "fraction", "Rise fraction"),
            _p("div_factor", 25.0, "factor", "Start divisor"),
            _p("final_div_factor", 1e4, "factor", "Final divisor"),
        ), _one_cycle),
        Family("constant", "Constant", (
            _p("lr", 0.001, "lr", "Learning rate"),
        ), _constant),
    )
}


def family(name: str) -> Family:
    """The family called ``name``, or a ConfigError listing the known ones."""
    try:
        return FAMILIES[name]
    except (KeyError, TypeError):
        raise ConfigError("schedule.family", f"must be one of {', '.join(FAMILIES)}", name) from None


def validate(name: str, params: dict, prefix: str = "schedule") -> dict:
    """Check ``params`` for family ``name``; return a complete, normalised dict.

    Missing parameters take their defaults; unknown ones are an error.
    """
    fam = family(name)
    unknown = sorted(set(params) - {p.name for p in fam.params})
    if unknown:
        raise ConfigError(
            f"{prefix}.{unknown[0]}",
            f"is not a parameter of the {name} schedule (it takes {', '.join(fam.defaults())})",
            show_got=False,
        )
    out = {p.name: p.check(params.get(p.name, p.default), f"{prefix}.{p.name}") for p in fam.params}
    if name == "piecewise" and len(out["values"]) != len(out["boundaries"]) + 1:
        raise ConfigError(
            f"{prefix}.values",
            f"must have one more entry than boundaries ({len(out['boundaries']) + 1})",
            out["values"],
        )
    return out


class _NumpyOps:
    """The few ``keras.ops`` names the formulas use, for numpy arrays."""

    floor, power, cos, log = np.floor, np.power, np.cos, np.log
    minimum, maximum, where, sum, take = np.minimum, np.maximum, np.where, np.sum, np.take
    expand_dims = staticmethod(np.expand_dims)

    @staticmethod
    def cast(x, dtype):
        return np.asarray(x).astype(dtype)


def preview(name: str, params: dict, steps) -> np.ndarray:
    """The learning rate at each of ``steps`` (array-like), computed with numpy."""
    fam = family(name)
    steps = np.asarray(steps, dtype=np.float64)
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.asarray(fam.formula(_NumpyOps, steps, p), dtype=np.float64)


def round_significant(value: float, digits: int = 3) -> float:
    """A value a person would type: ``0.000123456`` → ``0.000123`` (for drags and suggested rates)."""
    return float(f"{value:.{digits}g}")
