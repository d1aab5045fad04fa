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
    "resume_run": ("&Resume run…", None, None, "Continue a run folder from its last checkpoint", False),
    "find_lr": ("&Find learning rate…", None, None,
                "Sweep the learning rate on a fresh model and suggest a starting value", False),
    "open": ("&Open config…", "SP_DialogOpenButton", QKeySequence.StandardKey.Open,
             "Open a run config (TOML)", False),
    "save": ("&Save config as…", "SP_DialogSaveButton", QKeySequence.StandardKey.Save,
             "Save the run config as TOML (what `workbench train --config` reads)", False),
    "export_model": ("Export &model…", None, "Ctrl+E",
                     "Write the model (keras, SavedModel, TFLite or weights); a paused run exports its current "
                     "weights", False),
    "export_plot": ("Export &plot…", None, None, "Write the training or metrics plot as PNG or SVG, or its data "
                    "as CSV", False),
    "export_history": ("Export &history…", None, None, "Write the per-step history as CSV", False),
    "compare": ("&Compare runs…", None, None, "Overlay the LR and loss of several run folders", False),
    "quit": ("&Quit", None, QKeySequence.StandardKey.Quit, "Stop any run and close the window", False),
    "open_step": ("&Open train step…", None, None,
                  "Train a model from your own Python file (build_model with its own train_step)", False),
    "reload_step": ("&Reload train step", None, None, "Read the train-step file again; the next Start uses it",
                    False),
    "reset_zoom": ("&Reset plot zoom", None, "Ctrl+0", "Fit the plots to the whole run", False),
    "shortcuts": ("&Keyboard shortcuts", None, None, "List the keyboard shortcuts", False),
    "about": ("&About workbench", None, None, "Version and what this is", False),
}


def object_name(key: str) -> str:
    """``export_model`` → ``exportModelAction``."""
    first, *rest = key.split("_")
    return first + "".join(word.capitalize() for word in rest) + "Action"


def build_actions(owner: QWidget) -> dict[str, QAction]:
    """One QAction per entry in SPECS, parented to ``owner``."""
    actions = {}
    for key, (text, icon, shortcut, tip, checkable) in SPECS.items():
        # Bool properties go through setters: PySide6 6.12 mis-counts True/False passed as
        # constructor keywords and crashes at exit.
        action = QAction(text, owner, objectName=object_name(key))
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
