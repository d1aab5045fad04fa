"""Beyond one run: Run → Find learning rate…, File → Compare runs…, and the tf.distribute strategy selector."""

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QPushButton

from workbench.core.config import RunConfig
from workbench.gui.compare_dialog import CompareDialog
from workbench.gui.lr_finder_dialog import LrFinderDialog

from test_training_run import FIRST_STEPS_MS, start_and_wait


def click(qtbot, widget, name):
    qtbot.mouseClick(widget.findChild(QPushButton, name), Qt.MouseButton.LeftButton)


def test_find_lr_draws_loss_against_lr_and_use_sets_the_first_lr_field(qtbot, window):
    window.commands["find_lr"].trigger()
    dialog = window.findChild(LrFinderDialog)
    assert dialog.isVisible() and not dialog.use.isEnabled()
    dialog.steps.setValue(40)
    click(qtbot, dialog, "findLrButton")
    assert window.tasks.busy and not window.commands["start"].isEnabled()  # one TensorFlow job at a time
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=FIRST_STEPS_MS)
    result = dialog.result
    assert result is not None, dialog.message.text()
    assert dialog.plot.getPlotItem().ctrl.logXCheck.isChecked()  # log LR axis
    lrs, losses = dialog.raw.getOriginalDataset()
    np.testing.assert_array_equal(lrs, result.lrs)
    assert 10 <= len(lrs) <= 40 and lrs[0] == pytest.approx(1e-7)
    assert dialog.marker.isVisible() and dialog.marker.value() == pytest.approx(math.log10(result.suggestion))
    assert f"{result.suggestion:.3g}" in dialog.message.text()
    assert dialog.marker.label.toPlainText() == f"suggested {result.suggestion:.3g}"

    click(qtbot, dialog, "useLrButton")
    assert float(window.schedule_form.field("initial_lr").text()) == pytest.approx(result.suggestion, rel=1e-2)
    assert window.config().schedule.params["initial_lr"] == pytest.approx(result.suggestion, rel=1e-2)
    assert window.commands["start"].isEnabled()


def test_find_lr_is_not_offered_while_a_run_trains(qtbot, make_window, quick_config):
    window = make_window(quick_config)
    start_and_wait(qtbot, window)
    assert not window.commands["find_lr"].isEnabled()
    window.run.stop()
    qtbot.waitUntil(lambda: not window.run.active, timeout=30_000)
    assert window.commands["find_lr"].isEnabled()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two short real runs with different schedules, as run folders."""
    from workbench.core.session import run

    root = tmp_path_factory.mktemp("compare")
    for name, decay in (("fast-decay", 10), ("slow-decay", 1000)):
        config = RunConfig().with_overrides({"training.steps": 30, "schedule.decay_steps": decay})
        run(config, out_dir=root / name)
    return [root / "fast-decay", root / "slow-decay"]


def test_compare_runs_overlays_each_run_with_a_toggle_and_a_table(qtbot, window, two_runs, monkeypatch, tmp_path):
    chosen = iter([str(p) for p in two_runs] + [str(tmp_path)])
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: next(chosen))
    window.commands["compare"].trigger()
    dialog = window.findChild(CompareDialog)
    assert dialog.isVisible() and dialog.table.rowCount() == 0  # no run yet in this window
    for _ in two_runs:
        click(qtbot, dialog, "addRunButton")
    table = dialog.table
    assert [table.item(r, 0).text() for r in range(2)] == ["fast-decay", "slow-decay"]
    assert [table.item(r, 2).text() for r in range(2)] == ["30", "30"]
    assert "decay_steps=10" in table.item(0, 1).text()
    assert float(table.item(0, 3).text()) < float(table.item(1, 3).text())  # final LR: the fast decay is lower
    (lr_fast, loss_fast), (lr_slow, loss_slow) = dialog.curves
    assert len(lr_fast.getOriginalDataset()[0]) == 30 and len(loss_slow.getOriginalDataset()[1]) == 30
    assert lr_fast.opts["pen"].color() != lr_slow.opts["pen"].color()

    dialog.set_shown(0, False)  # as unticking the checkbox does
    assert not lr_fast.isVisible() and not loss_fast.isVisible() and lr_slow.isVisible()
    dialog.set_shown(0, True)
    assert lr_fast.isVisible() and loss_fast.isVisible()

    click(qtbot, dialog, "addRunButton")  # a folder that is not a run
    assert "is not a run folder" in dialog.message.text() and table.rowCount() == 2
    dialog.close()


def test_compare_starts_with_the_window_s_last_run(qtbot, make_window):
    window = make_window(RunConfig().with_overrides({"training.steps": 20}))
    start_and_wait(qtbot, window, at_least=1)
    qtbot.waitUntil(lambda: not window.run.active, timeout=FIRST_STEPS_MS)
    window.commands["compare"].trigger()
    assert window.compare_dialog.table.item(0, 0).text() == window.run.out_dir.name
    window.compare_dialog.close()


def test_the_strategy_selector_is_training_strategy(make_window, tmp_path):
    window = make_window(RunConfig().with_overrides({"training.steps": 20}))
    combo = window.training_panel.strategy
    assert combo.objectName() == "strategyCombo" and window.config().training.strategy == "default"
    assert [combo.itemData(i) for i in range(combo.count())] == ["default", "mirrored", "multiworker"]
    combo.setCurrentIndex(combo.findData("multiworker"))
    assert window.config().training.strategy == "multiworker"
    window.save_config(tmp_path / "run.toml")
    assert RunConfig.load(tmp_path / "run.toml").training.strategy == "multiworker"
    window.set_config(RunConfig().with_overrides({"training.strategy": "mirrored", "training.steps": 20}))
    assert combo.currentData() == "mirrored"

    assert window.config().training.strategy == "mirrored"
    window.training_panel.set_editable(False)  # what a run start does: the strategy is fixed for the run
    assert not combo.isEnabled()
    # Running under each strategy is tests/test_distribute.py's; one here would cost ~20 s after other runs.
