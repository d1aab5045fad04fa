"""Model → Open train step… / Recent / Reload: train a model from the user's own Python file.

Choosing a file makes it the run's ``model.name``; the file is then read on a
background job (it imports TensorFlow) to report problems at once, with the
file and line. Every Start loads the file afresh, so Reload is a check that
the edited file still loads — and says so in the log.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QFileDialog, QMenu

from .panels import is_plugin

RECENT_KEY = "plugins/recent"
RECENT_MAX = 8
EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def recent_files() -> list[str]:
    value = QSettings().value(RECENT_KEY, [])
    return [str(v) for v in ([value] if isinstance(value, str) else value or [])]


def remember_recent(path: str) -> list[str]:
    files = [path] + [f for f in recent_files() if f != path]
    QSettings().setValue(RECENT_KEY, files[:RECENT_MAX])
    return files[:RECENT_MAX]


def describe_plugin(plugin) -> str:
    extras = ", generate (live samples)" if getattr(plugin.module, "generate", None) else ""
    return f"build_model{extras}"


class PluginActions(QObject):
    """The Model menu's train-step actions and its Recent submenu."""

    def __init__(self, window, menu: QMenu):
        super().__init__(window)
        self.window = window
        a = window.commands
        menu.addAction(a["open_step"])
        self.recent_menu = menu.addMenu("Recent train steps")
        self.recent_menu.setObjectName("recentStepsMenu")
        menu.addAction(a["reload_step"])
        a["open_step"].triggered.connect(self._on_open_step_triggered)
        a["reload_step"].triggered.connect(self._on_reload_step_triggered)
        window.model_panel.modelChanged.connect(self._on_model_changed)
        self._fill_recent()
        self._on_model_changed(window.model_panel.model_name)

    def open(self, path) -> None:
        """Use ``path`` as the model (its ``build_model``) and check that it loads."""
        path = str(Path(path).expanduser().resolve())
        self.window.model_panel.set_model_name(path)
        remember_recent(path)
        self._fill_recent()
        self.check(path)

    def check(self, path: str) -> bool:
        """Read the file in the background; its errors (file:line) go to the banner and the log."""
        from workbench.core.plugins import load_plugin  # no TensorFlow until the job runs it

        window = self.window
        started = window.tasks.start(f"Reading {Path(path).name}…", lambda: describe_plugin(load_plugin(path)),
                                     lambda what: window.log.add(f"Loaded {path}: {what}"),
                                     lambda message, details: window.report_error(message, details))
        if not started:
            window.report_error(f"Busy ({window.tasks.label}); try again when it is done")
        return started

    def set_running(self, running: bool) -> None:
        """The model is fixed while a run goes: no picking another file then (Reload is for the next run)."""
        self.recent_menu.setEnabled(not running and bool(self.recent_menu.actions()))

    def _on_open_step_triggered(self):
        current = self.window.model_panel.model_name
        start = str(Path(current).parent) if is_plugin(current) else str(EXAMPLES)
        path, _ = QFileDialog.getOpenFileName(self.window, "Open train step", start,
                                              "Python files (*.py);;All files (*)")
        if path:
            self.open(path)

    def _on_reload_step_triggered(self):
        name = self.window.model_panel.model_name
        if is_plugin(name):
            self.check(name)

    def _on_model_changed(self, name: str):
        self.window.commands["reload_step"].setEnabled(is_plugin(name))

    def _fill_recent(self):
        self.recent_menu.clear()
        for path in recent_files():
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.setData(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open(p))
        self.recent_menu.setEnabled(bool(self.recent_menu.actions()))
