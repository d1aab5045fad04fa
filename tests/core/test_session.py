"""Whole training runs through ``run(config, control, reporter)``: real Keras, tiny data."""

import csv
import json
import threading
import time

import keras
import numpy as np
import pytest

from workbench.core.config import RunConfig
from workbench.core.control import RunControl
from workbench.core.errors import RunFailed
from workbench.core.recorder import Reporter
from workbench.core.session import run


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def test_history_lr_equals_keras_staircase_at_every_step(tiny_config, tmp_path):
    result = run(tiny_config, out_dir=tmp_path)
    history = read_csv(tmp_path / "history.csv")
    assert list(history) == ["step", "epoch", "lr", "loss", "accuracy", "grad_norm", "l2_penalty", "wall_time"]
    np.testing.assert_array_equal(history["step"], np.arange(60))
    reference = keras.optimizers.schedules.ExponentialDecay(0.001, 20, 0.5, staircase=True)
    expected = np.array([float(reference(int(s))) for s in history["step"]], dtype=np.float32)
    # The CSV holds float32 values (what the step computes in) as their shortest text: exact in float32.
    np.testing.assert_array_equal(history["lr"].astype(np.float32), expected)
    assert len(np.unique(history["lr"])) == 3  # two drops
    assert result.summary["steps"] == 60


