"""The plot's smoothing, envelopes and decimation, and the status bar's arithmetic (no window needed)."""

import numpy as np
import pytest

from workbench.core.recorder import History
from workbench.gui.plot_data import BLOCK, Envelope, Smoother, column_peaks, decimate, ema, visible_rows
from workbench.gui.status import StepRate, format_duration


def textbook_ema(values, weight):
    out, state = [], np.nan
    for x in values:
        if x == x:
            state = x if state != state else weight * state + (1 - weight) * x
        out.append(state)
    return np.array(out)


def test_ema_matches_the_textbook_recurrence_and_skips_nan():
    values = np.array([1.0, 2.0, np.nan, 4.0])
    smoothed = ema(values, 0.5)
    np.testing.assert_allclose(smoothed, [1.0, 1.5, 1.5, 2.75])
    np.testing.assert_array_equal(ema(values, 0.0), values)


@pytest.mark.parametrize("weight", [0.01, 0.6, 0.99])
def test_the_vectorised_average_of_a_long_column_equals_the_recurrence(weight):
    rng = np.random.default_rng(1)
    values = rng.random(20_000)
    values[:5] = np.nan  # a column that starts late
    values[rng.random(20_000) < 0.05] = np.nan
    np.testing.assert_allclose(ema(values, weight), textbook_ema(values, weight), rtol=1e-12, equal_nan=True)


def test_smoothing_in_chunks_equals_smoothing_at_once_in_float32():
    history = History()
    rng = np.random.default_rng(0)
    smoother = Smoother()
    for start in range(0, 3000, 700):
        for step in range(start, min(start + 700, 3000)):
            history.append({"step": step, "loss": float(rng.random())})
        smoother.extend(history.view("loss"), 0.9)
    assert len(smoother) == 3000 and smoother.values.dtype == np.float32
    np.testing.assert_allclose(smoother.values, ema(history.column("loss"), 0.9), rtol=1e-6)
    smoother.extend(history.view("loss"), 0.3)  # a new weight starts over
    np.testing.assert_allclose(smoother.values, ema(history.column("loss"), 0.3), rtol=1e-6)


def test_envelope_grown_row_by_row_holds_every_blocks_min_and_max():
    rng = np.random.default_rng(2)
    column = rng.random(5 * BLOCK + 7).astype(np.float32)
    column[BLOCK + 3] = np.nan  # a NaN row does not blank its block
    envelope = Envelope()
    for end in range(0, len(column) + 1, 13):
        envelope.update(column[:end])
    envelope.update(column)
    low, high = envelope.blocks()
    assert len(low) == 6
    for k in range(6):
        block = column[k * BLOCK:(k + 1) * BLOCK]
        assert low[k] == np.nanmin(block) and high[k] == np.nanmax(block)
    envelope.update(column[: 2 * BLOCK + 5])  # rewound: the blocks after it are recomputed
    assert len(envelope.blocks()[0]) == 3 and envelope.blocks()[1][2] == column[2 * BLOCK: 2 * BLOCK + 5].max()


def test_decimating_keeps_every_spike_and_at_most_two_points_a_pixel():
    steps = np.arange(100_000, dtype=np.int32)
    values = np.ones(100_000, dtype=np.float32)
    values[12_345], values[67_890] = 50.0, -3.0
    envelope = Envelope()
    envelope.update(values)
    x, y = decimate(steps, values, envelope, 0, len(steps), 500)
    assert len(x) <= 2 * 2 * 500 and y.max() == 50.0 and y.min() == -3.0
    assert x[0] == 0 and np.all(np.diff(x) >= 0)


def test_a_few_rows_a_pixel_are_drawn_as_they_are():
    steps = np.arange(1000, dtype=np.int32)
    values = np.linspace(0, 1, 1000, dtype=np.float32)
    envelope = Envelope()
    envelope.update(values)
    start, stop = visible_rows(steps, 100.5, 300.2)
    assert (start, stop) == (100, 302)  # one row beyond each edge, so the line reaches them
    x, y = decimate(steps, values, envelope, start, stop, 800)
    np.testing.assert_array_equal(x, steps[100:302])
    np.testing.assert_array_equal(y, values[100:302])


def test_step_rate_and_eta_text():
    rate = StepRate()
    rate.add(0, now=10.0)
    assert rate.add(300, now=12.0) == pytest.approx(150.0)
    assert format_duration(75) == "1m15s"
    assert format_duration(3725) == "1h02m"
    assert format_duration(float("inf")) == "–"


def test_a_column_cut_short_is_averaged_again_from_its_first_row():
    column = np.arange(1000, dtype=np.float32)
    smoother = Smoother()
    smoother.extend(column, 0.5)
    smoother.extend(column[:100], 0.5)  # a rollback took rows back
    np.testing.assert_allclose(smoother.values, ema(column[:100], 0.5), rtol=1e-6)


def test_column_peaks_draw_each_pixel_column_as_its_maximum_then_minimum():
    x = np.arange(7, dtype=float)
    y = np.array([3.0, 1.0, np.nan, 5.0, 2.0, 4.0, 0.5])
    column = np.array([0, 0, 0, 1, 1, 1, 2])
    px, py = column_peaks(x, y, column)
    np.testing.assert_array_equal(px, [0, 0, 3, 3, 6, 6])
    np.testing.assert_array_equal(py, [3, 1, 5, 2, 0.5, 0.5])  # NaN skipped
