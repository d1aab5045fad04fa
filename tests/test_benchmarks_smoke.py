"""The benchmark code runs (tiny sizes); the figures themselves are for `make bench`, not for tests."""

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
