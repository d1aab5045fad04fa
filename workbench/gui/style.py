"""Colours, pyqtgraph defaults and the style sheet, in one place."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

# Resources live next to the package in a source checkout (``resources/``).
RESOURCES = Path(__file__).resolve().parents[2] / "resources"
STYLE_SHEET = RESOURCES / "style.qss"

COLORS = {
    "lr": "#1565c0",
    "loss": "#e65100",
    "val_loss": "#b71c1c",
    "accuracy": "#2e7d32",
    "val_accuracy": "#6a1b9a",
    "handle": (21, 101, 192, 60),  # translucent: a grab area over the curve
    "edge": "#5c6bc0",
    "pause": "#757575",
    "schedule": "#c2185b",
    "schedule_rejected": "#b71c1c",
    "stop": "#212121",
    "nan": "#ff6f00",
    "rollback": "#4e342e",
}

_configured = False


def configure_pyqtgraph() -> None:
    """Light plots with dark text, set once before the first plot is built."""
    global _configured
    if not _configured:
        import pyqtgraph as pg  # here, not at the top: the window shows before pyqtgraph loads

        pg.setConfigOptions(background="w", foreground="#202020", antialias=False)
        _configured = True


def load_style_sheet(app: QApplication) -> bool:
    """Apply ``resources/style.qss`` when it exists; return whether it did."""
    try:
        app.setStyleSheet(STYLE_SHEET.read_text(encoding="utf-8"))
    except OSError:
        return False
    return True


def set_flag(widget: QWidget, name: str, on: bool) -> None:
    """Set a dynamic property the style sheet selects on, and restyle the widget."""
    if widget.property(name) == on:
        return
    widget.setProperty(name, on)
    # Qt only re-reads property selectors when the style is re-applied.
    widget.style().unpolish(widget)
    widget.style().polish(widget)
