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
