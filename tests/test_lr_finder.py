"""The LR range finder: a suggestion inside the sweep, and the model as it was."""

import numpy as np
import pytest

from workbench.cli import main
from workbench.core.config import RunConfig
from workbench.core.errors import ConfigError
from workbench.core.lr_finder import find_lr, suggest
from workbench.core.schedules import make_schedule
from workbench.core.session import _make_model
from workbench.core.data import load_digits


def test_suggestion_lies_inside_the_sweep_and_weights_are_restored():
    config = RunConfig()
    schedule = make_schedule("staircase", {})
    model = _make_model(config, load_digits(), schedule)[0]
    before = [v.numpy().copy() for v in model.variables]
    slots_before = [v.numpy().copy() for v in model.optimizer.variables]
    result = find_lr(config, start=1e-6, end=1.0, steps=60, model=model)
    assert 1e-6 <= result.suggestion <= 1.0
    assert result.lrs.min() >= 1e-6 * 0.999 and result.lrs.max() <= 1.0 * 1.001
    assert np.all(np.diff(result.lrs) > 0)
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, model.variables))
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(slots_before, model.optimizer.variables))
    assert model.optimizer._learning_rate is schedule


def test_sweep_stops_when_the_loss_diverges():
    result = find_lr(RunConfig(), start=1e-4, end=100.0, steps=80)
    assert result.stopped_early and len(result.lrs) < 80


def test_suggest_picks_the_steepest_descent_before_the_minimum():
    lrs = np.logspace(-6, 0, 7)
    smoothed = np.array([2.3, 2.29, 2.2, 1.5, 1.2, 1.1, 5.0])
    assert suggest(lrs, smoothed) == pytest.approx(1e-3)


def test_bad_sweeps_are_rejected():
    with pytest.raises(ConfigError, match="needs 0 < start < end"):
        find_lr(RunConfig(), start=1.0, end=0.1)


def test_find_lr_command_writes_csv_and_plot(tmp_path, capsys):
    assert main(["find-lr", "--steps", "40", "--csv", str(tmp_path / "f.csv"), "--plot", str(tmp_path / "f.png")]) == 0
    assert "suggested learning rate:" in capsys.readouterr().out
    lines = (tmp_path / "f.csv").read_text().splitlines()
    assert lines[0] == "lr,loss,smoothed" and len(lines) > 10
    assert (tmp_path / "f.png").stat().st_size > 1000
