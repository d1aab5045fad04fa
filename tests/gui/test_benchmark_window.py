"""The window benchmark's code runs (a tiny run); its figures are for `make bench`, not for tests."""


def test_window_against_headless_brackets_each_window_run_with_headless_ones(qapp):
    from benchmarks import gui

    ratio, fps = gui.gui_vs_headless(steps=200, rounds=2)
    assert ratio.name == "window run ÷ headless" and ratio.value > 0 and "median of 2 window runs" in ratio.detail
    assert "with its plot not redrawn" in ratio.detail
    assert "beside another process that only burns the CPU the GUI thread used" in ratio.detail
    assert fps.name == "plot frame rate while training" and fps.value > 0


def test_the_burner_beside_a_run_takes_cpu_while_the_run_goes_and_is_gone_after_it():
    import os
    import time

    from benchmarks import gui

    def children_cpu() -> float:
        times = os.times()
        return times.children_user + times.children_system  # counted once a child is waited for

    before = children_cpu()
    assert gui._beside_a_burner(lambda: time.sleep(1.0) or 7.0, busy_ms=20, period_ms=40) == 7.0
    assert children_cpu() - before > 0.15  # half of the second, less the interpreter's start
