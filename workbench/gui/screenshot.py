"""Render the window in the middle of a real run to a PNG (for the README and for checking by eye).

    QT_QPA_PLATFORM=offscreen python -m workbench.gui.screenshot resources/screenshot.png

Runs the default config, pauses briefly at step 700 and moves the next drop
earlier at step 1200 (so the markers and the dashed rest of the schedule
show), and saves the window at step 1500. Settings and the run folder go to a
temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from PySide6.QtCore import QEventLoop, QSettings, QTimer

from . import MainWindow
from .app import make_app


def _wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _rows(window) -> int:
    return len(window.run.history) if window.run.history is not None else 0


def _wait_for_rows(window, count: int, timeout_s: float = 600) -> None:
    for _ in range(int(timeout_s * 20)):
        if _rows(window) >= count or not window.run.active:
            return
        _wait(50)


def _play(window) -> None:
    _wait_for_rows(window, 700)
    window.commands["pause"].trigger()
    _wait(400)
    window.commands["pause"].trigger()  # resume
    _wait_for_rows(window, 1200)
    window.schedule_form.field("decay_steps").edit.setText("800")


def render(path: str, steps: int = 1500, size=(1600, 1000)) -> int:
    app = make_app()
    settings_dir = tempfile.mkdtemp(prefix="workbench-screenshot-")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    QSettings().setValue("runs/folder", f"{settings_dir}/runs")
    window = MainWindow()
    window.resize(*size)
    window.show()
    window.commands["start"].trigger()
    _play(window)
    _wait_for_rows(window, steps)
    _wait(100)  # one more repaint tick
    ok = window.grab().save(path)
    window.run.shutdown()  # stop the run and wait for its thread (closing mid-run would ask first)
    window.close()
    window.deleteLater()
    _wait(10)
    print(f"{'saved' if ok else 'could not save'} {path} at step {_rows(window)}")
    return 0 if ok else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="resources/screenshot.png")
    parser.add_argument("--steps", type=int, default=1500)
    args = parser.parse_args(argv)
    return render(args.path, args.steps)


if __name__ == "__main__":
    sys.exit(main())
