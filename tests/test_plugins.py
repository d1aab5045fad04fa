"""Your own train step: the shipped examples, step options on the built-in model, failing plugins."""

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from workbench.core.config import RunConfig
from workbench.core.control import RunControl
from workbench.core.errors import RunFailed
from workbench.core.plugins import PluginError, load_plugin
from workbench.core.recorder import Reporter
from workbench.core.session import run

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def plugin_config(name, steps=300, **more):
    return RunConfig().with_overrides({"model.name": str(EXAMPLES / name), "training.steps": steps,
                                       "schedule.decay_steps": 100, "schedule.decay_rate": 0.5, **more})


def staircase(steps):
    return np.array([0.001 * 0.5 ** (s // 100) for s in steps], dtype=np.float32)


@pytest.mark.parametrize("example, logged", [
    ("seed_staircase.py", {"loss", "accuracy"}),
    ("extra_loss.py", {"loss", "data_loss", "extra_loss", "accuracy"}),
])
def test_classifier_examples_record_every_step_and_follow_the_schedule(example, logged):
    result = run(plugin_config(example))
    history = result.history
    assert len(history) == 300 and logged <= set(history.columns)
    for name in logged:
        assert np.all(np.isfinite(history.column(name)))
    np.testing.assert_array_equal(history.column("step"), np.arange(300))
    np.testing.assert_array_equal(history.column("lr").astype(np.float32), staircase(range(300)))
    assert result.model.optimizer._learning_rate is result.schedule
    assert int(result.model.optimizer.iterations.numpy()) == 300
    assert "val_loss" in history.epochs[-1] and 0 < result.summary["test"]["accuracy"] <= 1


def test_gan_example_drives_both_optimizers_with_the_schedule(tmp_path):
    result = run(plugin_config("gan.py", steps=250), out_dir=tmp_path / "gan")
    history, gan = result.history, result.model
    assert {"d_loss", "g_loss", "d_lr", "g_lr"} <= set(history.columns) and len(history) == 250
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        assert optimizer._learning_rate is result.schedule
        assert int(optimizer.iterations.numpy()) == 250
    np.testing.assert_array_equal(history.column("d_lr").astype(np.float32), staircase(range(250)))
    np.testing.assert_array_equal(history.column("g_lr").astype(np.float32), staircase(range(250)))
    images = load_plugin(EXAMPLES / "gan.py").generate(gan, 16)
    assert images.shape == (16, 28, 28, 1) and 0 <= images.min() and images.max() <= 1

    # Its two losses reach the exported plot data, the comparison table and the training figure.
    from workbench import figures
    from workbench.core.runs import comparison_rows, open_run

    header = figures.plot_data_csv(history).splitlines()[0].split(",")
    assert header[:4] == ["step", "lr", "d_loss", "g_loss"]
    final = comparison_rows([open_run(tmp_path / "gan")])[0]["final_loss"]
    assert "d_loss" in final and "g_loss" in final
    svg = figures.render(history, "training", tmp_path / "gan.svg").read_text()
    assert "d_loss" in svg and "g_loss" in svg


def test_plugin_reloads_an_edited_file(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text((EXAMPLES / "seed_staircase.py").read_text())
    first = load_plugin(path)
    path.write_text(path.read_text().replace("Dense(512", "Dense(64"))
    time.sleep(0.01)
    second = load_plugin(path)
    sizes = [p.build((28, 28, 1), 10).layers[2].units for p in (first, second)]
    assert sizes == [512, 64]


def test_exception_inside_train_step_names_the_file_and_line(tmp_path):
    source = (EXAMPLES / "seed_staircase.py").read_text().replace(
        "        inputs, targets = data\n", "        inputs, targets = data\n        raise ValueError('bad step')\n")
    path = tmp_path / "broken_step.py"
    path.write_text(source)
    line = source.splitlines().index("        raise ValueError('bad step')") + 1
    with pytest.raises(RunFailed, match=rf"broken_step.py:{line}: ValueError: bad step"):
        run(RunConfig().with_overrides({"model.name": str(path), "training.steps": 5}))


def test_load_plugin_reports_a_missing_build_model(tmp_path):
    (tmp_path / "none.py").write_text("VALUE = 1\n")
    with pytest.raises(PluginError, match="must define build_model"):
        load_plugin(tmp_path / "none.py")


# --- step options on the built-in model ---

class Watch(Reporter):
    """Keeps what the run hands to a reporter: the history and the live model."""

    history = model = None

    def on_model(self, model):
        self.model = model

    def on_start(self, history, total_steps, steps_per_epoch):
        self.history = history


def _wait(condition, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_freezing_a_layer_mid_run_keeps_its_weights_from_that_step_on():
    control, watch, box = RunControl(), Watch(), {}
    config = RunConfig().with_overrides({"training.steps": 200, "model.optimizer": "adam"})
    thread = threading.Thread(target=lambda: box.update(result=run(config, control, watch)))
    thread.start()
    _wait(lambda: watch.history is not None and len(watch.history) >= 30)
    control.pause()
    _wait(lambda: control.holding)
    frozen_at = len(watch.history)
    # Read while the training thread holds between batches: these are the weights before step `frozen_at`.
    dense_then = [np.array(w) for w in watch.model.get_layer("hidden").get_weights()]
    output_then = [np.array(w) for w in watch.model.get_layer("classifier").get_weights()]
    control.change_step_options(frozen=["hidden"])
    control.resume()
    thread.join(120)
    result = box["result"]
    assert all(np.array_equal(a, b) for a, b in zip(dense_then, result.model.get_layer("hidden").get_weights()))
    assert not np.array_equal(output_then[0], result.model.get_layer("classifier").get_weights()[0])
    events = [e for e in result.history.events if e["kind"] == "step_options"]
    assert events[0]["step"] == frozen_at and json.loads(events[0]["detail"]) == {"frozen": ["hidden"]}


def test_gradient_clipping_bounds_the_update():
    initial = {}
    config = RunConfig().with_overrides({"training.steps": 1, "model.optimizer": "sgd",
                                         "schedule.family": "constant", "schedule.lr": 1.0,
                                         "step.clip_norm": 0.01})

    class Snapshot(Watch):
        def on_start(self, history, total_steps, steps_per_epoch):
            initial["weights"] = [w.numpy().copy() for w in self.model.trainable_weights]

    result = run(config, reporter=Snapshot())
    moved = [w.numpy() - w0 for w, w0 in zip(result.model.trainable_weights, initial["weights"])]
    # Plain SGD at rate 1 moves the weights by exactly the clipped gradient.
    assert np.sqrt(sum(np.sum(d * d) for d in moved)) == pytest.approx(0.01, rel=1e-3)
    assert result.history.column("grad_norm")[0] > 0.01  # the raw gradient was larger


def test_l2_penalty_is_added_and_recorded():
    plain = run(RunConfig().with_overrides({"training.steps": 30}))
    penalised = run(RunConfig().with_overrides({"training.steps": 30, "step.l2": 0.001}))
    assert np.all(plain.history.column("l2_penalty") == 0)
    assert np.all(penalised.history.column("l2_penalty") > 0)


def test_step_options_turned_on_and_changed_mid_run_apply_at_the_next_batch():
    """An option that is off is not in the traced step; turning it on traces again, changing it does not."""
    control, watch, box = RunControl(), Watch(), {}
    config = RunConfig().with_overrides({"training.steps": 120})
    thread = threading.Thread(target=lambda: box.update(result=run(config, control, watch)))
    thread.start()

    def pause_at(steps):
        _wait(lambda: watch.history is not None and len(watch.history) >= steps)
        control.pause()
        _wait(lambda: control.holding)
        return len(watch.history)

    assert watch.model is None or not watch.model.step_features
    on_at = pause_at(20)
    control.change_step_options(l2=0.001, clip_norm=0.05)
    control.step()  # one batch: the new options are in it
    _wait(lambda: len(watch.history) == on_at + 1)
    traced = watch.model.train_function
    assert watch.model.step_features == {"l2", "clip"}
    control.change_step_options(clip_norm=0.02)  # a new value only: same traced step
    control.resume()
    changed_at = pause_at(on_at + 20)
    assert watch.model.train_function is traced
    control.change_step_options(l2=0.0, clip_norm=0.0)
    control.resume()
    thread.join(120)
    history = box["result"].history
    penalty, norm = history.column("l2_penalty"), history.column("grad_norm")
    assert np.all(penalty[:on_at] == 0) and np.all(penalty[on_at:changed_at] > 0)
    assert np.all(penalty[changed_at:] == 0) and box["result"].model.step_features == frozenset()
    assert np.all(np.isfinite(norm)) and len(history) == 120


def test_top3_metric_is_computed_in_the_step():
    result = run(RunConfig().with_overrides({"training.steps": 30, "step.top3_accuracy": True}))
    top3, top1 = result.history.column("top3_accuracy"), result.history.column("accuracy")
    assert np.all(top3 >= top1) and "val_top3_accuracy" in result.history.epochs[-1]


def test_plateau_rule_lowers_the_lr_when_validation_stalls():
    config = RunConfig().with_overrides({
        "training.steps": 0, "training.epochs": 8, "data.validation_split": 0.1,
        "schedule.family": "constant", "schedule.lr": 0.01,
        "step.plateau_patience": 1, "step.plateau_factor": 0.5})
    result = run(config)
    drops = [e for e in result.history.events if e["kind"] == "plateau"]
    assert drops, "a constant 0.01 on RMSprop overfits quickly: val_loss stops improving"
    expected = 0.01 * 0.5 ** len(drops)
    assert result.schedule.params["lr"] == pytest.approx(expected)
    first = drops[0]["step"]
    lr = result.history.column("lr")
    assert lr[first - 1] == np.float32(0.01) and lr[first] == np.float32(0.005)


def test_freezing_an_unknown_layer_is_a_clear_error():
    with pytest.raises(Exception, match=r"step.frozen names no layer with weights \(layers: hidden, classifier\)"):
        run(RunConfig().with_overrides({"training.steps": 5, "step.frozen": ["encoder"]}))


def test_plugin_model_is_saved_with_the_run(tmp_path):
    run(plugin_config("seed_staircase.py", steps=20), out_dir=tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (tmp_path / "model.keras").stat().st_size > 0 and "save_problems" not in summary
