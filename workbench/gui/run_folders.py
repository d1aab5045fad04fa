"""Where the window's runs live, and which of them can be continued.

Every run the window starts gets a folder (checkpoints, ``history.csv``,
``model.keras``, TensorBoard files) under the runs folder: the ``runs/folder``
setting when set, else ``runs`` in the user's application data location.
The folder of the last run started is remembered, so the next start-up can
offer to continue it if it was cut short.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

from workbench.core.checkpoint import Checkpoint
from workbench.core.config import RunConfig
from workbench.core.errors import ConfigError

FOLDER_KEY = "runs/folder"
LAST_RUN_KEY = "runs/last"


def runs_root() -> Path:
    configured = QSettings().value(FOLDER_KEY, "")
    if configured:
        return Path(str(configured))
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(data) / "runs"


def new_run_folder(root: Path | None = None) -> Path:
    """A fresh, not yet existing folder named for now: ``2025-01-31_14-05-09`` (``-2``… if taken)."""
    root = runs_root() if root is None else root
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    folder, n = root / stamp, 1
    while folder.exists():
        n += 1
        folder = root / f"{stamp}-{n}"
    return folder


def remember_last_run(folder: Path | None) -> None:
    settings = QSettings()
    if folder is None:
        settings.remove(LAST_RUN_KEY)
    else:
        settings.setValue(LAST_RUN_KEY, str(folder))


def last_run() -> Path | None:
    value = QSettings().value(LAST_RUN_KEY, "")
    return Path(str(value)) if value else None


@dataclass
class Unfinished:
    """A run folder that stopped before its planned end and can be continued."""

    folder: Path
    config: RunConfig
    step: int  # steps done at its last checkpoint
    planned: int  # its training.steps (0: limited by epochs)
    crashed: bool  # no summary at all: the program ended without saving

    def describe(self) -> str:
        how = "was interrupted" if self.crashed else "was stopped"
        of = f" of {self.planned:,}" if self.planned else ""
        return f"The last run ({self.folder.name}) {how} at step {self.step:,}{of}."


def unfinished(folder: Path | None) -> Unfinished | None:
    """``folder`` if it has a checkpoint short of its planned steps and did not finish; else None.

    A run that ended on an error (its summary says so) is not offered: it
    would meet the same error again.
    """
    if folder is None or not (folder / "config.toml").is_file():
        return None
    try:
        config = RunConfig.load(folder / "config.toml")
        checkpoint = Checkpoint.load(folder)
    except ConfigError:
        return None
    summary = _read_json(folder / "summary.json")
    if summary is not None and (not summary.get("stopped_early") or summary.get("error")):
        return None
    planned = config.training.steps
    if planned and checkpoint.step >= planned:
        return None
    return Unfinished(folder, config, checkpoint.step, planned, crashed=summary is None)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
