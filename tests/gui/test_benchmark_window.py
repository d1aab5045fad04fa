"""The window benchmark's code runs (a tiny run); its figures are for `make bench`, not for tests."""


def test_window_against_headless_brackets_each_window_run_with_headless_ones(qapp):
    from benchmarks import gui

    ratio, fps = gui.gui_vs_headless(steps=200, rounds=2)
    assert ratio.name == "window run ÷ headless" and ratio.value > 0 and "median of 2 window runs" in ratio.detail
    assert "with its plot not redrawn" in ratio.detail
    assert fps.name == "plot frame rate while training" and fps.value > 0
