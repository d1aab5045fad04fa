"""Your own train step in the window: Model → Open train step…, every returned value plotted, a live
grid of generated digits, file:line errors, recent files and Reload; the built-in step's options mid-run."""

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from workbench.core.config import RunConfig
from workbench.gui.plugin_actions import EXAMPLES

from test_training_run import FIRST_STEPS_MS, button, pause_and_hold, rows, start_and_wait, stop_and_wait

GAN = EXAMPLES / "gan.py"

SMALL_STEP = '''\
import keras
from keras import layers


class Small(keras.Model):
    def train_step(self, data):
        {body}


def build_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    outputs = layers.Dense(num_classes, activation="softmax")(layers.Flatten()(inputs))
    return {returned}
'''


def write_step(path: Path, body="return super().train_step(data)", returned="Small(inputs, outputs)") -> Path:
    path.write_text(SMALL_STEP.format(body=body, returned=returned))
    return path


def open_step_file(qtbot, window, monkeypatch, path):
    """Model → Open train step…, choosing ``path``; wait until the file has been read."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), "Python files (*.py)"))
    window.commands["open_step"].trigger()
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=60_000)


def legend_labels(legend):
    return [label.text for _, label in legend.items]


def test_the_gan_example_plots_both_losses_and_shows_a_live_grid(qtbot, make_window, monkeypatch):
    window = make_window(RunConfig().with_overrides({"training.steps": 100}))
    open_step_file(qtbot, window, monkeypatch, GAN)
    assert window.config().model.name == str(GAN)
    assert window.model_panel.model.currentText() == "gan.py"
    assert any("Loaded" in line and "generate" in line for line in window.log.lines())
    assert window.model_panel.step_options.isHidden()  # the built-in step's options

    start_and_wait(qtbot, window, at_least=1)
    qtbot.waitUntil(lambda: not window.run.active, timeout=FIRST_STEPS_MS)
    assert not window.banner.text()
    series = window.plot.series
    assert {"d_loss", "g_loss"} <= set(series) and "loss" not in series
    assert series["d_loss"].axis == series["g_loss"].axis == "loss"
    assert series["d_loss"].color != series["g_loss"].color
    for name in ("d_loss", "g_loss"):
        steps, values = series[name].raw.getOriginalDataset()
        np.testing.assert_array_equal(steps, np.arange(100))
        assert np.isfinite(values).all()
    assert {"d_loss (smoothed)", "g_loss (smoothed)"} <= set(legend_labels(window.plot.legend))
    assert series["d_lr"].axis == "lr"  # what the step returned besides its losses is plotted too

    assert window.samples.updates >= 1 and window.docks["samples"].isVisible()
    assert window.samples.image.shape == (4 * 28 + 3, 4 * 28 + 3, 1)  # a 4 x 4 grid of digits
    assert not window.samples.pixmap().isNull()


def test_a_broken_file_is_reported_with_file_and_line(qtbot, window, monkeypatch, tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import keras\nx = 1\nraise RuntimeError('broken on purpose')\n")
    open_step_file(qtbot, window, monkeypatch, path)
    assert f"{path}:3" in window.banner.text() and "RuntimeError: broken on purpose" in window.banner.text()
    assert not window.findChildren(QMessageBox)
    assert window.commands["start"].isEnabled()  # the window stays usable


@pytest.mark.parametrize("body, returned, message", [
    ("raise ValueError('no step today')", "Small(inputs, outputs)", "{path}:7: ValueError: no step today"),
    ("return {}", "'not a model'", "{path}: build_model must return a keras.Model, got str"),
])
def test_a_failing_step_is_reported_with_file_and_line(qtbot, make_window, monkeypatch, tmp_path, body, returned,
                                                       message):
    path = write_step(tmp_path / "failing.py", body, returned)
    window = make_window(RunConfig().with_overrides({"training.steps": 20}))
    open_step_file(qtbot, window, monkeypatch, path)
    qtbot.mouseClick(button(window, "startButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.run.active, timeout=FIRST_STEPS_MS)
    assert message.format(path=path) in window.banner.text()
    assert button(window, "startButton").isEnabled()


def test_recent_files_are_remembered_and_reload_reads_the_file_again(qtbot, make_window, monkeypatch, tmp_path):
    path = write_step(tmp_path / "mine.py")
    window = make_window()
    assert not window.commands["reload_step"].isEnabled()  # the built-in model has no file
    open_step_file(qtbot, window, monkeypatch, path)
    assert window.commands["reload_step"].isEnabled()
    assert [a.data() for a in window.plugins.recent_menu.actions()] == [str(path)]

    path.write_text(path.read_text().replace("import keras\n", "import keras\nimport no_such_module\n"))
    window.commands["reload_step"].trigger()
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=30_000)
    assert f"{path}:2" in window.banner.text() and "no_such_module" in window.banner.text()
    write_step(path)
    window.commands["reload_step"].trigger()
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=30_000)
    assert window.log.lines()[-1].endswith(f"Loaded {path}: build_model")

    window.model_panel.set_model_name("mlp")
    later = make_window()  # the list outlives the window, and choosing from it picks the file
    recent = later.plugins.recent_menu.actions()
    assert [a.data() for a in recent] == [str(path)]
    recent[0].trigger()
    assert later.config().model.name == str(path)
    qtbot.waitUntil(lambda: not later.tasks.busy, timeout=30_000)


def test_step_options_change_mid_run_and_a_frozen_layer_holds_still(qtbot, make_window, quick_config):
    window = make_window(quick_config)
    options = window.model_panel.step_options
    start_and_wait(qtbot, window)
    held = pause_and_hold(qtbot, window)
    assert options.clip_norm.isEnabled() and options.frozen.isEnabled()
    assert not options.top3.isEnabled() and not options.patience.isEnabled()  # fixed once built
    assert [options.frozen.item(i).text() for i in range(options.frozen.count())] == ["hidden", "classifier"]

    options.clip_norm.setValue(0.5)
    options.set_frozen("hidden", True)
    hidden = [w.copy() for w in window.run.model.get_layer("hidden").get_weights()]
    classifier = [w.copy() for w in window.run.model.get_layer("classifier").get_weights()]
    for i in range(1, 4):
        qtbot.mouseClick(button(window, "stepButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: rows(window) == held + i and window.run.control.holding, timeout=10_000)
    changes = [e for e in window.run.history.events if e["kind"] == "step_options"]
    assert [e["step"] for e in changes] == [held]  # both edits, made while paused, apply at the next batch
    assert json.loads(changes[0]["detail"]) == {"clip_norm": 0.5, "frozen": ["hidden"]}
    for before, after in zip(hidden, window.run.model.get_layer("hidden").get_weights()):
        np.testing.assert_array_equal(before, after)
    assert not np.array_equal(classifier[0], window.run.model.get_layer("classifier").get_weights()[0])
    stop_and_wait(qtbot, window)
    config = window.config()
    assert (config.step.clip_norm, config.step.frozen) == (0.5, ["hidden"])
