"""Continuing runs: Run → Resume run…, the start-up offer for a cut-short run, and the NaN offer.

None of these block: offers appear in the banner above the plot with their
buttons, and problems go to the error banner and the log.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from workbench.core.checkpoint import Checkpoint
from workbench.core.config import RunConfig
from workbench.core.errors import ConfigError

from . import run_folders

NAN_LR_FACTOR = 0.1


class RunRecovery(QObject):
    """Resuming run folders and answering a run that paused itself on a NaN."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._nan_event: dict = {}
        window.commands["resume_run"].triggered.connect(self._on_resume_run_triggered)

    # --- resuming ---

    def _on_resume_run_triggered(self):
        start = str(run_folders.runs_root())
        folder = QFileDialog.getExistingDirectory(self.window, "Resume run folder", start)
        if folder:
            self.resume(Path(folder))

    def resume(self, folder: Path) -> bool:
        """Continue ``folder`` from its last checkpoint with the config it was started with."""
        window = self.window
        if window.run.active:
            window.report_error("Stop the current run before resuming another")
            return False
        try:
            config = RunConfig.load(folder / "config.toml")
            checkpoint = Checkpoint.load(folder)
        except ConfigError as exc:
            window.report_error(f"Cannot resume {folder}: {exc}")
            return False
        window.offers.withdraw("resume")
        window.log.add(f"Resuming {folder} from step {checkpoint.step:,}")
        window.start_run(config, folder, resume=True)
        return True

    def offer_unfinished(self) -> bool:
        """At start-up: if the last run the window started was cut short, offer to continue it."""
        unfinished = run_folders.unfinished(run_folders.last_run())
        if unfinished is None:
            return False
        self.window.offers.offer("resume", f"{unfinished.describe()} Continue it from its last checkpoint?", [
            ("Resume", "resumeOfferButton", lambda: self.resume(unfinished.folder)),
            ("Dismiss", "dismissOfferButton", lambda: run_folders.remember_last_run(None)),
        ])
        return True

    # --- NaN ---

    def on_nan(self, event: dict) -> None:
        """The run paused itself on a non-finite loss: say so and offer the two ways on."""
        window = self.window
        self._nan_event = event
        text = (f"Step {event['step']}: the loss is not finite ({event.get('detail', '')}). The run is paused. "
                f"Go back to the last checkpoint with the learning rate ×{NAN_LR_FACTOR:g}, or stop?")
        window.offers.offer("nan", text, [
            (f"Lower LR ×{NAN_LR_FACTOR:g} and roll back", "rollbackButton", self._on_rollback_chosen),
            ("Stop", "nanStopButton", self._on_stop_chosen),
        ])
        window.statusBar().showMessage(f"Paused: NaN loss at step {event['step']}")

    def _on_rollback_chosen(self):
        if not self._wait_for_job():
            self.window.run.rollback(NAN_LR_FACTOR)

    def _on_stop_chosen(self):
        if not self._wait_for_job():
            self.window.run.stop()

    def _wait_for_job(self) -> bool:
        """True (and the offer shown again) while a job reads the paused run's weights: it must hold still."""
        tasks = self.window.tasks
        if not tasks.busy:
            return False
        self.window.statusBar().showMessage(f"Wait for the job to finish ({tasks.label})", 5000)
        self.on_nan(self._nan_event)
        return True
