"""The window's actions (menus, tool bar and run buttons share them) and their shortcuts."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle, QWidget

# key: (text, standard icon or None, shortcut or None, status tip, checkable)
SPECS = {
    "start": ("&Start", "SP_MediaPlay", "Ctrl+R", "Start training with the settings in the panels", False),
    "pause": ("&Pause", "SP_MediaPause", "Space", "Pause after the current batch; press again to resume", True),
    "step": ("S&tep", "SP_MediaSkipForward", "Ctrl+Right", "Run exactly one more batch, then hold", False),
    "stop": ("St&op", "SP_MediaStop", "Ctrl+.", "Stop after the current batch (the model is kept)", False),
    "open": ("&Open config…", "SP_DialogOpenButton", QKeySequence.StandardKey.Open,
             "Open a run config (TOML)", False),
    "save": ("&Save config as…", "SP_DialogSaveButton", QKeySequence.StandardKey.Save,
             "Save the run config as TOML (what `workbench train --config` reads)", False),
    "quit": ("&Quit", None, QKeySequence.StandardKey.Quit, "Stop any run and close the window", False),
    "reset_zoom": ("&Reset plot zoom", None, "Ctrl+0", "Fit the plots to the whole run", False),
    "shortcuts": ("&Keyboard shortcuts", None, None, "List the keyboard shortcuts", False),
    "about": ("&About workbench", None, None, "Version and what this is", False),
}


def build_actions(owner: QWidget) -> dict[str, QAction]:
    """One QAction per entry in SPECS, parented to ``owner``."""
    actions = {}
    for key, (text, icon, shortcut, tip, checkable) in SPECS.items():
        # Bool properties go through setters: PySide6 6.12 mis-counts True/False passed as
        # constructor keywords and crashes at exit.
        action = QAction(text, owner, objectName=f"{key}Action")
        action.setCheckable(checkable)
        if icon:
            action.setIcon(owner.style().standardIcon(getattr(QStyle.StandardPixmap, icon)))
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            tip = f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setStatusTip(tip)
        action.setToolTip(tip)
        actions[key] = action
    return actions
