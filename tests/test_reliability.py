"""Crashes, Ctrl+C, NaN losses, pauses and resumes: the result must not change."""

import csv
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from workbench.core.config import RunConfig
from workbench.core.control import RunControl
from workbench.core.errors import RunFailed
from workbench.core.recorder import Reporter
from workbench.core.session import run

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def cli(*args):
    return [sys.executable, "-m", "workbench", "train", "--quiet", *args]


def history(run_dir):
    with open(run_dir / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: [r[k] for r in rows] for k in rows[0]}


def weights(run_dir):
    import keras

    import workbench  # noqa: F401  (registers the model class)

    return keras.models.load_model(run_dir / "model.keras").get_weights()


def wait_for(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def checkpoint_step(run_dir):
    try:
        return json.loads((run_dir / "checkpoint" / "meta.json").read_text())["step"]
    except (OSError, ValueError):
        return 0


def test_killed_run_resumes_at_the_exact_step_and_lr(tmp_path):
    flags = ["--steps", "300", "--seed", "3", "--deterministic", "--decay-steps", "100",
             "--checkpoint-steps", "50", "--checkpoint-seconds", "0"]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert subprocess.run(cli(*flags, "--out", str(whole)), env=ENV, timeout=600).returncode == 0

    proc = subprocess.Popen(cli(*flags, "--out", str(killed)), env=ENV, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: checkpoint_step(killed) >= 100)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(60)
    resume_from = checkpoint_step(killed)
    assert 100 <= resume_from < 300
    done = subprocess.run(cli("--resume", str(killed)), env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr

    resumed, reference = history(killed), history(whole)
    assert resumed["step"] == [str(i) for i in range(300)]
    assert resumed["lr"] == reference["lr"]
    assert resumed["loss"] == reference["loss"]  # bit-identical, redone steps included
    for a, b in zip(weights(killed), weights(whole)):
        assert np.array_equal(a, b)


def test_ctrl_c_saves_and_exits_130(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen(cli("--steps", "100000", "--checkpoint-steps", "100", "--out", str(out)),
                            env=ENV, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: checkpoint_step(out) >= 100)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert f"workbench train --resume {out}" in err
    steps = len(history(out)["step"])
    assert checkpoint_step(out) == steps and (out / "model.keras").exists()
    assert json.loads((out / "summary.json").read_text())["stopped_early"] is True


def _nan_dataset(path):
    from workbench.core.data import load_digits

    data = load_digits()
    x = data.x_train[:640].copy()
    x[300, 5, 5, 0] = np.nan  # one poisoned pixel
    np.savez(path, x_train=x, y_train=data.y_train[:640])


def test_nan_in_the_data_triggers_the_guard(tmp_path):
    _nan_dataset(tmp_path / "poisoned.npz")
    out = tmp_path / "run"
    done = subprocess.run(cli("--dataset", str(tmp_path / "poisoned.npz"), "--validation-split", "0",
                              "--steps", "40", "--out", str(out)),
                          env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1
    assert "the loss became NaN or infinite at step" in done.stderr
    events = json.loads((out / "events.json").read_text())
    nan_events = [e for e in events if e["kind"] == "nan"]
    assert len(nan_events) == 1
    assert len(history(out)["step"]) == nan_events[0]["step"] + 1  # stopped at that batch


def test_stopping_a_run_paused_on_nan_keeps_the_last_good_weights(tmp_path):
    """What the window's "stop" after a NaN pause does: the saved model is the last checkpoint's, not NaN."""
    _nan_dataset(tmp_path / "poisoned.npz")
    control = RunControl()

    class StopWhenPaused(Reporter):
        def on_event(self, event):
            if event["kind"] == "pause":  # the run paused itself on the NaN; the person chooses stop
                control.stop()

    config = RunConfig().with_overrides({"data.dataset": str(tmp_path / "poisoned.npz"), "training.steps": 40,
                                         "data.validation_split": 0.0, "training.on_nan": "pause",
                                         "training.checkpoint_steps": 5})
    out = tmp_path / "run"
    result = run(config, control, StopWhenPaused(), out_dir=out)
    nan_step = next(e["step"] for e in result.history.events if e["kind"] == "nan")
    good = checkpoint_step(out)
    assert good <= nan_step and result.summary["weights_from_step"] == good
    assert all(np.isfinite(w).all() for w in weights(out))


def test_headless_runs_do_not_wait_on_a_nan_pause(tmp_path):
    _nan_dataset(tmp_path / "poisoned.npz")
    done = subprocess.run(cli("--dataset", str(tmp_path / "poisoned.npz"), "--validation-split", "0",
                              "--steps", "40", "--on-nan", "pause", "--out", str(tmp_path / "run")),
                          env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "needs the window" in done.stderr
    assert "the loss became NaN or infinite at step" in done.stderr


def test_rollback_is_bounded_when_the_data_stays_bad(tmp_path):
    _nan_dataset(tmp_path / "poisoned.npz")
    out = tmp_path / "run"
    done = subprocess.run(cli("--dataset", str(tmp_path / "poisoned.npz"), "--validation-split", "0",
                              "--steps", "40", "--on-nan", "rollback", "--nan-retries", "2",
                              "--out", str(out)), env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1 and "still not finite after 2 rollbacks" in done.stderr
    kinds = [e["kind"] for e in json.loads((out / "events.json").read_text())]
    assert kinds.count("rollback") == 2 and kinds.count("nan") == 3  # every attempt is on record


@pytest.mark.parametrize("per_call", [1, 4], ids=["one batch a call", "fast mode"])
def test_rollback_goes_back_to_the_last_checkpoint_with_a_lower_lr(per_call):
    """What the window's "lower the LR and roll back" does after a NaN: control.rollback(0.1)."""
    control = RunControl()

    class RollBackOnce(Reporter):
        def on_step(self, record):
            if record["step"] == 50 and not control_used:
                control_used.append(True)
                control.rollback(0.1)

    control_used = []
    config = RunConfig().with_overrides({"schedule.family": "constant", "schedule.lr": 0.002,
                                         "training.steps": 80, "training.checkpoint_steps": 20,
                                         "training.steps_per_execution": per_call})
    result = run(config, control, RollBackOnce())
    rollbacks = [e for e in result.history.events if e["kind"] == "rollback"]
    assert [e["step"] for e in rollbacks] == [40]
    assert np.array_equal(result.history.column("step"), np.arange(80))  # rows 40..50 were redone
    lr = result.history.column("lr")
    assert np.all(lr[:40] == np.float32(0.002)) and np.all(lr[40:] == np.float32(0.0002))
    assert result.schedule.params["lr"] == pytest.approx(0.0002)


class Watch(Reporter):
    history = None

    def on_start(self, history, total_steps, steps_per_epoch):
        self.history = history


def _deterministic(steps):
    return RunConfig().with_overrides({"training.steps": steps, "training.seed": 11,
                                       "training.deterministic": True, "schedule.decay_steps": 40})


def test_pausing_at_random_points_changes_nothing():
    reference = run(_deterministic(150)).model.get_weights()
    control, watch = RunControl(), Watch()
    box = {}
    thread = threading.Thread(target=lambda: box.update(result=run(_deterministic(150), control, watch)))
    thread.start()
    rng = random.Random(5)
    for _ in range(4):
        time.sleep(rng.uniform(0.05, 0.4))
        control.pause()
        time.sleep(rng.uniform(0.05, 0.2))
        for _ in range(rng.randint(0, 3)):
            control.step()
        control.resume()
    thread.join(300)
    assert [e["kind"] for e in box["result"].history.events].count("pause") >= 1
    for a, b in zip(box["result"].model.get_weights(), reference):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("per_call", [1, 8], ids=["one batch a call", "fast mode"])
def test_resuming_a_stopped_run_matches_the_uninterrupted_one(tmp_path, per_call):
    config = _deterministic(150).with_overrides({"training.steps_per_execution": per_call})
    reference = run(config).model.get_weights()
    control, watch = RunControl(), Watch()
    box = {}
    thread = threading.Thread(target=lambda: box.update(result=run(config, control, watch, out_dir=tmp_path)))
    thread.start()
    wait_for(lambda: watch.history is not None and len(watch.history) >= 70)
    control.stop()
    thread.join(300)
    stopped_at = box["result"].summary["steps"]
    assert stopped_at < 150
    resumed = run(config, out_dir=tmp_path, resume=True)
    assert np.array_equal(resumed.history.column("step"), np.arange(150))
    for a, b in zip(resumed.model.get_weights(), reference):
        assert np.array_equal(a, b)


def test_resume_needs_a_checkpoint(tmp_path):
    with pytest.raises(Exception, match="has no checkpoint to resume from"):
        run(_deterministic(10), out_dir=tmp_path, resume=True)


def test_failure_keeps_the_last_checkpoint(tmp_path):
    class FailAt(Reporter):
        def on_step(self, record):
            if record["step"] == 45:
                raise RuntimeError("step blew up")

    config = _deterministic(100).with_overrides({"training.checkpoint_steps": 20})
    with pytest.raises(RunFailed, match="step blew up"):
        run(config, reporter=FailAt(), out_dir=tmp_path)
    assert checkpoint_step(tmp_path) == 40
