"""GUI test fixtures: isolated settings, a real window, and a check for dangling threads and timers.

The leak check follows napari's conftest: every ``QThread.start`` and
``QTimer.start`` made during a test is recorded, and a test that leaves one
running fails. A training thread outliving its window is exactly the bug that
ends in "QThread: Destroyed while thread is still running".
"""

from __future__ import annotations

import os
import traceback

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest
import shiboken6
from PySide6.QtCore import QSettings, QThread, QTimer
from PySide6.QtWidgets import QMessageBox

from gui_helpers import delete_now
import workbench.gui  # noqa: F401  (first: applies the PySide6 6.12.0 workaround before any Qt call)
from workbench.core.config import RunConfig
from workbench.gui.gc_guard import collect_on_gui_thread

# Qt messages that mean a thread or timer was misused; any of them fails the test.
BAD_QT_MESSAGES = ("QThread: Destroyed", "another thread", "different thread", "Timers cannot")


class QtStartTracker:
    """Remembers the QThreads and QTimers started during one test."""

    def __init__(self):
        self.started: list[tuple[object, str]] = []  # (object, where it was started)

    def wrap(self, original):
        tracker = self

        def start(obj, *args, **kwargs):
            tracker.started.append((obj, "".join(traceback.format_stack(limit=6)[:-1])))
            return original(obj, *args, **kwargs)

        return start

    def still_running(self) -> list[tuple[object, str]]:
        return [(obj, where) for obj, where in self.started if _is_running(obj)]

    def clean_up(self) -> None:
        """Stop what a failing test left behind, so the next test starts clean."""
        for obj, _ in self.still_running():
            if isinstance(obj, QTimer):
                obj.stop()
            else:
                control = getattr(obj, "control", None)
                if control is not None:
                    control.stop()
                obj.quit()
                obj.wait(30_000)
        self.started.clear()


def _is_running(obj) -> bool:
    if not shiboken6.isValid(obj):  # deleted by Qt: it cannot be running
        return False
    return obj.isActive() if isinstance(obj, QTimer) else obj.isRunning()


@pytest.fixture(scope="session", autouse=True)
def gc_on_gui_thread(qapp):
    """What every window does first, done before the leak check starts watching timers."""
    collect_on_gui_thread(qapp)


@pytest.fixture(autouse=True)
def qt_settings_in_tmp(qapp, tmp_path):
    """Each test reads and writes its own settings file, never the user's; its runs go to tmp_path/runs."""
    qapp.setOrganizationName("workbench")
    qapp.setApplicationName("workbench")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().setValue("runs/folder", str(tmp_path / "runs"))
    yield tmp_path / "settings"


@pytest.fixture
def runs_dir(tmp_path):
    """Where the window puts the run folders of this test."""
    return tmp_path / "runs"


@pytest.fixture(autouse=True)
def questions(monkeypatch):
    """Modal questions would wait forever offscreen: record each and answer ``answers['next']`` (Yes)."""
    asked = {"titles": [], "next": QMessageBox.StandardButton.Yes}

    def question(parent, title, text, *args, **kwargs):
        asked["titles"].append(title)
        return asked["next"]

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


@pytest.fixture(autouse=True)
def qt_leak_check(qtbot, qtlog, monkeypatch):
    """Fail the test if it leaves a QThread running or a QTimer active, or Qt complains about threads."""
    tracker = QtStartTracker()
    monkeypatch.setattr(QThread, "start", tracker.wrap(QThread.start))
    monkeypatch.setattr(QTimer, "start", tracker.wrap(QTimer.start))
    yield tracker
    left = tracker.still_running()
    tracker.clean_up()
    complaints = [r.message for r in qtlog.records if any(bad in r.message for bad in BAD_QT_MESSAGES)]
    if left:
        names = "\n".join(f"{type(obj).__name__} started at:\n{where}" for obj, where in left)
        pytest.fail(f"test left {len(left)} QThread/QTimer running:\n{names}", pytrace=False)
    if complaints:
        pytest.fail("Qt complained about threads or timers:\n" + "\n".join(complaints), pytrace=False)


@pytest.fixture
def make_window(qtbot, qt_leak_check):
    """Build real MainWindows; each is closed (stopping its run) before the leak check."""
    from workbench.gui import MainWindow

    windows = []

    def make(config: RunConfig | None = None):
        window = MainWindow(config)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        delete_now(window)


@pytest.fixture
def window(make_window):
    return make_window()


@pytest.fixture
def quick_config():
    """A run long enough to pause in, with a staircase that drops early; stopped by the tests."""
    return RunConfig().with_overrides({
        "training.steps": 2000,
        "schedule.decay_steps": 40,
        "schedule.decay_rate": 0.5,
    })
