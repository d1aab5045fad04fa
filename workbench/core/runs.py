"""Reading a run folder back: config, history, events, summary and model."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import RunConfig
from .errors import ConfigError
from .recorder import History, loss_columns


@dataclass
class RunFolder:
    """A run folder as ``workbench train`` (or the window) wrote it."""

    path: Path
    config: RunConfig
    history: History
    epochs: list = field(default_factory=list)
    events: list = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    @property
    def model_path(self) -> Path:
        return self.path / "model.keras"

    def load_model(self):
        """The trained model, compiled with its optimizer and schedule."""
        import keras

        from . import model, schedules  # noqa: F401  (register the custom classes)

        if not self.model_path.exists():
            raise ConfigError(str(self.path), "has no model.keras (the run saved no model)", show_got=False)
        return keras.models.load_model(self.model_path)

    def metadata(self) -> dict:
        """What travels with an exported model: the schedule and the whole config."""
        from .. import __version__

        return {
            "workbench_version": __version__,
            "schedule": {"family": self.config.schedule.family, **self.config.schedule.params},
            "config": self.config.to_dict(),
            "steps": len(self.history),
        }


def open_run(path) -> RunFolder:
    """Read a run folder; a folder that is not one gets a message saying what is missing."""
    path = Path(path)
    if not path.is_dir():
        raise ConfigError(str(path), "is not a run folder (no such folder)", show_got=False)
    missing = [name for name in ("config.toml", "history.csv") if not (path / name).is_file()]
    if missing:
        raise ConfigError(str(path), f"is not a run folder (no {' or '.join(missing)})", show_got=False)
    config = RunConfig.load(path / "config.toml")
    try:
        history = History.from_csv(path / "history.csv")
    except (ValueError, csv.Error) as exc:
        raise ConfigError(str(path / "history.csv"), f"is not a readable history ({exc})", show_got=False) from None
    return RunFolder(path, config, history, _epochs(path / "epochs.csv"),
                     _json(path / "events.json", []), _json(path / "summary.json", {}))


def _json(path: Path, default):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def _epochs(path: Path) -> list:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(f)]


def schedule_label(config: RunConfig) -> str:
    """``staircase initial_lr=0.001 decay_steps=1000 decay_rate=0.1``: for legends and tables."""
    params = " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in config.schedule.params.items())
    return f"{config.schedule.family} {params}"


def comparison_rows(folders: list[RunFolder], tail: int = 50) -> list[dict]:
    """One row of final figures per run: steps, final LR, loss over the last ``tail`` steps, scores."""
    rows = []
    for folder in folders:
        losses = {name: folder.history.column(name)[-tail:] for name in loss_columns(folder.history.columns)}
        final = {name: float(np.nanmean(v)) if len(v) and np.isfinite(v).any() else None
                 for name, v in losses.items()}
        last_epoch = folder.epochs[-1] if folder.epochs else {}
        rows.append({
            "run": folder.path.name,
            "schedule": schedule_label(folder.config),
            "steps": len(folder.history),
            "final_lr": float(folder.history.column("lr")[-1]) if len(folder.history) else None,
            # One loss: its value; a GAN's several: each named ("d_loss 0.69  g_loss 0.71").
            "final_loss": next(iter(final.values())) if len(final) == 1 else
            "  ".join(f"{k} {_fmt(v)}" for k, v in final.items()) or None,
            "val_accuracy": last_epoch.get("val_accuracy"),
            "test_accuracy": folder.summary.get("test", {}).get("accuracy"),
        })
    return rows


def format_table(rows: list[dict]) -> str:
    """A plain-text table, columns aligned."""
    if not rows:
        return ""
    names = list(rows[0])
    cells = [[_fmt(row[n]) for n in names] for row in rows]
    widths = [max(len(n), *(len(c[i]) for c in cells)) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
