"""``main(argv)``: create the application, show the window, run the event loop."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication

from .main_window import MainWindow
from .style import load_style_sheet


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="workbench gui", description="Open the workbench window.")
    parser.add_argument("--config", help="a run config (TOML) to open")
    return parser.parse_args(argv)


def make_app() -> QApplication:
    """The QApplication, named so QSettings finds the same file every time."""
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "workbench"])
    app.setApplicationName("workbench")
    app.setOrganizationName("workbench")
    app.setApplicationDisplayName("workbench")
    app.setStyle("Fusion")  # the same look on every platform, and in offscreen screenshots
    load_style_sheet(app)
    return app


def main(argv: list[str] | None = None) -> int:
    """Open the window (with ``--config PATH`` loaded) and return the event loop's exit code."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    app = make_app()
    window = MainWindow(plots_after_show=True)  # the window first, then pyqtgraph and the plots
    if args.config:
        window.open_config(args.config)  # a bad file is reported in the window
    window.show()
    code = app.exec()
    # Delete the window through Qt while Python still holds it: left to Python's
    # garbage collector, pyqtgraph's teardown can crash PySide6 6.12 on exit.
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return code


__all__ = ["main", "make_app"]
