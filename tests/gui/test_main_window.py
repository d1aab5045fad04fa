"""The main window without training: start-up, named widgets, menus, TOML configs, remembered settings."""

import os
import subprocess
import sys
import textwrap

import pytest

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMessageBox, QToolButton

from workbench.core.config import RunConfig

NAMED = {
    QToolButton: ("startButton", "pauseButton", "stepButton", "stopButton"),
    QLineEdit: ("initialLrEdit", "decayStepsEdit", "decayRateEdit"),
    QLabel: ("stepLabel",),
}


def test_window_shows_before_pyqtgraph_and_tensorflow_load(tmp_path):
    """As ``workbench gui`` opens it: painted first; pyqtgraph comes with the plots, TensorFlow with a run."""
    code = textwrap.dedent("""
        import sys
        from workbench.gui.app import make_app
        from workbench.gui import MainWindow
        heavy = ("tensorflow", "keras", "pyqtgraph", "asyncio", "numpy.ma")
        loaded = lambda: sorted(m for m in heavy if m in sys.modules)
        app = make_app()
        window = MainWindow(plots_after_show=True)
        window.plot_placeholder.firstPainted.connect(lambda: print("shown", loaded(), window.plot, flush=True))
        window.plotsBuilt.connect(lambda: (print("plots", loaded(), flush=True), window.close()))
        window.show()
        app.exec()
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["shown [] None", "plots ['pyqtgraph']"]


def test_a_window_shown_first_builds_its_plots_once_painted(qtbot, qt_leak_check):
    from workbench.gui import MainWindow

    config = RunConfig().with_overrides({"schedule.decay_steps": 400, "training.steps": 1200})
    window = MainWindow(config, plots_after_show=True)
    qtbot.addWidget(window)
    assert window.plot is None and window.schedule_form.preview is None
    assert not window.log_lr_action.isEnabled()
    window.schedule_form.field("decay_rate").set_value(0.5)  # edits before the plots come are kept
    with qtbot.waitSignal(window.plotsBuilt, timeout=30_000):
        window.show()
    assert window.plot_placeholder is None and window.plot.isVisible()
    assert window.centralWidget().layout().indexOf(window.plot) >= 0
    for x, lr in (window.plot.lr_ahead.getOriginalDataset(), window.schedule_form.preview.curve_data()):
        assert x[-1] == 1199 and lr[-1] == pytest.approx(0.001 * 0.5 ** 2)  # the panels' length and schedule
    assert window.log_lr_action.isEnabled()
    window.log_lr_action.trigger()
    assert not window.plot.log_lr.isChecked()
    window.build_plots()  # once only
    assert len(window.findChildren(type(window.plot))) == 1
    window.close()


def test_a_window_closed_before_its_plots_keeps_the_saved_smoothing(qtbot, make_window):
    from PySide6.QtCore import QSettings
    from workbench.gui import MainWindow

    first = make_window()
    first.plot.smoothing.setValue(33)
    first.close()
    early = MainWindow(plots_after_show=True)
    qtbot.addWidget(early)
    early.close()  # before it was ever shown
    assert int(QSettings().value("plot/smoothing")) == 33
    assert make_window().plot.smoothing.value() == 33


def test_default_window_shows_the_default_run_and_every_named_widget(window):
    assert window.config() == RunConfig()
    for kind, names in NAMED.items():
        for name in names:
            assert window.findChild(kind, name) is not None, name
    assert window.findChild(QToolButton, "pauseButton").isCheckable()
    assert window.findChild(object, "scheduleCombo").currentData() == "staircase"
    assert window.findChild(object, "schedulePreview").isVisible()
    assert window.findChild(object, "trainingPlot").isVisible()
    titles = [action.text().replace("&", "") for action in window.menuBar().actions()]
    assert titles == ["File", "Run", "Model", "View", "Help"]


def test_run_shortcuts_are_space_ctrl_r_and_ctrl_dot(window):
    shortcut = {key: window.commands[key].shortcut() for key in ("start", "pause", "stop")}
    assert shortcut["start"] == QKeySequence("Ctrl+R")
    assert shortcut["pause"] == QKeySequence("Space")
    assert shortcut["stop"] == QKeySequence("Ctrl+.")
    assert not window.commands["pause"].isEnabled()  # nothing to pause yet


def test_saved_toml_is_the_config_train_reads(window, tmp_path):
    window.findChild(QLineEdit, "decayStepsEdit").setText("250")
    window.findChild(QLineEdit, "decayRateEdit").setText("0.5")
    window.training_panel.steps.setValue(750)
    window.model_panel.optimizer.setCurrentText("adam")
    path = tmp_path / "run.toml"
    assert window.save_config(path)
    loaded = RunConfig.load(path)
    assert loaded == window.config()
    assert loaded.schedule.params == {"initial_lr": 0.001, "decay_steps": 250, "decay_rate": 0.5}
    assert (loaded.training.steps, loaded.model.optimizer) == (750, "adam")


def test_opening_a_config_fills_the_panels(window, tmp_path):
    config = RunConfig().with_overrides({
        "schedule.family": "cosine", "schedule.decay_steps": 900, "training.steps": 900,
        "data.batch_size": 32, "model.name": "cnn"})
    path = tmp_path / "cosine.toml"
    config.save(path)
    assert window.open_config(path)
    assert window.config() == config
    assert window.findChild(QLineEdit, "decayStepsEdit").text() == "900"
    assert window.schedule_form.combo.currentData() == "cosine"
    assert window.windowTitle().startswith("cosine.toml")


def test_a_broken_config_file_is_reported_in_the_window(window, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[schedule]\ndecay_steps = 0\n")
    before = window.config()
    assert not window.open_config(path)
    assert "schedule.decay_steps must be a positive integer" in window.banner.text()
    assert any("decay_steps" in line for line in window.log.lines())
    assert window.config() == before
    assert not window.findChildren(QMessageBox)


def test_last_used_values_and_geometry_come_back(make_window):
    first = make_window()
    first.findChild(QLineEdit, "decayStepsEdit").setText("321")
    first.training_panel.steps.setValue(1234)
    first.resize(796, 750)  # within the offscreen screen (800 x 800), above the minimum size
    first.close()
    second = make_window()
    assert second.config().schedule.params["decay_steps"] == 321
    assert second.config().training.steps == 1234
    assert (second.width(), second.height()) == (796, 750)


def test_app_main_opens_the_config_it_is_given(qtbot, tmp_path):
    from workbench.gui.app import main

    path = tmp_path / "given.toml"
    RunConfig().with_overrides({"schedule.decay_steps": 77}).save(path)
    seen = {}

    def look_and_close():
        window = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow"
                      and w.isVisible())
        seen["decay_steps"] = window.config().schedule.params["decay_steps"]
        seen["title"] = QApplication.applicationName()
        window.close()

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(look_and_close)
    timer.start(200)
    assert main(["--config", str(path)]) == 0
    assert seen == {"decay_steps": 77, "title": "workbench"}


def test_log_lines_come_in_batches_in_order_and_an_error_at_once(qtbot):
    from workbench.gui.messages import MessageLog

    log = MessageLog()
    qtbot.addWidget(log)
    log.add("Epoch 1: loss 0.5")
    log.add("Epoch 2: loss 0.4")
    assert log.toPlainText() == ""  # not laid out and repainted per line
    qtbot.waitUntil(lambda: "Epoch 2" in log.toPlainText(), timeout=5 * MessageLog.FLUSH_MS)
    log.add("Epoch 3: loss 0.3")
    log.add("Step 300: the loss is not finite", "error")  # at once, after the line before it
    log.details("Traceback: ...")
    text = log.toPlainText()
    assert text.index("Epoch 1") < text.index("Epoch 3") < text.index("not finite") < text.index("Traceback")
    log.add("Epoch 4: loss 0.2")
    assert log.lines()[-1].endswith("Epoch 4: loss 0.2")  # reading the log shows what is waiting