def test_run_folder_holds_config_history_model_summary(tiny_config, tmp_path):
    run(tiny_config, out_dir=tmp_path)
    assert {p.name for p in tmp_path.iterdir()} >= {
        "config.toml", "history.csv", "epochs.csv", "model.keras", "summary.json"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["steps"] == 60 and summary["steps_per_second"] > 0
    assert 0 <= summary["test"]["accuracy"] <= 1
    import workbench.core.model  # noqa: F401  (registers the custom classes)
    model = keras.models.load_model(tmp_path / "model.keras")
    assert model.optimizer.learning_rate is not None
    assert model.optimizer._learning_rate.get_config()["decay_steps"] == 20


def _start_in_thread(config, control, reporter=None):
    box = {}

    def target():
        try:
            box["result"] = run(config, control, reporter)
        except BaseException as exc:  # surfaced by the test
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, box


def _wait(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


class Watch(Reporter):
    def __init__(self):
        self.history = None

    def on_start(self, history, total_steps, steps_per_epoch):
        self.history = history


def _paused_after_ten_rows(config):
    """Start ``config`` in a thread, pause it once it has 10 rows: (control, watch, thread, box, rows held)."""
    control, watch = RunControl(), Watch()
    thread, box = _start_in_thread(config, control, watch)
    _wait(lambda: watch.history is not None and len(watch.history) >= 10)
    control.pause()
    _wait(lambda: control.holding)
    return control, watch, thread, box, len(watch.history)


def test_pausing_holds_the_step_count_and_step_advances_by_one(tiny_config):
    control, watch, thread, box, held = _paused_after_ten_rows(tiny_config.with_overrides({"training.steps": 200}))
    time.sleep(1.0)
    assert len(watch.history) == held
    control.step()
    _wait(lambda: len(watch.history) == held + 1 and control.holding)
    time.sleep(0.3)
    assert len(watch.history) == held + 1
    control.resume()
    thread.join(60)
    assert "error" not in box
    steps = box["result"].history.column("step")
    np.testing.assert_array_equal(steps, np.arange(200))  # none lost, none repeated
    kinds = [e["kind"] for e in box["result"].history.events]
    assert kinds == ["pause", "step", "pause", "resume"]


def test_pausing_and_stepping_in_fast_mode_keep_every_epoch_whole(tiny_config):
    """Keras makes ceil(63 / 8) calls an epoch: a paused call must not take fewer batches, or epochs shrink."""
    control, watch, thread, box, held = _paused_after_ten_rows(tiny_config.with_overrides({
        "training.steps": 150, "training.steps_per_execution": 8, "data.validation_split": 0.0}))
    control.step()
    _wait(lambda: len(watch.history) > held and control.holding)
    control.resume()
    thread.join(60)
    history = box["result"].history
    np.testing.assert_array_equal(history.column("step"), np.arange(150))
    np.testing.assert_array_equal(np.bincount(history.column("epoch")), [63, 63, 24])


def test_schedule_edit_while_paused_applies_at_the_next_batch(tiny_config):
    config = tiny_config.with_overrides({"training.steps": 100})
    control, watch = RunControl(), Watch()
    thread, box = _start_in_thread(config, control, watch)
    _wait(lambda: watch.history is not None and len(watch.history) >= 5)
    control.pause()
    _wait(lambda: control.holding)
    edit_at = len(watch.history)
    control.change_schedule(initial_lr=0.01, decay_steps=1000)
    control.resume()
    thread.join(60)
    history = box["result"].history
    lr = history.column("lr")
    assert np.all(lr[edit_at:] == np.float32(0.01))
    assert lr[edit_at - 1] < 0.01
    schedule_events = [e for e in history.events if e["kind"] == "schedule"]
    assert schedule_events[0]["step"] == edit_at
    assert json.loads(schedule_events[0]["detail"])["decay_steps"] == 1000


def test_stop_keeps_the_partial_model(tiny_config):
    config = tiny_config.with_overrides({"training.steps": 5000})
    control, watch = RunControl(), Watch()
    thread, box = _start_in_thread(config, control, watch)
    _wait(lambda: watch.history is not None and len(watch.history) >= 10)
    control.stop()
    thread.join(60)
    result = box["result"]
    assert 10 <= result.summary["steps"] < 5000 and result.summary["stopped_early"]
    assert result.model.predict(np.zeros((1, 28, 28, 1)), verbose=0).shape == (1, 10)


class FailsAtStep(Reporter):
    def on_step(self, record):
        if record["step"] == 7:
            raise RuntimeError("boom in step 7")


def test_failure_during_the_run_saves_what_was_trained(tiny_config, tmp_path):
    with pytest.raises(RunFailed, match="boom in step 7") as info:
        run(tiny_config, reporter=FailsAtStep(), out_dir=tmp_path)
    assert len(info.value.result.history) == 8
    assert len(read_csv(tmp_path / "history.csv")["step"]) == 8
    assert (tmp_path / "model.keras").exists()
    assert "boom" in json.loads((tmp_path / "summary.json").read_text())["error"]


def test_fast_mode_still_records_every_step_and_trains_as_one_step_a_call_does(tmp_path):
    """steps_per_execution runs several batches per call; a buffer in the step keeps each one's row.

    An epoch of 63 batches is not a multiple of 8: the last call of each epoch takes 7, so
    the epochs keep their own batches and the run stops at its step limit, not after it.
    """
    plain = {"training.steps": 150, "schedule.decay_steps": 30, "data.validation_split": 0.0}
    result = run(RunConfig().with_overrides({**plain, "training.steps_per_execution": 8}), out_dir=tmp_path)
    steps = result.history.column("step")
    np.testing.assert_array_equal(steps, np.arange(150))
    assert int(result.model.optimizer.iterations.numpy()) == 150
    np.testing.assert_array_equal(np.bincount(result.history.column("epoch")), [63, 63, 24])
    reference = keras.optimizers.schedules.ExponentialDecay(0.001, 30, 0.1, staircase=True)
    np.testing.assert_array_equal(result.history.column("lr").astype(np.float32),
                                  np.array([float(reference(int(s))) for s in steps], dtype=np.float32))
    assert len(np.unique(result.history.column("loss"))) > len(steps) // 2  # per-step values, not repeats
    one_a_call = run(RunConfig().with_overrides(plain)).history
    for name in ("epoch", "lr", "loss", "accuracy", "grad_norm"):  # same batches, same updates
        np.testing.assert_array_equal(result.history.column(name), one_a_call.column(name), err_msg=name)
    # The count of the run's last call is not kept, nor saved: a fit of one's own takes whole calls.
    assert int(result.model.execution_steps.numpy()) == 8
    assert "execution_steps" not in [v.name for v in result.model.variables]
    import workbench.core.model  # noqa: F401  (registers the custom classes)
    saved = keras.models.load_model(tmp_path / "model.keras")  # its step buffer's variables load too
    samples = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(saved.predict(samples, verbose=0), result.model.predict(samples, verbose=0))


def test_each_epoch_has_its_own_order_and_one_pass_matches_epoch_by_epoch():
    """The one-pass dataset (whole epochs) and the per-epoch one (resumes) agree batch for batch."""
    from workbench.core.data import TrainStream

    x, y = np.arange(100 * 3, dtype=np.float32).reshape(100, 3), np.arange(100)
    stream = TrainStream(x, y, batch_size=16, seed=7)
    per_epoch = []
    for epoch in range(3):
        stream.begin_epoch(epoch)
        per_epoch.append(np.concatenate([labels.numpy() for _, labels in stream.dataset()]))
    one_pass = np.concatenate([labels.numpy() for _, labels in stream.epochs_dataset(0, 3)])
    np.testing.assert_array_equal(one_pass, np.concatenate(per_epoch))
    assert not np.array_equal(per_epoch[0], per_epoch[1])
    assert sorted(per_epoch[2]) == list(range(100))
    stream.begin_epoch(1)
    resumed = np.concatenate([labels.numpy() for _, labels in stream.dataset(skip=2)])
    np.testing.assert_array_equal(resumed, per_epoch[1][32:])


def test_a_run_ends_its_data_iterators_itself(tiny_config):
    """No tf.data iterator is left for the cyclic collector (which the window runs on the GUI thread)."""
    import gc

    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        run(tiny_config.with_overrides({"training.steps": 45}))  # stops mid-epoch, iterator part-read
        left = [type(o).__name__ for o in gc.get_objects()
                if type(o).__name__ in ("OwnedIterator", "TFEpochIterator", "EpochIterator")]
    finally:
        if was_enabled:
            gc.enable()
    assert left == []
