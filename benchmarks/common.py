"""Shared bits: configs, medians, the results table."""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str
    met: bool
    detail: str = ""


def median(values) -> float:
    return float(statistics.median(values))


def side_by_side(sides: dict, rounds: int) -> dict[str, list[float]]:
    """Each side's figure once a round, the order reversed every other round (A B C, C B A, …).

    This machine's speed drifts by 15-20 % over tens of seconds, so runs far apart
    in time are not comparable; runs side by side mostly are, and the swapped order
    cancels what is left of a steady drift. Compare a round with itself (``ratios``).
    """
    results: dict[str, list[float]] = {name: [] for name in sides}
    for index in range(rounds):
        order = list(sides) if index % 2 == 0 else list(reversed(sides))
        for name in order:
            results[name].append(sides[name]())
    return results


def bracketed(measured, reference, rounds: int) -> tuple[list[float], list[float], list[float]]:
    """``measured`` ``rounds`` times, each run between two runs of ``reference`` (R M R M … M R).

    Returns (measured's figures, reference's, and each measured run's ratio to the mean of
    the reference runs just before and just after it). That mean is the reference at the
    measured run's own time when the machine's speed drifts steadily, which a ratio to one
    neighbour (``side_by_side``) is not: over tens of seconds this machine drifts by 15-20 %.
    """
    references, figures, own = [reference()], [], []
    for _ in range(rounds):
        figures.append(measured())
        references.append(reference())
        own.append(figures[-1] / ((references[-2] + references[-1]) / 2))
    return figures, references, own


def ratios(numerators: list[float], denominators: list[float]) -> list[float]:
    """Each round's own ratio."""
    return [a / b for a, b in zip(numerators, denominators)]


def spread(values: list[float], digits: int = 2) -> str:
    """The middle half and the whole range of the rounds' figures (ratios, say): how noisy the machine was."""
    import numpy as np

    low, high = np.percentile(values, [25, 75])
    return f"middle half {low:.{digits}f}–{high:.{digits}f}, all {min(values):.{digits}f}–{max(values):.{digits}f}"


def median_interval(values, level: float = 0.9, resamples: int = 2000) -> tuple[float, float]:
    """A bootstrap interval of the median: where the median of ``values`` would fall, ``level`` of
    the time, if the rounds were drawn again (how far the figure itself can be trusted)."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    draws = np.random.default_rng(0).choice(values, size=(resamples, len(values)))
    low, high = np.percentile(np.median(draws, axis=1), [50 * (1 - level), 50 * (1 + level)])
    return float(low), float(high)


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))])


def bench_config(steps: int, **more):
    """The seed's run on the offline digits without validation: what the plain script also does."""
    from workbench.core.config import RunConfig

    return RunConfig().with_overrides({"training.steps": steps, "data.validation_split": 0.0,
                                       "training.checkpoint_steps": 0, "training.checkpoint_seconds": 0, **more})


def machine() -> str:
    import keras
    import PySide6
    import pyqtgraph
    import tensorflow as tf

    return (f"{platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
            f"TensorFlow {tf.__version__} · Keras {keras.__version__} · PySide6 {PySide6.__version__} · "
            f"pyqtgraph {pyqtgraph.__version__} · {time.strftime('%Y-%m-%d %H:%M')}")


def table(figures: list[Figure]) -> str:
    lines = ["| measure | value | target | met | detail |", "| --- | --- | --- | --- | --- |"]
    for f in figures:
        lines.append(f"| {f.name} | {f.value:.3g} {f.unit} | {f.target} | {'yes' if f.met else 'NO'} | {f.detail} |")
    return "\n".join(lines)
