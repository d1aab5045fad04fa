"""Runs that go wrong, seen from the window: resuming a run folder, the start-up offer to continue a
cut-short run, the NaN guard's offer (roll back with a lower LR, or stop), and closing mid-run."""

import json
import shutil

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton

from workbench.core.config import RunConfig
from workbench.core.control import RunControl
from workbench.core.recorder import Reporter

from test_training_run import FIRST_STEPS_MS, button, pause_and_hold, rows, start_and_wait, stop_and_wait


def staircase(steps, initial=0.001, every=40, rate=0.5):
    return initial * rate ** (np.asarray(steps) // every)


def history_steps(folder):
    from workbench.core.recorder import History

    return History.from_csv(folder / "history.csv").column("step")


def click(qtbot, window, name):
    qtbot.mouseClick(window.findChild(QPushButton, name), Qt.MouseButton.LeftButton)


def test_resume_run_continues_at_exactly_the_next_step(qtbot, make_window, quick_config, monkeypatch):
    window = make_window(quick_config.with_overrides({"training.steps": 100}))
    start_and_wait(qtbot, window, at_least=30)
    folder = window.run.out_dir
    pause_and_hold(qtbot, window)  # 100 steps go by fast: hold it short of the end first
    stop_and_wait(qtbot, window)  # the stopped run saves its folder and a checkpoint at the last step
    stopped_at = len(history_steps(folder))
    assert 30 <= stopped_at < 100

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    window.commands["resume_run"].trigger()
    qtbot.waitUntil(lambda: window.run.active)
    assert window.run.out_dir == folder
    qtbot.waitUntil(lambda: not window.run.active, timeout=FIRST_STEPS_MS)
    assert any(f"Resuming at step {stopped_at}" in line for line in window.log.lines())
    steps, lr = window.run.history.column("step"), window.run.history.column("lr")
    np.testing.assert_array_equal(steps, np.arange(100))  # no gap, no repeat
    np.testing.assert_allclose(lr, staircase(steps), rtol=1e-6)  # the schedule carried on where it was
    np.testing.assert_array_equal(history_steps(folder), np.arange(100))
    assert not json.loads((folder / "summary.json").read_text())["stopped_early"]
    assert window.plot.lr_curve.getOriginalDataset()[0].tolist() == list(range(100))


def test_resuming_a_folder_without_a_checkpoint_is_reported(qtbot, window, tmp_path, monkeypatch):
    RunConfig().save(tmp_path / "config.toml")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    window.commands["resume_run"].trigger()
    assert "has no checkpoint to resume from" in window.banner.text()
    assert not window.run.active


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    """A run folder cut short at step 30 of 80, as a crash leaves it (no summary.json)."""
    from workbench.core.session import run

    folder = tmp_path_factory.mktemp("interrupted") / "run"
    control = RunControl()

    class StopAt30(Reporter):
        def on_step(self, record):
            if record["step"] == 29:
                control.stop()

    config = RunConfig().with_overrides({"training.steps": 80, "schedule.decay_steps": 40,
                                         "schedule.decay_rate": 0.5, "training.on_nan": "pause"})
    run(config, control, StopAt30(), folder)
    (folder / "summary.json").unlink()
    return folder


@pytest.fixture
def last_run(interrupted, tmp_path):
    """A copy of the interrupted folder, remembered as the last run the window started."""
    folder = tmp_path / "runs" / "interrupted"
    shutil.copytree(interrupted, folder)
    QSettings().setValue("runs/last", str(folder))
    return folder


def test_start_up_offers_to_resume_an_interrupted_run(qtbot, make_window, last_run):
    window = make_window()
    assert window.offers.isVisible() and window.offers.kind == "resume"
    assert "interrupted at step 30 of 80" in window.offers.label.text()
    assert not window.findChildren(QMessageBox)  # an offer, not a modal question
    click(qtbot, window, "resumeOfferButton")
    assert not window.offers.isVisible()
    qtbot.waitUntil(lambda: window.run.active)
    qtbot.waitUntil(lambda: not window.run.active, timeout=FIRST_STEPS_MS)
    steps = history_steps(last_run)
    np.testing.assert_array_equal(steps, np.arange(80))
    assert window.config().training.steps == 80  # the panels show the resumed run's settings
    np.testing.assert_allclose(window.run.history.column("lr"), staircase(steps), rtol=1e-6)
    assert not make_window().offers.isVisible()  # finished now: nothing to offer


def test_dismissing_the_offer_forgets_the_run(qtbot, make_window, last_run):
    window = make_window()
    click(qtbot, window, "dismissOfferButton")
    assert not window.offers.isVisible() and not window.run.active
    assert not make_window().offers.isVisible()


def poisoned_digits(path):
    """The digits with one NaN pixel: the batch holding it has a NaN loss, every time it comes round."""
    from workbench.core.data import load_digits

    data = load_digits()
    x = data.x_train[:640].copy()
    x[300, 5, 5, 0] = np.nan
    np.savez(path, x_train=x, y_train=data.y_train[:640])
    return path


def nan_config(tmp_path, **more):
    return RunConfig().with_overrides({"data.dataset": str(poisoned_digits(tmp_path / "poisoned.npz")),
                                       "data.validation_split": 0.0, "training.steps": 40,
                                       "training.checkpoint_steps": 5, **more})


def wait_for_nan_offer(qtbot, window, count):
    # The events list fills on the training thread; the window hears of them a moment later.
    qtbot.waitUntil(lambda: window.offers.kind == "nan" and window.run.control.holding
                    and sum(e["kind"] == "nan" for e in window.run.history.events) == count
                    and window.run.state == "paused", timeout=FIRST_STEPS_MS)


def test_a_nan_pauses_the_run_and_offers_rollback_or_stop(qtbot, make_window, tmp_path):
    window = make_window(nan_config(tmp_path))
    qtbot.mouseClick(button(window, "startButton"), Qt.MouseButton.LeftButton)
    wait_for_nan_offer(qtbot, window, 1)
    nan = next(e for e in window.run.history.events if e["kind"] == "nan")
    assert "not finite" in window.offers.label.text() and f"Step {nan['step']}" in window.offers.label.text()
    assert button(window, "pauseButton").isChecked() and window.run.state == "paused"
    held = rows(window)
    assert held == nan["step"] + 1  # paused right after the bad batch

    click(qtbot, window, "rollbackButton")  # back to the last checkpoint with LR x0.1, and on
    qtbot.waitUntil(lambda: any(e["kind"] == "rollback" for e in window.run.history.events), timeout=10_000)
    rollback = next(e for e in window.run.history.events if e["kind"] == "rollback")
    assert rollback["step"] <= nan["step"] and json.loads(rollback["detail"])["initial_lr"] == pytest.approx(1e-4)
    qtbot.waitUntil(lambda: window.schedule_form.field("initial_lr").text() == "0.0001")  # the form follows
    wait_for_nan_offer(qtbot, window, 2)  # the same poisoned batch comes round again
    assert window.run.history.column("lr")[-1] == pytest.approx(1e-4)

    click(qtbot, window, "nanStopButton")
    qtbot.waitUntil(lambda: not window.run.active, timeout=30_000)
    assert not window.offers.isVisible()
    assert window.last_result.summary["stopped_early"]


def test_rollbacks_are_bounded_when_every_loss_is_nan(qtbot, make_window, tmp_path):
    path = tmp_path / "nan.npz"
    np.savez(path, x_train=np.full((256, 8), np.nan, dtype=np.float32), y_train=np.arange(256) % 2)
    window = make_window(RunConfig().with_overrides({"training.steps": 20, "data.dataset": str(path),
                                                     "training.nan_retries": 1}))
    qtbot.mouseClick(button(window, "startButton"), Qt.MouseButton.LeftButton)
    wait_for_nan_offer(qtbot, window, 1)
    click(qtbot, window, "rollbackButton")
    wait_for_nan_offer(qtbot, window, 2)
    click(qtbot, window, "rollbackButton")
    qtbot.waitUntil(lambda: not window.run.active, timeout=30_000)
    assert "still not finite after 1 rollbacks" in window.banner.text()
    assert button(window, "startButton").isEnabled()


def test_closing_mid_run_asks_first_then_stops_saves_and_joins(qtbot, make_window, quick_config, questions):
    window = make_window(quick_config)
    window.close()
    assert questions["titles"] == []  # nothing running: no question
    window = make_window(quick_config)
    start_and_wait(qtbot, window)
    questions["next"] = QMessageBox.StandardButton.No
    window.close()
    assert questions["titles"] == ["Stop the run?"]
    assert window.isVisible() and window.run.active  # "No": the run goes on
    qtbot.waitUntil(lambda: rows(window) > 10, timeout=20_000)

    questions["next"] = QMessageBox.StandardButton.Yes
    thread, folder = window.run.thread, window.run.out_dir
    window.close()
    assert thread.isFinished() and not window.run.active  # joined before the window went
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["stopped_early"] and summary["steps"] == len(history_steps(folder))
    assert json.loads((folder / "checkpoint" / "meta.json").read_text())["step"] == summary["steps"]
