"""Real training runs driven through the window: buttons, shortcuts, live edits, errors, closing mid-run."""

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QToolButton

from gui_helpers import drag, viewport_pos

from workbench.core.config import RunConfig

FIRST_STEPS_MS = 90_000  # TensorFlow's first import and trace on a busy two-core machine


def button(window, name) -> QToolButton:
    return window.findChild(QToolButton, name)


def rows(window) -> int:
    return len(window.run.history) if window.run.history is not None else 0


def start_and_wait(qtbot, window, at_least=5):
    qtbot.mouseClick(button(window, "startButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rows(window) >= at_least, timeout=FIRST_STEPS_MS)


def pause_and_hold(qtbot, window) -> int:
    qtbot.mouseClick(button(window, "pauseButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.run.control.holding, timeout=10_000)
    return rows(window)


def stop_and_wait(qtbot, window):
    qtbot.mouseClick(button(window, "stopButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.run.active, timeout=30_000)


def test_pausing_holds_the_step_count_and_step_adds_exactly_one(qtbot, make_window, quick_config):
    window = make_window(quick_config)
    start_and_wait(qtbot, window)
    held = pause_and_hold(qtbot, window)
    assert button(window, "pauseButton").isChecked()
    qtbot.wait(1000)
    assert rows(window) == held  # nothing ran while paused
    step_label = window.findChild(QLabel, "stepLabel")
    qtbot.waitUntil(lambda: f"{held:,}" in step_label.text())

    qtbot.mouseClick(button(window, "stepButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rows(window) == held + 1, timeout=10_000)
    qtbot.waitUntil(lambda: window.run.control.holding)
    qtbot.wait(300)
    assert rows(window) == held + 1  # exactly one batch
    assert button(window, "pauseButton").isChecked()
    qtbot.waitUntil(lambda: f"{held + 1:,}" in step_label.text())

    qtbot.mouseClick(button(window, "pauseButton"), Qt.MouseButton.LeftButton)  # resume
    qtbot.waitUntil(lambda: rows(window) > held + 10, timeout=20_000)
    stop_and_wait(qtbot, window)
    assert window.last_result.summary["stopped_early"]
    assert button(window, "startButton").isEnabled() and not button(window, "stopButton").isEnabled()
    assert (held, "pause") in window.plot.markers


def test_keyboard_drives_a_run(qtbot, make_window, quick_config):
    window = make_window(quick_config)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.plot.setFocus()  # not a text field: Space belongs to the window
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: rows(window) >= 3, timeout=FIRST_STEPS_MS)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.run.control.holding, timeout=10_000)
    assert window.commands["pause"].isChecked()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not window.run.control.paused
    qtbot.keyClick(window, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.run.active, timeout=30_000)


def test_a_schedule_edit_mid_run_applies_at_the_next_batch_and_is_marked(qtbot, make_window, quick_config):
    window = make_window(quick_config)  # staircase 0.001, halves every 40 steps
    start_and_wait(qtbot, window)
    held = pause_and_hold(qtbot, window)
    assert not window.schedule_form.combo.isEnabled()  # the family is fixed for the run
    window.findChild(QLineEdit, "decayStepsEdit").setText("5")
    assert window.run.settling  # sent once typing pauses, not per keystroke
    qtbot.waitUntil(lambda: not window.run.settling)
    qtbot.wait(300)
    assert rows(window) == held  # the change waits for the next batch

    qtbot.mouseClick(button(window, "stepButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rows(window) == held + 1, timeout=10_000)
    edits = [e for e in window.run.history.events if e["kind"] == "schedule"]
    assert [e["step"] for e in edits] == [held]
    assert json.loads(edits[0]["detail"])["decay_steps"] == 5
    lr = window.run.history.column("lr")
    assert lr[held] == pytest.approx(0.001 * 0.5 ** (held // 5), rel=1e-6)  # the new rule, from this batch
    qtbot.waitUntil(lambda: (held, "schedule") in window.plot.markers)
    stop_and_wait(qtbot, window)


def test_dragging_the_preview_mid_run_changes_the_run(qtbot, make_window, quick_config):
    window = make_window(quick_config)
    start_and_wait(qtbot, window)
    held = pause_and_hold(qtbot, window)
    preview = window.schedule_form.preview
    drag(qtbot, preview, viewport_pos(preview, 20, 1e-3), viewport_pos(preview, 20, 2e-3))
    dragged = float(window.findChild(QLineEdit, "initialLrEdit").text())
    assert 1.3e-3 < dragged < 3e-3
    qtbot.waitUntil(lambda: not window.run.settling)
    qtbot.mouseClick(button(window, "stepButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rows(window) == held + 1, timeout=10_000)
    applied = [json.loads(e["detail"]) for e in window.run.history.events if e["kind"] == "schedule"]
    assert applied[-1]["initial_lr"] == dragged
    assert window.run.history.column("lr")[held] == pytest.approx(dragged * 0.5 ** (held // 40), rel=1e-6)
    stop_and_wait(qtbot, window)


def test_an_edit_the_run_cannot_take_is_reported_and_marked(qtbot, make_window, quick_config):
    config = quick_config.with_overrides({"schedule.family": "piecewise"})
    window = make_window(config)
    start_and_wait(qtbot, window)
    held = pause_and_hold(qtbot, window)
    window.findChild(QLineEdit, "boundariesEdit").setText("100, 200, 300")  # invalid alone: not sent
    window.findChild(QLineEdit, "valuesEdit").setText("0.001, 0.0005, 0.0002, 0.0001")
    qtbot.waitUntil(lambda: not window.run.settling)
    qtbot.mouseClick(button(window, "stepButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "schedule change rejected" in window.banner.text(), timeout=10_000)
    assert "cannot change length during a run" in window.banner.text()
    qtbot.waitUntil(lambda: (held, "schedule_rejected") in window.plot.markers)
    stop_and_wait(qtbot, window)


def test_a_finished_run_fills_both_plots_and_the_status_bar(qtbot, make_window):
    config = RunConfig().with_overrides({"training.steps": 120, "schedule.decay_steps": 50})
    window = make_window(config)
    start_and_wait(qtbot, window, at_least=1)
    qtbot.waitUntil(lambda: not window.run.active, timeout=60_000)
    plot = window.plot
    x, lr = plot.lr_curve.getOriginalDataset()
    np.testing.assert_array_equal(x, np.arange(120))
    np.testing.assert_allclose(np.unique(lr), [1e-5, 1e-4, 1e-3], rtol=1e-6)  # two drops, drawn as they happened
    assert len(plot.loss_curve.getOriginalDataset()[1]) == 120
    assert len(plot.accuracy_curve.getOriginalDataset()[1]) == 120
    assert np.isfinite(plot.val_accuracy.getOriginalDataset()[1]).all()
    assert "120 / 120" in window.findChild(QLabel, "stepLabel").text()
    assert window.status.progress.value() == 120
    assert plot.lr_ahead.getOriginalDataset()[0] is None or len(plot.lr_ahead.getOriginalDataset()[0]) == 0


def test_a_missing_dataset_is_reported_and_the_window_stays_usable(qtbot, make_window, tmp_path):
    window = make_window(RunConfig().with_overrides({"training.steps": 20}))
    window.data_panel.dataset.setCurrentText(str(tmp_path / "nowhere.npz"))
    qtbot.mouseClick(button(window, "startButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.run.active, timeout=FIRST_STEPS_MS)
    assert "data.dataset" in window.banner.text() and "nowhere.npz" in window.banner.text()
    assert "data.dataset" in window.statusBar().currentMessage()
    assert any("nowhere.npz" in line for line in window.log.lines())
    assert not window.findChildren(QMessageBox)
    assert button(window, "startButton").isEnabled()
