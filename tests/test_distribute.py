"""tf.distribute strategies: the same staircase per step, the same pause/step/resume, under each."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

SCRIPT = Path(__file__).parent / "scripts" / "strategy_run.py"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def expected_lr(steps, edit_at):
    """Staircase 0.001 × 0.5 every 40 steps, then every 60 from the edit on."""
    before = keras.optimizers.schedules.ExponentialDecay(0.001, 40, 0.5, staircase=True)
    after = keras.optimizers.schedules.ExponentialDecay(0.001, 60, 0.5, staircase=True)
    return np.array([float((before if s < edit_at else after)(int(s))) for s in steps])


def check(record):
    steps = np.array(record["step"])
    np.testing.assert_array_equal(steps, np.arange(150))  # none lost or repeated by pausing
    assert record["after_step"] == record["held"] + 1  # one step while paused
    edit_at = record["after_step"]
    np.testing.assert_array_equal(np.array(record["lr"]), expected_lr(steps, edit_at))
    assert [e["step"] for e in record["events"] if e["kind"] == "schedule"] == [edit_at]


def run_script(strategy, out, *extra, env=ENV):
    return subprocess.Popen([sys.executable, str(SCRIPT), strategy, str(out), *extra], env=env)


@pytest.fixture(scope="module")
def default_record(tmp_path_factory):
    out = tmp_path_factory.mktemp("default") / "r.json"
    assert run_script("default", out).wait(300) == 0
    return json.loads(out.read_text())


def test_default_strategy(default_record):
    check(default_record)
    assert default_record["replicas"] == 1


def test_mirrored_on_two_logical_cpus_records_the_same_staircase(tmp_path, default_record):
    out = tmp_path / "r.json"
    assert run_script("mirrored", out, "--logical-cpus", "2").wait(300) == 0
    record = json.loads(out.read_text())
    assert record["replicas"] == 2
    check(record)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_multiworker_records_the_same_staircase(tmp_path):
    ports = [_free_port(), _free_port()]
    workers = []
    for index in range(2):
        tf_config = {"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                     "task": {"type": "worker", "index": index}}
        env = {**ENV, "TF_CONFIG": json.dumps(tf_config)}
        workers.append(run_script("multiworker", tmp_path / f"w{index}.json", env=env))
    try:
        assert [w.wait(300) for w in workers] == [0, 0]
    finally:
        for w in workers:
            w.kill()
    records = [json.loads((tmp_path / f"w{i}.json").read_text()) for i in range(2)]
    for record in records:
        assert record["replicas"] == 2
        check(record)
