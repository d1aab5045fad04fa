"""Small dialogs: choosing config files, About, and the shortcut list."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

import workbench

TOML_FILTER = "Run configs (*.toml);;All files (*)"

SHORTCUTS = (
    ("Ctrl+R", "start a run"),
    ("Space", "pause / resume"),
    ("Ctrl+→", "one step while paused"),
    ("Ctrl+.", "stop the run"),
    ("Ctrl+O / Ctrl+S", "open / save the run config"),
    ("Ctrl+E", "export the model (a paused run: its current weights)"),
    ("Ctrl+0", "fit the plots to the whole run"),
)


def ask_open_config(parent: QWidget, start_dir: str) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open run config", start_dir, TOML_FILTER)
    return Path(path) if path else None


def ask_save_config(parent: QWidget, start_path: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Save run config", start_path, TOML_FILTER)
    if not path:
        return None
    path = Path(path)
    return path if path.suffix else path.with_suffix(".toml")


def show_about(parent: QWidget) -> None:
    QMessageBox.about(
        parent, "About workbench",
        f"<b>workbench {workbench.__version__}</b><p>Train Keras 3 models with a custom train step "
        "and watch the learning-rate schedule and loss live.</p>"
        "<p>The same run config (TOML) works here and in <code>workbench train --config</code>.</p>")


def show_shortcuts(parent: QWidget) -> None:
    rows = "".join(f"<tr><td><b>{keys}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>" for keys, what in SHORTCUTS)
    QMessageBox.information(parent, "Keyboard shortcuts", f"<table>{rows}</table>")


def confirm_stop_run(parent: QWidget) -> bool:
    """Ask before closing mid-run; the run is saved to its folder either way it ends."""
    answer = QMessageBox.question(
        parent, "Stop the run?",
        "A run is going. Stop it after the current batch, save it to its run folder and close?\n\n"
        "(Run → Resume run… continues it later from its last checkpoint.)",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes
