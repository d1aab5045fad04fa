"""`workbench train` end to end: run folders, exit codes, reproducibility."""

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from workbench.cli import main
from workbench.core.config import RunConfig
from workbench.core.progress import TerminalProgress


def train(*args, cwd=None):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "workbench", "train", "--quiet", *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def losses(run_dir):
    with open(run_dir / "history.csv", newline="") as f:
        return [row["loss"] for row in csv.DictReader(f)]


@pytest.mark.parametrize("args, message", [
    (["--decay-steps", "0"], "workbench: error: schedule.decay_steps must be a positive integer, got 0"),
    (["--initial-lr", "lots"], "workbench: error: schedule.initial_lr must be a positive number"),
    (["--batch-size", "-4"], "workbench: error: data.batch_size must be a positive integer, got -4"),
    (["--schedule", "zigzag"], "workbench: error: schedule.family must be one of staircase"),
    (["--alpha", "0.1"], "workbench: error: schedule.alpha is not a parameter of the staircase schedule"),
    (["--epochs"], "workbench: error: command line argument --epochs: expected one argument"),
    (["--config", "missing.toml"], "workbench: error: missing.toml does not exist"),
    (["--dataset", "nowhere.npz", "--steps", "1"], "workbench: error: data.dataset: nowhere.npz is neither"),
])
def test_bad_input_exits_2_with_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--quiet", "--out", str(tmp_path / "run"), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message)


def test_train_writes_a_complete_run_folder(tmp_path):
    out = tmp_path / "x"
    done = train("--steps", "90", "--decay-steps", "30", "--decay-rate", "0.5", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "done: 90 steps" in done.stdout and "held-out accuracy" in done.stdout
    config = RunConfig.load(out / "config.toml")
    assert config.training.steps == 90 and config.schedule.params["decay_steps"] == 30
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 90 and "accuracy" in summary["test"]
    assert len(losses(out)) == 90 and (out / "model.keras").stat().st_size > 0


def test_same_seed_deterministic_twice_gives_identical_history(tmp_path):
    flags = ["--steps", "120", "--seed", "7", "--deterministic", "--decay-steps", "40"]
    first, second, third = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert train(*flags, "--out", str(first)).returncode == 0
    assert train(*flags, "--out", str(second)).returncode == 0
    assert losses(first) == losses(second)
    # The saved config alone reproduces the run.
    assert train("--config", str(first / "config.toml"), "--out", str(third)).returncode == 0
    assert losses(third) == losses(first)
    other = tmp_path / "d"
    assert train("--steps", "120", "--seed", "8", "--deterministic", "--out", str(other)).returncode == 0
    assert losses(other) != losses(first)


def test_the_seeds_default_run_learns(tmp_path):
    """The whole default run: digits, the seed's MLP and staircase 0.001/1000/0.1, 3,000 steps."""
    out = tmp_path / "first"
    done = train("--out", str(out))
    assert done.returncode == 0, done.stderr
    loss = np.array(losses(out), dtype=float)
    assert len(loss) == 3000
    assert loss[-300:].mean() < 0.25 * loss[:100].mean()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["test"]["accuracy"] > 0.9
    assert summary["final_lr"] == pytest.approx(1e-5, rel=1e-5)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal():
    stream = FakeTerminal()
    progress = TerminalProgress(stream, interval=0.0)
    progress.on_start(None, 100, 10)
    progress.on_step({"step": 49, "epoch": 4, "lr": 1e-3, "loss": 0.5, "accuracy": 0.9, "wall_time": 1.0})
    progress.finish()
    text = stream.getvalue()
    assert "[############............] 50/100" in text and "lr 1.00e-03" in text and "ETA 1s" in text
