"""The plot's smoothing and growable columns, and the status bar's arithmetic (no window needed)."""

import numpy as np
import pytest

from workbench.core.recorder import History
from workbench.gui.plot_data import Columns, ema
from workbench.gui.status import StepRate, format_duration


def test_ema_matches_the_textbook_recurrence_and_skips_nan():
    values = np.array([1.0, 2.0, np.nan, 4.0])
    smoothed = ema(values, 0.5)
    np.testing.assert_allclose(smoothed, [1.0, 1.5, 1.5, 2.75])
    np.testing.assert_array_equal(ema(values, 0.0), values)


def test_smoothing_in_chunks_equals_smoothing_at_once():
    history = History()
    rng = np.random.default_rng(0)
    columns = Columns(("step", "loss"))
    for start in range(0, 3000, 700):
        for step in range(start, min(start + 700, 3000)):
            history.append({"step": step, "loss": float(rng.random())})
        columns.extend(history.snapshot(len(columns)), 0.9)
    assert len(columns) == 3000
    np.testing.assert_allclose(columns.smoothed("loss"), ema(history.column("loss"), 0.9))
    columns.resmooth(0.3)
    np.testing.assert_allclose(columns.smoothed("loss"), ema(history.column("loss"), 0.3))


def test_missing_columns_read_as_nan():
    columns = Columns(("step", "accuracy"))
    columns.extend({"step": np.arange(3.0)}, 0.5)
    assert np.isnan(columns["accuracy"]).all()


def test_step_rate_and_eta_text():
    rate = StepRate()
    rate.add(0, now=10.0)
    assert rate.add(300, now=12.0) == pytest.approx(150.0)
    assert format_duration(75) == "1m15s"
    assert format_duration(3725) == "1h02m"
    assert format_duration(float("inf")) == "–"
