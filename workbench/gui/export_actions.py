"""File → Export model / plot / history: from a finished run, or a paused one's current weights.

A model export runs off the GUI thread (a SavedModel or TFLite conversion
takes seconds). For a paused run it first waits until the training thread
holds between batches, and the run's controls stay disabled until the files
are written, so nothing trains the weights while they are read.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject

import workbench
from workbench.core.errors import WorkbenchError

from .export_dialogs import MODEL_FORMATS, ExportModelDialog, ExportPlotDialog
from .run_controller import PAUSED
from .tasks import wait_until_holding

SCHEDULE_EVENTS = ("schedule", "rollback", "plateau")  # events whose detail holds the schedule's new params


def live_metadata(config, history) -> dict:
    """What travels with an export of a live model: the config and the schedule as edited so far."""
    params = dict(config.schedule.params)
    for event in history.events if history is not None else ():
        if event["kind"] in SCHEDULE_EVENTS:
            detail = json.loads(event["detail"] or "{}")
            params.update((k, v) for k, v in detail.items() if k in params)
    return {"workbench_version": workbench.__version__,
            "schedule": {"family": config.schedule.family, **params},
            "config": config.to_dict(), "steps": len(history) if history is not None else 0}


class ExportActions(QObject):
    """The three export actions of a window; ``dialog`` is the one open, if any."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.dialog = None
        a = window.commands
        a["export_model"].triggered.connect(self._on_export_model_triggered)
        a["export_plot"].triggered.connect(self._on_export_plot_triggered)
        a["export_history"].triggered.connect(self._on_export_history_triggered)

    def update(self) -> None:
        """Enabled once a run has a model (or history) and nothing trains it: over, or paused."""
        run, a = self.window.run, self.window.commands
        idle_or_paused = run.state in ("idle", PAUSED)
        a["export_model"].setEnabled(run.model_readable and not self.window.tasks.busy)
        for key in ("export_plot", "export_history"):
            a[key].setEnabled(idle_or_paused and run.history is not None and len(run.history) > 0)

    def _folder(self) -> Path:
        out = self.window.run.out_dir
        return Path(out) / "export" if out else Path.cwd()

    # --- model ---

    def _on_export_model_triggered(self):
        run = self.window.run
        source = (f"The paused run's current weights (step {len(run.history or ()):,})" if run.active
                  else "The model of the last run")
        self._show(ExportModelDialog(self._folder(), source, self.window),
                   lambda d: self.export_model(*d.choice()))

    def export_model(self, fmt: str, path: Path) -> bool:
        """Write the run's model as ``fmt`` to ``path`` in the background; False if it cannot start."""
        from workbench.core.export import export_model  # imports no TensorFlow itself

        run, window = self.window.run, self.window
        if not run.model_readable:
            window.report_error("Export needs a finished or paused run")
            return False
        model, control = run.model, (run.control if run.active else None)
        metadata = live_metadata(run.config, run.history)

        def write():
            wait_until_holding(control)
            return export_model(model, fmt, path, metadata)

        started = window.tasks.start(f"Exporting {MODEL_FORMATS[fmt][0]}…", write,
                                     lambda written: self._on_written(f"Exported the model ({fmt}) to {written}"),
                                     lambda message, details: self._on_failed(path, message, details))
        if started:
            window.statusBar().showMessage(f"Exporting the model to {path}…")
        return started

    # --- plot and history ---

    def _on_export_plot_triggered(self):
        self._show(ExportPlotDialog(self._folder(), self.window), lambda d: self.export_plot(**d.choice()))

    def export_plot(self, kind: str, fmt: str, path: Path, width: int = 1200, height: int = 700, dpi: int = 96,
                    title: str = "") -> bool:
        """Render the training or metrics plot (not a screen grab) as PNG/SVG, or its data as CSV."""
        import pyqtgraph as pg

        from workbench import figures

        history = self.window.run.history
        antialias = pg.getConfigOption("antialias")
        try:
            if fmt == "csv":
                written = figures.save_plot_data_csv(history, path, history.epochs)
            else:
                written = figures.render(history, kind, path, width=width, height=height, dpi=dpi,
                                         events=history.events, epochs=history.epochs, title=title)
        except (WorkbenchError, OSError) as exc:
            self._on_failed(path, str(exc), "")
            return False
        finally:
            pg.setConfigOptions(antialias=antialias)  # figures turn it on for print; the live plot keeps its own
        self._on_written(f"Exported the {kind} plot to {written}" if fmt != "csv"
                         else f"Exported the plotted data to {written}")
        return True

    def _on_export_history_triggered(self):
        from PySide6.QtWidgets import QFileDialog

        start = str(self._folder() / "history.csv")
        path, _ = QFileDialog.getSaveFileName(self.window, "Export history", start, "CSV (*.csv);;All files (*)")
        if path:
            self.export_history(Path(path))

    def export_history(self, path: Path) -> bool:
        try:
            self.window.run.history.save_csv(path)
        except OSError as exc:
            self._on_failed(path, exc.strerror or str(exc), "")
            return False
        self._on_written(f"Exported the history ({len(self.window.run.history):,} steps) to {path}")
        return True

    # --- shared ---

    def _show(self, dialog, on_accepted):
        """Open ``dialog`` window-modal without blocking; run ``on_accepted(dialog)`` on OK."""
        self.dialog = dialog
        dialog.accepted.connect(lambda: on_accepted(dialog))
        dialog.finished.connect(self._on_dialog_finished)
        dialog.open()

    def _on_dialog_finished(self, _result):
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def _on_written(self, text: str):
        self.window.log.add(text)
        self.window.statusBar().showMessage(text, 8000)

    def _on_failed(self, path, message: str, details: str):
        self.window.report_error(f"Could not export to {path}: {message}", details)
