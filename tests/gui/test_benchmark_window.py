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


def test_synthetic_frames_paint_live_and_a_fixed_clock_repeats_the_same_frames(qapp):
    import time

    from benchmarks import frames
    from workbench.gui import plot_curve

    runs = [frames.frames(plan=300, cold=False, fixed_clock=True) for _ in range(2)]
    assert plot_curve.time is time  # the pacer's own clock is back
    for run in runs:
        assert len(run["cpu_ms"]) == 33 and all(ms > 0 for ms in run["cpu_ms"])
        assert run["live"] > 20  # most frames painted live, without the scene
    assert [(r["live"], r["scene"]) for r in runs][0] == [(r["live"], r["scene"]) for r in runs][1]
    assert frames.trimmed_mean([1.0] + [2.0] * 8 + [100.0]) == 2.0
