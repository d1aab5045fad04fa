"""The conftest's leak check: it sees running QTimers and QThreads, and fails the test that leaves one."""

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QThread, QTimer

from workbench.core.recorder import Reporter
from workbench.gui.worker import SignalReporter

HERE = Path(__file__).parent


def running(tracker):
    return [obj for obj, _ in tracker.still_running()]


def test_the_leak_check_sees_a_running_timer(qt_leak_check):
    timer = QTimer()
    timer.start(1000)
    assert running(qt_leak_check) == [timer]
    timer.stop()
    assert running(qt_leak_check) == []


def test_the_leak_check_sees_a_running_thread(qt_leak_check):
    gate = threading.Event()

    class Waiting(QThread):
        def run(self):
            gate.wait(10)

    thread = Waiting()
    thread.start()
    assert running(qt_leak_check) == [thread]
    gate.set()
    thread.wait()
    assert running(qt_leak_check) == []


def test_a_test_that_leaves_a_timer_running_fails(tmp_path):
    for name in ("conftest.py", "gui_helpers.py"):
        shutil.copy(HERE / name, tmp_path / name)
    (tmp_path / "test_leaky.py").write_text(
        "from PySide6.QtCore import QTimer\n"
        "def test_leaky(qtbot):\n"
        "    test_leaky.timer = QTimer()\n"
        "    test_leaky.timer.start(10_000)\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         str(tmp_path / "test_leaky.py")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert out.returncode != 0
    assert "test left 1 QThread/QTimer running" in out.stdout
    assert "QTimer started at" in out.stdout


def test_the_window_reporter_sends_no_signal_per_step():
    # The plot reads the history on a timer; a per-batch signal would flood the GUI.
    assert SignalReporter.on_step is Reporter.on_step
