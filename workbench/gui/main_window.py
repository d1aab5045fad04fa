"""The main window: panels for a run's settings, the live plot, and the run's controls.

The window only wires things together: the panels describe a ``RunConfig``,
``RunController`` runs it on a thread, the ~22 Hz clock feeds ``TrainingPlot``
and the status bar from the history, and messages go to the log and banner.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMainWindow

from workbench.core import schedule_math
from workbench.core.config import RunConfig
from workbench.core.errors import ConfigError

from . import dialogs, gc_guard, run_folders, window_layout, window_settings
from .actions import build_actions
from .export_actions import ExportActions
from .messages import LOGGED_EVENTS, describe_epoch, describe_event, describe_summary
from .panels import BUILT_IN_COLUMNS, is_plugin
from .plugin_actions import PluginActions
from .recovery import RunRecovery
from .run_controller import IDLE, PAUSED, RUNNING, STOPPING, RunController
from .status import RunStatus
from .tasks import TaskRunner

STATE_MESSAGES = {
    "idle": "Ready", "loading": "Loading TensorFlow and the data…", "running": "Training",
    "paused": "Paused", "stopping": "Stopping after this batch…",
}
FALLBACK_PLANNED_STEPS = 3000  # what the preview spans when the run is limited by epochs only


def planned_steps(config: RunConfig) -> int:
    return config.training.steps or FALLBACK_PLANNED_STEPS


class MainWindow(QMainWindow):
    """The workbench window. ``MainWindow()`` opens the last-used (or default) run config.

    With ``plots_after_show=True`` (the app's start-up) the window is shown
    before its plots are built: they, and pyqtgraph with them, come in the
    event loop's first turn after the window is first painted.
    """

    plotsBuilt = Signal()

    def __init__(self, config: RunConfig | None = None, parent=None, *, plots_after_show: bool = False):
        super().__init__(parent)
        gc_guard.collect_on_gui_thread(QApplication.instance())  # before any training thread exists
        self.setObjectName("mainWindow")
        self._base_config = RunConfig()  # keeps settings no panel shows (image_size, …)
        self._config_path: Path | None = None
        self._syncing_pause = False
        self._last_logged = ""  # last pause/resume/stop event written to the log
        self._outcome = ""  # how the last run ended, shown until the next one starts
        self._showing_run_schedule = False  # the form is being set from the run: do not send it back
        self.last_result = None  # the RunResult of the last finished run
        self.lr_finder = None  # the Find learning rate dialog, once opened
        self.compare_dialog = None  # the last Compare runs dialog
        self.run = RunController(self)
        self.tasks = TaskRunner(self)  # exports, LR sweeps, loading plugin files: off the GUI thread
        self.commands = build_actions(self)  # name -> QAction (not QWidget.actions())
        window_layout.build_central(self)
        window_layout.build_docks(self)
        window_layout.build_menus(self)
        window_layout.build_toolbar(self)
        self.status = RunStatus(self.statusBar())
        self.exports = ExportActions(self)
        self.recovery = RunRecovery(self)
        self.plugins = PluginActions(self, self.menus["model"])
        self._connect()
        window_settings.restore(self, config)
        self._on_state_changed(IDLE)
        self.recovery.offer_unfinished()
        if plots_after_show:
            # Not in the paint itself: the painted window reaches the screen first. Nothing if it is gone by then.
            self.plot_placeholder.firstPainted.connect(lambda: QTimer.singleShot(0, self, self.build_plots))
        else:
            self.build_plots()

    def build_plots(self) -> None:
        """Build the live plot and the schedule preview (this imports pyqtgraph), showing the plan; once."""
        if self.plot is not None:
            return
        from .plot_panel import TrainingPlot

        window_layout.place_plot(self, TrainingPlot())
        self.plot.link_log_lr_action(self.log_lr_action)
        self.commands["reset_zoom"].triggered.connect(self.plot.fit_all)
        window_settings.restore_plot(self)
        self.schedule_form.add_preview()
        self._show_plan()
        if self.schedule_form.valid:
            self.plot.set_schedule(*self.schedule_form.schedule())
        self.plotsBuilt.emit()

    def _connect(self):
        a, run = self.commands, self.run
        a["start"].triggered.connect(self._on_start_triggered)
        a["pause"].toggled.connect(self._on_pause_toggled)
        a["step"].triggered.connect(self._on_step_triggered)
        a["stop"].triggered.connect(self._on_stop_triggered)
        a["open"].triggered.connect(self._on_open_triggered)
        a["save"].triggered.connect(self._on_save_triggered)
        a["quit"].triggered.connect(self.close)
        a["find_lr"].triggered.connect(self._on_find_lr_triggered)
        a["compare"].triggered.connect(self._on_compare_triggered)
        a["shortcuts"].triggered.connect(lambda: dialogs.show_shortcuts(self))
        a["about"].triggered.connect(lambda: dialogs.show_about(self))
        run.stateChanged.connect(self._on_state_changed)
        run.refreshDue.connect(self._on_refresh_due)
        run.messagePosted.connect(self._on_message_posted)
        run.eventRecorded.connect(self._on_event_recorded)
        run.epochEnded.connect(self._on_epoch_ended)
        run.runFinished.connect(self._on_run_finished)
        run.runFailed.connect(self._on_run_failed)
        run.modelBuilt.connect(self._on_model_built)
        run.samplesReady.connect(self._on_samples_ready)
        run.trainingStarted.connect(self._update_actions)
        self.model_panel.step_options.changed.connect(self._on_step_options_changed)
        self.tasks.busyChanged.connect(self._on_tasks_busy_changed)
        self.schedule_form.scheduleChanged.connect(self._on_schedule_changed)
        self.schedule_form.validityChanged.connect(self._on_schedule_validity_changed)
        self.training_panel.plannedStepsChanged.connect(self._on_planned_steps_changed)
        self.model_panel.modelChanged.connect(self._on_model_changed)
        QApplication.instance().aboutToQuit.connect(self.tasks.shutdown)
        QApplication.instance().aboutToQuit.connect(self.run.shutdown)

    # --- the config the panels describe ---

    def config(self) -> RunConfig:
        """The run the panels describe, validated; ConfigError names the first bad field."""
        family, params = self.schedule_form.schedule()
        overrides = {**self.data_panel.overrides(), **self.model_panel.overrides(),
                     **self.training_panel.overrides(), "schedule.family": family}
        overrides.update({f"schedule.{name}": value for name, value in params.items()})
        return self._base_config.with_overrides(overrides)

    def set_config(self, config: RunConfig) -> None:
        self._base_config = config
        for panel in (self.data_panel, self.model_panel, self.training_panel):
            panel.set_config(config)
        self.schedule_form.set_planned_steps(planned_steps(config))
        self.schedule_form.set_schedule(config.schedule.family, config.schedule.params)
        self._reset_plot(config)

    def _reset_plot(self, config: RunConfig):
        if self.plot is None:
            return  # build_plots shows what the panels hold
        # A user's own step records its own columns: its curves come as they appear.
        self.plot.reset(planned_steps(config), () if is_plugin(config.model.name) else BUILT_IN_COLUMNS)
        self.plot.set_schedule(config.schedule.family, config.schedule.params)

    def open_config(self, path) -> bool:
        """Load a TOML run config into the panels; problems go to the log, not a dialog."""
        try:
            config = RunConfig.load(path)
        except ConfigError as exc:
            self.report_error(f"Could not open {path}: {exc}")
            return False
        self.set_config(config)
        self._set_config_path(Path(path))
        self.log.add(f"Opened {path}")
        return True

    def save_config(self, path) -> bool:
        try:
            self.config().save(path)
        except (ConfigError, OSError) as exc:
            self.report_error(f"Could not save {path}: {exc}")
            return False
        self._set_config_path(Path(path))
        self.log.add(f"Saved {path}")
        return True

    def _set_config_path(self, path: Path):
        self._config_path = path
        self.setWindowTitle(f"{path.name} — workbench")

    def report_error(self, message: str, details: str = "") -> None:
        """Show an error without blocking: status bar, banner over the plot, and the log."""
        self._outcome = f"Error: {message}"
        self.statusBar().showMessage(self._outcome)
        self.banner.show_error(message)
        self.log.add(message, "error")
        self.log.details(details)
        self.docks["log"].show()

    # --- run handlers ---

    def _on_start_triggered(self):
        if self.run.active:
            return
        try:
            config = self.config()
        except ConfigError as exc:
            self.report_error(str(exc))
            return
        self.start_run(config)

    def start_run(self, config: RunConfig, out_dir: Path | None = None, resume: bool = False) -> None:
        """Train ``config`` into ``out_dir`` (a new run folder by default); ``resume`` continues it."""
        if self.run.active:
            return
        self.build_plots()  # in case a run starts before the window has built them
        # The window answers a NaN itself (roll back with a lower LR, or stop): the run waits for it.
        config = config.with_overrides({"training.on_nan": "pause"})
        out_dir = out_dir or run_folders.new_run_folder()
        if resume:
            self.set_config(config)
        run_folders.remember_last_run(out_dir)
        self.banner.hide()
        self.offers.withdraw()
        self._outcome = ""
        self._reset_plot(config)
        self.samples.clear_images()
        self.status.clear(config.training.steps)
        self.log.add(f"{'Resuming' if resume else 'Starting'}: {config.model.name} on {config.data.dataset}, "
                     f"{config.schedule.family} {json.dumps(config.schedule.params)} → {out_dir}")
        self.run.start(config, out_dir, resume)

    def _on_pause_toggled(self, paused: bool):
        if self._syncing_pause:
            return
        if paused:
            self.run.pause()
        else:
            self.run.resume()

    def _on_step_triggered(self):
        self.run.step()

    def _on_stop_triggered(self):
        self.run.stop()

    def _on_state_changed(self, state: str):
        active = state != IDLE
        self._update_actions()
        self._syncing_pause = True  # mirror the state without sending a command back
        self.commands["pause"].setChecked(state == PAUSED)
        self._syncing_pause = False
        self.data_panel.setEnabled(not active)
        self.model_panel.set_running(active)
        self.training_panel.set_editable(not active)
        self.schedule_form.set_running(active)
        if state in (RUNNING, IDLE):
            self.offers.withdraw("nan")  # answered, or the run is over
        # How the last run ended (done, stopped, failed) stays shown until the next one.
        self.statusBar().showMessage(self._outcome if state == IDLE and self._outcome else STATE_MESSAGES[state])

    def _update_actions(self):
        """Enable what the run's state and a background job allow."""
        state, busy, a = self.run.state, self.tasks.busy, self.commands
        active = state != IDLE
        a["start"].setEnabled(not active and not busy and self.schedule_form.valid)
        # A job may be reading a paused run's weights: the run stays held until it is done.
        for key in ("pause", "step", "stop"):
            a[key].setEnabled(active and state != STOPPING and not busy)
        for key in ("open", "resume_run", "open_step"):
            a[key].setEnabled(not active)
        self.plugins.set_running(active)
        a["find_lr"].setEnabled(not active and not busy)
        self.exports.update()

    def _on_tasks_busy_changed(self, busy: bool):
        self._update_actions()
        if busy:
            self.statusBar().showMessage(self.tasks.label)

    def _on_model_built(self, layers: list):
        if layers:  # the built-in model's layers with weights, as built
            self.model_panel.step_options.set_layers(layers)
        self._update_actions()

    def _on_samples_ready(self, images):
        self.samples.show_images(images)
        self.docks["samples"].show()

    def _on_step_options_changed(self, change: dict):
        self.run.change_step_options(**change)  # applies at the next batch; ignored when no run is going

    def _on_refresh_due(self):
        history = self.run.history
        if history is None:
            return
        running, paused = self.run.active, self.run.state == PAUSED
        self.plot.refresh(history, self.run.total_steps, running=running)
        self.status.show_row(history.last(), self.run.total_steps, paused=paused, force=paused or not running)

    def _on_message_posted(self, text: str):
        self.log.add(text)
        self.statusBar().showMessage(text, 5000)

    def _on_event_recorded(self, event: dict):
        kind = event["kind"]
        if kind == "nan":
            self.recovery.on_nan(event)
        elif kind in ("rollback", "plateau"):
            self._show_run_schedule(json.loads(event["detail"]))
        if kind in ("schedule_rejected", "step_options_rejected"):
            self.report_error(describe_event(event))
        elif kind == "pause" and self._last_logged == "pause":
            return  # single-stepping pauses after every batch: log the first pause only
        elif kind in LOGGED_EVENTS:
            self.log.add(describe_event(event), LOGGED_EVENTS[kind])
            self._last_logged = kind

    def _on_epoch_ended(self, record: dict):
        self.log.add(describe_epoch(record))

    def _show_run_schedule(self, detail: dict):
        """The run changed its own rates (rollback, plateau rule): show them in the form and plot."""
        family = self.run.config.schedule.family
        names = [p.name for p in schedule_math.FAMILIES[family].params]
        params = {k: v for k, v in detail.items() if k in names}
        self._showing_run_schedule = True
        try:
            self.schedule_form.set_schedule(family, params)
        finally:
            self._showing_run_schedule = False
        self.plot.set_schedule(family, params)

    def _on_run_finished(self, result):
        self._outcome = describe_summary(result.summary)
        self.log.add(self._outcome)
        self.statusBar().showMessage(self._outcome)
        self.last_result = result

    def _on_run_failed(self, message: str, details: str):
        self.report_error(message, details)

    # --- form handlers ---

    def _on_schedule_changed(self, family: str, params: dict):
        if self._showing_run_schedule or self.plot is None:
            return
        if self.run.active:
            if family == self.run.config.schedule.family:
                self.run.change_schedule(params)
                self.plot.set_schedule(family, params)
        elif self.run.history is None:  # nothing trained yet: the plot shows the plan
            self.plot.set_schedule(family, params)

    def _on_schedule_validity_changed(self, _valid: bool):
        self._update_actions()

    def _on_planned_steps_changed(self, steps: int):
        planned = steps or FALLBACK_PLANNED_STEPS
        self.schedule_form.set_planned_steps(planned)
        self._show_plan()

    def _on_model_changed(self, _name: str):
        self._show_plan()

    def _show_plan(self):
        """Before the first run, the plot shows the planned length and the model's expected curves."""
        if self.plot is not None and not self.run.active and self.run.history is None:
            plugin = is_plugin(self.model_panel.model_name)
            self.plot.reset(self.training_panel.steps.value() or FALLBACK_PLANNED_STEPS,
                            () if plugin else BUILT_IN_COLUMNS)

    def _on_open_triggered(self):
        path = dialogs.ask_open_config(self, str(self._last_dir()))
        if path:
            self.open_config(path)

    def _on_save_triggered(self):
        start = self._config_path or self._last_dir() / "run.toml"
        path = dialogs.ask_save_config(self, str(start))
        if path:
            self.save_config(path)

    def _on_find_lr_triggered(self):
        from .lr_finder_dialog import LrFinderDialog

        if self.lr_finder is None:
            self.lr_finder = LrFinderDialog(self)
        self.lr_finder.show()
        self.lr_finder.raise_()

    def _on_compare_triggered(self):
        from .compare_dialog import CompareDialog

        dialog = self.compare_dialog = CompareDialog(self, str(run_folders.runs_root()))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        last = self.run.out_dir
        if last is not None and (Path(last) / "history.csv").is_file():
            dialog.add_folder(last)  # the run just made is the usual first of a comparison
        dialog.show()

    def _last_dir(self) -> Path:
        return self._config_path.parent if self._config_path else Path.cwd()

    # --- settings and closing ---

    def closeEvent(self, event):
        going = self.run.active and self.run.state != STOPPING
        if going and not dialogs.confirm_stop_run(self):
            event.ignore()
            return
        self.tasks.shutdown()
        # Stop the run (it saves its folder) and wait for its thread before Qt deletes anything.
        if self.run.active:
            self.statusBar().showMessage("Stopping the run…")
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                self.run.shutdown()
            finally:
                QApplication.restoreOverrideCursor()
        window_settings.save(self)
        super().closeEvent(event)

