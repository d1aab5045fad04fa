"""The benchmark code runs (tiny sizes); the figures themselves are for `make bench`, not for tests."""

import numpy as np

from benchmarks import latency, throughput
from benchmarks.common import Figure, table


def test_throughput_sides_both_measure():
    assert throughput.plain_keras(200) > 0
    assert throughput.workbench_headless(200) > 0


def test_pause_latency_runs_and_loses_no_step():
    figures = latency.measure(pauses=3)
    assert [f.name for f in figures][:2] == ["pause latency p50", "pause latency p99"]
    assert "steps lost or repeated: none" in figures[2].detail


def test_table_marks_missed_targets():
    text = table([Figure("x", 2.0, "ms", "≤ 1 ms", False)])
    assert "| x | 2 ms | ≤ 1 ms | NO |" in text



def test_rounds_alternate_their_order_and_ratios_pair_rounds():
    from benchmarks.common import ratios, side_by_side, spread

    calls = []
    runs = side_by_side({"a": lambda: calls.append("a") or 2.0, "b": lambda: calls.append("b") or 4.0}, 3)
    assert calls == ["a", "b", "b", "a", "a", "b"] and runs == {"a": [2.0] * 3, "b": [4.0] * 3}
    assert ratios([1.0, 3.0], [2.0, 4.0]) == [0.5, 0.75]
    assert spread([0.5, 0.75]).endswith("all 0.50–0.75")


def test_bracketed_runs_measure_each_run_against_the_reference_runs_around_it():
    from benchmarks.common import bracketed

    calls, speed = [], iter([100.0, 90.0, 110.0, 99.0, 120.0])  # the machine speeds up steadily
    measured = lambda: calls.append("m") or next(speed)  # noqa: E731
    reference = lambda: calls.append("r") or next(speed)  # noqa: E731
    figures, references, own = bracketed(measured, reference, 2)
    assert calls == ["r", "m", "r", "m", "r"] and figures == [90.0, 99.0] and references == [100.0, 110.0, 120.0]
    assert own == [90.0 / 105.0, 99.0 / 115.0]  # against the mean of its two neighbours


def test_frame_stall_counts_what_the_steps_under_a_frame_lost():
    from benchmarks.gui import frame_stall

    cycles = np.full(1000, 0.004)  # a step every 4 ms...
    cycles[500:502] += 0.003  # ...but the two under a frame took 3 ms more
    ends = np.concatenate([[0.0], np.cumsum(cycles)])
    frame = (ends[500] + 0.001, ends[502] - 0.001)
    lost = 2 * 0.003 / (ends[-1] - ends[100])  # the first tenth is warm-up
    assert abs(frame_stall(ends, [frame]) - 100 * lost) < 1e-9
    assert frame_stall(ends, []) == 0.0
    epoch_end = np.zeros(1000, dtype=bool)
    epoch_end[501] = True  # that step took longer for its own reason: neither counted nor a neighbour
    assert abs(frame_stall(ends, [frame], left_out=epoch_end) - 100 * lost / 2) < 1e-9
    assert np.isnan(frame_stall(ends[:50], [frame]))  # too few steps to say


def test_the_medians_interval_holds_the_median_and_narrows_with_more_rounds():
    from benchmarks.common import median_interval

    rng = np.random.default_rng(1)
    few, many = rng.normal(1.0, 0.1, 12), rng.normal(1.0, 0.1, 300)
    low, high = median_interval(few)
    assert low <= np.median(few) <= high
    wide, narrow = high - low, np.subtract(*median_interval(many)[::-1])
    assert 0 < narrow < wide
    assert median_interval([2.0] * 5) == (2.0, 2.0)
