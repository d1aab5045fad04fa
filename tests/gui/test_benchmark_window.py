"""The window benchmark's code runs (tiny runs); its figures are for `make bench`, not for tests."""


def test_window_and_headless_runs_take_turns_and_only_one_of_them_trains_at_a_time(qapp):
    from benchmarks import turns

    measured = turns.take_turns(steps=600, runs=1, segment_s=0.25, warm_rows=60)
    assert len(measured.ratios) >= 2 and all(r > 0 for r in measured.ratios)
    assert len(measured.headless) >= len(measured.ratios) + 1  # H W H … H: a headless turn on each side
    assert all(rate > 0 for rate in measured.window + measured.headless)
    assert all(fps > 0 for fps in measured.fps)  # the plot refreshes in the window's turns…
    assert measured.headless_refreshes <= len(measured.headless)  # …and its clock stops in the headless ones


def test_the_window_figures_come_from_the_turns_with_whole_runs_as_a_cross_check(qapp):
    from benchmarks import gui

    ratio, fps = gui.gui_vs_headless(steps=400, runs=1, rounds=1, segment_s=0.25, warm_rows=60)
    assert ratio.name == "window run ÷ headless" and ratio.value > 0 and "turns of 0.25 s" in ratio.detail
    assert "Cross-check, whole runs" in ratio.detail and "median of" in ratio.detail
    assert fps.name == "plot frame rate while training" and fps.value > 0


def test_the_gates_hold_a_thread_between_batches_until_its_side_goes_on():
    import threading
    import time

    from benchmarks.turns import _Gates, _wait_holding

    gates, passed = _Gates(), []

    def batches():
        gates.set_headless_thread(threading.get_ident())
        for i in range(3):
            passed.append(i)
            gates.wait_here()

    gates.gate("headless").clear()
    thread = threading.Thread(target=batches, daemon=True)
    thread.start()
    _wait_holding(gates, "headless", thread)
    time.sleep(0.05)
    assert passed == [0] and gates.holding("headless")
    gates.gate("headless").set()
    thread.join(timeout=5)
    assert passed == [0, 1, 2] and not gates.holding("headless")


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
