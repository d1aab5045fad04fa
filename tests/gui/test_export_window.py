"""File → Export from the window: every model format reloads with the live model's predictions,
from a paused run (its current weights) and from a finished one; plots, plotted data and history;
an unwritable path is reported in the window."""

import csv
import json
import xml.dom.minidom

import numpy as np
import pytest
import tensorflow as tf
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton

import workbench  # noqa: F401  (registers the workbench's Keras classes for load_model)
from workbench.core.config import RunConfig
from workbench.gui.export_dialogs import ExportModelDialog, ExportPlotDialog

from test_training_run import button, pause_and_hold, rows, start_and_wait, stop_and_wait

FORMATS = {"keras": "m.keras", "savedmodel": "served", "tflite": "m.tflite", "weights": "m.weights.h5"}


@pytest.fixture(scope="module")
def samples():
    from workbench.core.data import load_digits

    return load_digits().x_test[:16]


def export_actions(window):
    return [window.commands[k] for k in ("export_model", "export_plot", "export_history")]


def export_through_dialog(qtbot, window, fmt, path):
    """Choose ``fmt`` and ``path`` in File → Export model… and press Export; wait for the files."""
    window.commands["export_model"].trigger()
    dialog = window.findChild(ExportModelDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.set_format(fmt)
    dialog.path.set_path(path)
    qtbot.mouseClick(dialog.findChild(QPushButton, "exportOkButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=60_000)


def reload_predictions(fmt, path, samples):
    if fmt == "keras":
        import keras

        return keras.models.load_model(path).predict(samples, verbose=0)
    if fmt == "savedmodel":
        served = tf.saved_model.load(str(path))  # held: serve() needs its variables alive
        return served.serve(samples).numpy()
    if fmt == "tflite":
        interpreter = tf.lite.Interpreter(model_path=str(path))
        index = interpreter.get_input_details()[0]["index"]
        interpreter.resize_tensor_input(index, samples.shape)
        interpreter.allocate_tensors()
        interpreter.set_tensor(index, samples)
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    from workbench.core.model import mlp

    fresh = mlp(samples.shape[1:], 10)
    fresh.load_weights(path)
    return fresh.predict(samples, verbose=0)


def check_every_format(qtbot, window, folder, samples):
    expected = window.run.model.predict(samples, verbose=0)
    for fmt, name in FORMATS.items():
        export_through_dialog(qtbot, window, fmt, folder / name)
        assert (folder / name).exists(), window.banner.text()
        np.testing.assert_allclose(reload_predictions(fmt, folder / name, samples), expected, atol=1e-5,
                                   err_msg=fmt)
    assert not window.banner.text()


def test_a_paused_run_exports_its_current_weights_in_every_format(qtbot, make_window, quick_config, tmp_path,
                                                                    samples):
    window = make_window(quick_config)
    assert not any(action.isEnabled() for action in export_actions(window))  # nothing to export yet
    start_and_wait(qtbot, window, at_least=20)
    assert not any(action.isEnabled() for action in export_actions(window))  # weights are changing
    held = pause_and_hold(qtbot, window)
    qtbot.waitUntil(lambda: all(action.isEnabled() for action in export_actions(window)))

    check_every_format(qtbot, window, tmp_path / "paused", samples)
    assert rows(window) == held  # exporting did not move the run
    assert sum("Exported the model" in line for line in window.log.lines()) == 4
    sidecar = json.loads((tmp_path / "paused" / "m.tflite.json").read_text())
    assert sidecar["steps"] == held and sidecar["schedule"]["decay_steps"] == 40

    qtbot.mouseClick(button(window, "pauseButton"), Qt.MouseButton.LeftButton)  # resume: training goes on
    qtbot.waitUntil(lambda: rows(window) > held + 5, timeout=20_000)
    stop_and_wait(qtbot, window)


def test_a_finished_run_exports_every_format_and_its_plots_and_history(qtbot, make_window, tmp_path, samples,
                                                                        monkeypatch):
    window = make_window(RunConfig().with_overrides({"training.steps": 60, "schedule.decay_steps": 25}))
    start_and_wait(qtbot, window, at_least=1)
    qtbot.waitUntil(lambda: not window.run.active, timeout=60_000)
    assert all(action.isEnabled() for action in export_actions(window))
    check_every_format(qtbot, window, tmp_path / "finished", samples)

    png, svg, data = tmp_path / "plots" / "training.png", tmp_path / "plots" / "metrics.svg", tmp_path / "p.csv"
    window.commands["export_plot"].trigger()
    dialog = window.findChild(ExportPlotDialog)
    dialog.width.setValue(900)
    dialog.height.setValue(500)
    dialog.dpi.setValue(150)
    dialog.path.set_path(png)
    qtbot.mouseClick(dialog.findChild(QPushButton, "exportOkButton"), Qt.MouseButton.LeftButton)
    image = QImage(str(png))
    assert (image.width(), image.height()) == (900, 500)
    assert round(image.dotsPerMeterX() * 0.0254) == 150
    assert window.exports.export_plot("metrics", "svg", svg)
    assert xml.dom.minidom.parse(str(svg)).getElementsByTagName("path")
    assert window.exports.export_plot("training", "csv", data)
    with open(data, newline="") as f:
        plotted = list(csv.DictReader(f))
    assert len(plotted) == 60 and {"step", "lr", "loss"} <= set(plotted[0])

    history = tmp_path / "history.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(history), "CSV (*.csv)"))
    window.commands["export_history"].trigger()
    with open(history, newline="") as f:
        steps = [int(row["step"]) for row in csv.DictReader(f)]
    assert steps == list(range(60))
    assert not window.banner.text()


def test_an_unwritable_path_is_reported_and_nothing_is_lost(qtbot, make_window, tmp_path):
    window = make_window(RunConfig().with_overrides({"training.steps": 30}))
    start_and_wait(qtbot, window, at_least=1)
    qtbot.waitUntil(lambda: not window.run.active, timeout=60_000)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    export_through_dialog(qtbot, window, "keras", blocker / "m.keras")
    assert "Could not export" in window.banner.text() and "m.keras" in window.banner.text()
    assert not window.exports.export_history(blocker / "history.csv")
    assert not window.exports.export_plot("training", "png", blocker / "p.png")
    assert "p.png" in window.banner.text()
    assert not window.findChildren(QMessageBox)
    export_through_dialog(qtbot, window, "keras", tmp_path / "ok.keras")  # the window carries on
    assert (tmp_path / "ok.keras").exists()
    assert window.commands["start"].isEnabled()
