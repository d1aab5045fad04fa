"""Crash-safe checkpoints: everything needed to continue a run at exactly the next step.

A checkpoint holds the model's variables (dropout's random state included),
the optimizer's (its iteration count included), the schedule's parameters, the
data position (epoch and batches done in it), the per-epoch records and events,
and how many rows of the run's append-only ``history.csv`` belong to it. It is
written as a folder built beside the old one and swapped in, so a crash while
writing leaves the previous checkpoint whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ConfigError
from .files import atomic_folder
from .recorder import History

FOLDER = "checkpoint"
FORMAT = 1


@dataclass
class Checkpoint:
    """One saved state: arrays plus the position to continue from."""

    step: int  # optimizer updates done
    epoch: int  # the epoch to continue in
    batch: int  # batches of that epoch already done
    wall_time: float  # seconds of training before this point
    schedule: dict  # the schedule's parameters then
    model_variables: list
    optimizer_variables: list
    epochs: list  # per-epoch records so far
    events: list  # pauses, edits… so far

    @classmethod
    def capture(cls, model, optimizers, schedule, history: History, *, epoch: int, batch: int) -> "Checkpoint":
        last = history.last()
        return cls(
            step=len(history), epoch=epoch, batch=batch, wall_time=last.get("wall_time", 0.0),
            schedule=schedule.params,
            model_variables=[np.array(v.numpy()) for v in model.variables],
            optimizer_variables=[np.array(v.numpy()) for o in optimizers for v in o.variables],
            epochs=list(history.epochs), events=list(history.events),
        )

    def restore(self, model, optimizers, schedule, history: History) -> None:
        """Put the saved state back into ``model``, its optimizers, ``schedule`` and ``history``.

        The history is cut to the checkpoint's ``step`` rows.
        """
        _assign(model.variables, self.model_variables, "model")
        _assign([v for o in optimizers for v in o.variables], self.optimizer_variables, "optimizer")
        schedule.update(**self.schedule)
        if len(history) < self.step:
            raise ConfigError("history.csv", f"has {len(history)} rows but the checkpoint needs {self.step}",
                              show_got=False)
        history.truncate(self.step)
        history.epochs[:] = self.epochs
        history.events[:] = self.events

    def restore_weights(self, model) -> None:
        """Only the model's variables: the weights as they were at ``step``."""
        _assign(model.variables, self.model_variables, "model")

    def save(self, run_dir) -> None:
        meta = {"format": FORMAT, "step": self.step, "epoch": self.epoch, "batch": self.batch,
                "wall_time": self.wall_time, "schedule": self.schedule}
        with atomic_folder(Path(run_dir) / FOLDER) as tmp:
            arrays = {f"model_{i}": a for i, a in enumerate(self.model_variables)}
            arrays.update({f"optimizer_{i}": a for i, a in enumerate(self.optimizer_variables)})
            np.savez(tmp / "state.npz", **arrays)
            (tmp / "epochs.json").write_text(json.dumps(self.epochs), encoding="utf-8")
            (tmp / "events.json").write_text(json.dumps(self.events), encoding="utf-8")
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, run_dir) -> "Checkpoint":
        folder = Path(run_dir) / FOLDER
        previous = Path(run_dir) / f".{FOLDER}.old"  # left by a crash in the middle of a swap
        if not (folder / "meta.json").is_file() and (previous / "meta.json").is_file():
            folder = previous
        if not (folder / "meta.json").is_file():
            raise ConfigError(str(run_dir), "has no checkpoint to resume from (no checkpoint/meta.json)",
                              show_got=False)
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            with np.load(folder / "state.npz", allow_pickle=False) as state:
                model = _ordered(state, "model_")
                optimizer = _ordered(state, "optimizer_")
            return cls(step=meta["step"], epoch=meta["epoch"], batch=meta["batch"], wall_time=meta["wall_time"],
                       schedule=meta["schedule"], model_variables=model, optimizer_variables=optimizer,
                       epochs=json.loads((folder / "epochs.json").read_text(encoding="utf-8")),
                       events=json.loads((folder / "events.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(str(folder), f"is not a readable checkpoint ({exc})", show_got=False) from None


def _ordered(state, prefix: str) -> list:
    keys = sorted((k for k in state.files if k.startswith(prefix)), key=lambda k: int(k[len(prefix):]))
    return [state[k] for k in keys]


def _assign(variables, arrays, what: str) -> None:
    if len(variables) != len(arrays) or any(v.shape != a.shape for v, a in zip(variables, arrays)):
        raise ConfigError("checkpoint", f"does not fit this {what} (the config or model changed since it was saved)",
                          show_got=False)
    for variable, array in zip(variables, arrays):
        variable.assign(array)
