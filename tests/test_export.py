"""Exports: every model format reloads with the same predictions; plots, CSVs and TensorBoard files."""

import csv
import json
import os
import subprocess
import sys
import xml.dom.minidom

import numpy as np
import pytest
import tensorflow as tf

from workbench.cli import main
from workbench.core.errors import WorkbenchError
from workbench.core.export import export_model
from workbench.core.runs import open_run
from workbench.core.session import run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from workbench.core.config import RunConfig

    out = tmp_path_factory.mktemp("run")
    config = RunConfig().with_overrides({"training.steps": 80, "schedule.decay_steps": 30})
    run(config, out_dir=out)
    return out


@pytest.fixture(scope="module")
def samples():
    from workbench.core.data import load_digits

    return load_digits().x_test[:16]


@pytest.fixture(scope="module")
def expected(run_dir, samples):
    return open_run(run_dir).load_model().predict(samples, verbose=0)


def test_keras_export_reloads_after_import_workbench(run_dir, samples, expected, tmp_path):
    assert main(["export", str(run_dir), "--format", "keras", "--to", str(tmp_path / "m.keras")]) == 0
    np.save(tmp_path / "x.npy", samples)
    code = ("import sys, numpy as np\nimport workbench\nimport keras\n"
            "m = keras.models.load_model(sys.argv[1])\n"
            "np.save(sys.argv[3], m.predict(np.load(sys.argv[2]), verbose=0))\n"
            "print(type(m).__name__, m.optimizer._learning_rate.get_config())")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.keras"), str(tmp_path / "x.npy"),
                           str(tmp_path / "y.npy")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr
    assert "CustomStepModel" in done.stdout and "'decay_steps': 30" in done.stdout
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), expected)


def test_savedmodel_serves_the_same_predictions(run_dir, samples, expected, tmp_path):
    path = tmp_path / "served"
    assert main(["export", str(run_dir), "--format", "savedmodel", "--to", str(path)]) == 0
    served = tf.saved_model.load(str(path))
    np.testing.assert_allclose(served.serve(samples).numpy(), expected, atol=1e-6)
    assert json.loads((path / "workbench.json").read_text())["schedule"]["decay_steps"] == 30


def test_tflite_matches_within_1e_5(run_dir, samples, expected, tmp_path):
    path = tmp_path / "m.tflite"
    assert main(["export", str(run_dir), "--format", "tflite", "--to", str(path)]) == 0
    interpreter = tf.lite.Interpreter(model_path=str(path))
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, samples.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, samples)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert json.loads((tmp_path / "m.tflite.json").read_text())["schedule"]["family"] == "staircase"


def test_weights_load_into_the_same_architecture(run_dir, samples, expected, tmp_path):
    from workbench.core.model import mlp

    path = tmp_path / "m.weights.h5"
    assert main(["export", str(run_dir), "--format", "weights", "--to", str(path)]) == 0
    fresh = mlp((28, 28, 1), 10)
    fresh.load_weights(path)
    np.testing.assert_array_equal(fresh.predict(samples, verbose=0), expected)


def test_failed_export_leaves_the_earlier_file_intact(run_dir, tmp_path):
    path = tmp_path / "m.keras"
    model = open_run(run_dir).load_model()
    export_model(model, "keras", path)
    before = path.read_bytes()

    class Broken:
        def save(self, target):
            target.write_bytes(b"half a model")
            raise OSError(28, "No space left on device")

    with pytest.raises(WorkbenchError, match="No space left on device"):
        export_model(Broken(), "keras", path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]


@pytest.mark.parametrize("args, message", [
    (["--format", "onnx"], "workbench: error: --format must be one of keras, savedmodel, tflite, weights"),
    (["--format", "keras", "--to", "{file}/sub/m.keras"], "workbench: error: cannot write"),
    (["--format", "keras", "--to", "model.h5"], "workbench: error: to must end in .keras for the keras format"),
])
def test_bad_exports_exit_2_with_a_message(run_dir, tmp_path, capsys, args, message):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    args = [a.replace("{file}", str(blocker)) for a in args]
    assert main(["export", str(run_dir), *args]) == 2
    assert capsys.readouterr().err.strip().startswith(message)


def test_export_from_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["export", str(tmp_path)]) == 2
    assert "is not a run folder (no config.toml or history.csv)" in capsys.readouterr().err


def test_plot_png_has_the_chosen_size(run_dir, tmp_path):
    from PySide6 import QtGui

    assert main(["plot", str(run_dir), "--to", str(tmp_path / "p.png"), "--width", "900", "--height", "500",
                 "--dpi", "150"]) == 0
    image = QtGui.QImage(str(tmp_path / "p.png"))
    assert (image.width(), image.height()) == (900, 500)
    assert round(image.dotsPerMeterX() * 0.0254) == 150


def test_plot_svg_is_valid_xml_with_the_curves(run_dir, tmp_path):
    assert main(["plot", str(run_dir), "--to", str(tmp_path / "p.svg")]) == 0
    assert main(["plot", str(run_dir), "--plot", "metrics", "--to", str(tmp_path / "m.svg")]) == 0
    segments = {}
    for name in ("p.svg", "m.svg"):
        doc = xml.dom.minidom.parse(str(tmp_path / name))
        assert doc.documentElement.tagName == "svg"
        segments[name] = sorted(p.getAttribute("d").count("L") for p in doc.getElementsByTagName("path"))
    # Training: the stepped LR (two vertices per step) and the loss (one per step).
    assert segments["p.svg"][-2:] == [79, 159]
    # Metrics: batch accuracy per step, and validation accuracy joining the two epochs' points.
    assert segments["m.svg"][-1] == 79 and 1 in segments["m.svg"]


def test_plot_data_csv_parses(run_dir, tmp_path):
    assert main(["plot", str(run_dir), "--to", str(tmp_path / "p.png"), "--csv", str(tmp_path / "p.csv")]) == 0
    with open(tmp_path / "p.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 80 and set(rows[0]) >= {"step", "lr", "loss", "val_accuracy"}
    assert sum(1 for r in rows if r["val_accuracy"]) == 2  # one per epoch


def test_tensorboard_has_one_lr_per_step(run_dir):
    lr_steps = []
    for path in sorted((run_dir / "tensorboard" / "train").iterdir()):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            lr_steps += [event.step for value in event.summary.value if value.tag == "lr"]
    assert sorted(lr_steps) == list(range(80))
    assert any((run_dir / "tensorboard" / "validation").iterdir())
