"""The window: start-up, a run inside it ÷ headless, its frame rate, a million-step history, the preview."""

from __future__ import annotations

import gc
import subprocess
import sys
import time
from contextlib import contextmanager

import numpy as np

from .common import Figure, bench_config, bracketed, median, median_interval, spread

# As ``workbench gui`` opens the window: shown first, its plots (and pyqtgraph) built once it is painted.
STARTUP_PROBE = """
import sys
from workbench.gui.app import make_app
from workbench.gui import MainWindow
app = make_app()
window = MainWindow(plots_after_show=True)
window.plot_placeholder.firstPainted.connect(lambda: print("shown", flush=True))
window.plotsBuilt.connect(lambda: (print("plots", "tensorflow" in sys.modules, flush=True), app.quit()))
window.show()
app.exec()
"""


def startup(rounds: int = 5) -> list[Figure]:
    """Process start to the main window shown (first painted), timed from outside the process as each
    line arrives; then to its plots drawn. The process's exit is not part of either."""
    shown, plotted, tf_loaded = [], [], False
    for _ in range(rounds):
        started = time.perf_counter()
        probe = subprocess.Popen([sys.executable, "-c", STARTUP_PROBE], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
        try:
            for line in probe.stdout:
                if line.startswith("shown"):
                    shown.append(time.perf_counter() - started)
                elif line.startswith("plots"):
                    plotted.append(time.perf_counter() - started)
                    tf_loaded = tf_loaded or line.strip().endswith("True")
        finally:
            probe.wait(timeout=120)
        if probe.returncode != 0 or len(shown) != len(plotted):
            raise RuntimeError(f"the start-up probe failed (exit {probe.returncode})")
    value = median(shown)
    return [Figure("start-up to window shown", value, "s", "≤ 1.0 s", value <= 1.0,
                   f"median of {rounds} starts: {spread(shown)} s; its plots drawn at {median(plotted):.2f} s (built once the window is "
                   f"painted); TensorFlow imported at start-up: {'yes' if tf_loaded else 'no'}")]


def open_window(steps: int, holds: list | None = None):
    """The real window (offscreen, styled as the app styles it) set to the benchmark's run of ``steps``,
    its plot's refreshes counted: (wall clock, the GUI thread's CPU clock) at each, and each one's
    (start, end) appended to ``holds`` if given."""
    from PySide6.QtWidgets import QApplication

    from workbench.gui import MainWindow
    from workbench.gui.style import STYLE_SHEET

    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.setStyleSheet(STYLE_SHEET.read_text(encoding="utf-8"))  # as the app styles it (not app-wide: tests)
    window.show()
    window.set_config(bench_config(steps))
    refreshes = []
    original = window.plot.refresh

    def counting(*args, **kwargs):
        refreshes.append((time.perf_counter(), time.thread_time()))
        try:
            return original(*args, **kwargs)
        finally:
            if holds is not None:
                holds.append((refreshes[-1][0], time.perf_counter()))

    window.plot.refresh = counting
    return app, window, refreshes


def run_in_window(app, window) -> None:
    """Start the window's run and return when it has ended, in Qt's own event loop, as in the app.

    (It sleeps in C++ without the GIL until there is something to do; a Python loop polling
    processEvents would wake hundreds of times a second and take the GIL from the training
    thread each time: a cost the app does not have.)
    """
    from PySide6.QtCore import QEventLoop

    loop = QEventLoop()
    window.run.stateChanged.connect(lambda _state: loop.quit() if not window.run.active else None)
    window.run.start(window.config())
    if window.run.active:
        loop.exec()


def close_window(app, window) -> None:
    window.close()
    window.deleteLater()
    app.processEvents()


def _window_run(steps: int, timeline: dict | None = None):
    """Train inside the real window (offscreen), counting the plot's refreshes.

    ``timeline``, if given, gets the training thread's batch ends ("steps") and the frames' refreshes and paints
    on the GUI thread ("holds", (start, end) each: they hold the GIL), on the same clock.
    """
    from workbench.core.hooks import StepHooks
    from workbench.gui.plot_live import LiveView

    step_ends, holds = [], []
    app, window, refreshes = open_window(steps, holds if timeline is not None else None)
    batch_end, paint = StepHooks.on_train_batch_end, LiveView.paintEvent
    if timeline is not None:
        def timed_batch_end(self, model, logs):
            step_ends.append(time.perf_counter())
            return batch_end(self, model, logs)

        def timed_paint(self, event):
            started = time.perf_counter()
            try:
                return paint(self, event)
            finally:
                holds.append((started, time.perf_counter()))

        StepHooks.on_train_batch_end, LiveView.paintEvent = timed_batch_end, timed_paint
    try:
        run_in_window(app, window)
    finally:
        StepHooks.on_train_batch_end, LiveView.paintEvent = batch_end, paint
    history = window.run.history
    close_window(app, window)
    if timeline is not None:
        timeline.update(steps=step_ends, holds=holds)
    return history, refreshes


def frame_stall(step_ends, holds, neighbours: int = 40, left_out=None) -> float:
    """Percent of a run's time its steps lost to the frames: each step that overlapped a frame's
    refresh or paint, against the median of its neighbours that overlapped none.

    Within one run, so the machine's drift from run to run does not enter it (the window ÷
    headless ratio compares runs seconds apart). The first tenth of the steps is left out, and
    so is a step where ``left_out`` (one per step after the first) is true: an epoch's end, which
    takes longer whether or not a frame came.
    """
    ends = np.asarray(step_ends, dtype=float)
    cycles = np.diff(ends)
    if len(cycles) < 4 * neighbours:
        return float("nan")
    overlapped = np.zeros(len(cycles), dtype=bool)
    for start, end in holds:
        overlapped[max(int(np.searchsorted(ends, start)) - 1, 0): int(np.searchsorted(ends, end))] = True
    counted = np.ones(len(cycles), dtype=bool)
    if left_out is not None and len(left_out) == len(cycles):
        counted = ~np.asarray(left_out, dtype=bool)
    first = len(cycles) // 10
    lost = 0.0
    for i in np.flatnonzero(overlapped[first:] & counted[first:]) + first:
        around = slice(max(i - neighbours, 0), i + neighbours)
        clear = cycles[around][~overlapped[around] & counted[around]]
        if len(clear):
            lost += cycles[i] - np.median(clear)
    return 100 * lost / (ends[-1] - ends[first])


def _steps_per_second(history) -> float:
    wall, epochs = history.column("wall_time"), history.column("epoch")
    first = int(np.argmax(epochs >= 2))
    return (len(wall) - 1 - first) / (wall[-1] - wall[first - 1])


def _from_a_collected_heap(side):
    """``side`` after a full collection: a run does not pay for the garbage the run before it left.

    (Once a window has run, automatic collection is off in this process and the window's own
    timer collects: without this, a window run would scan what the headless run before it left.)
    """
    def collected():
        gc.collect()
        return side()

    return collected


@contextmanager
def _as_workbench_train():
    """Python's automatic collection on, as in a ``workbench train`` process, for a headless run
    in this one, where the window has switched it off (``workbench.gui.gc_guard``)."""
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was:
            gc.disable()


def gui_vs_headless(steps: int | None = None, runs: int = 6, rounds: int = 4, segment_s: float = 1.0,
                    warm_rows: int | None = None) -> list[Figure]:
    """The run in the window against the same run headless, taking turns a second at a time
    (``benchmarks.turns``): the headline. Then whole runs, each window run between two headless
    ones (``rounds`` of them), as a cross-check, with the time the frames took from the steps.

    Runs as long as the default config's (``steps`` None), not shorter: in a run's first second
    its loss and accuracy leave their views' ranges again and again, and each move repaints the
    whole plot; a short run would weigh that start as if it were the window's cost all along.
    """
    from workbench.core.config import RunConfig
    from workbench.core.session import run

    from .turns import take_turns

    steps = steps or RunConfig().training.steps
    turns = _from_a_collected_heap(lambda: take_turns(steps, runs, segment_s, warm_rows))()

    stall = []

    def window() -> float:
        timeline = {}
        history, _refreshes = _window_run(steps, timeline=timeline)
        epochs = history.column("epoch")
        stall.append(frame_stall(timeline["steps"], timeline["holds"], left_out=epochs[1:] != epochs[:-1]))
        return _steps_per_second(history)

    def headless() -> float:
        with _as_workbench_train():
            return _steps_per_second(run(bench_config(steps)).history)

    whole = bracketed(_from_a_collected_heap(window), _from_a_collected_heap(headless), rounds)[2]
    ratio, fps = median(turns.ratios), median(turns.fps)
    low, high = median_interval(turns.ratios)
    return [
        Figure("window run ÷ headless", ratio, "×", "≥ 0.95", ratio >= 0.95,
               f"median of {len(turns.ratios)} turns of {segment_s:g} s of the window's run (plot live) in {runs} runs of "
               f"{steps} steps, each against the headless turns just before and after it, in one process: "
               f"{spread(turns.ratios)}; the median's 90 % bootstrap interval {low:.3f}–{high:.3f}; {median(turns.window):.0f} vs {median(turns.headless):.0f} steps/s; "
               f"GUI thread busy {median(turns.gui_busy):.1f} % of the window's turns, "
               f"{median(turns.gui_busy_headless):.1f} % of the headless ones. Cross-check, whole runs "
               f"(each window run between two `session.run` runs, machine drift included): median "
               f"{median(whole):.2f} × of {rounds} ({spread(whole)}); steps that overlapped a frame lost "
               f"{median(stall):.1f} % of the run's time against their neighbours (within each run, "
               f"{spread(stall, digits=1)})"),
        Figure("plot frame rate while training", fps, "fps", "≥ 20", fps >= 20,
               f"refreshes per second in the window's turns: {spread(turns.fps, digits=1)}"),
    ]


def large_history(rows: int = 1_000_000) -> list[Figure]:
    """A million recorded steps: the history's memory, and a pan/zoom repaint of the live plot."""
    import tracemalloc

    from PySide6.QtWidgets import QApplication

    from workbench.core.recorder import History
    from workbench.gui.plot_panel import TrainingPlot

    app = QApplication.instance() or QApplication([])
    rng = np.random.default_rng(0)
    losses = 2.3 * np.exp(-np.arange(rows) / 2e5) + 0.05 * rng.random(rows)  # the input, not the history's memory
    tracemalloc.start()
    history = History()
    for i in range(rows):
        history.append({"step": i, "epoch": i // 1000, "lr": 0.001 * 0.1 ** (i // 300_000), "loss": losses[i],
                        "accuracy": 0.9, "wall_time": i * 0.004})
    history_mb = tracemalloc.get_traced_memory()[0] / 2**20
    plot = TrainingPlot()
    plot.resize(1200, 700)
    plot.show()
    plot.reset(rows)
    plot.refresh(history, rows, running=False)
    app.processEvents()
    plot.grab()  # painted once: the layers' images exist (Qt's memory, which tracemalloc does not see)
    plot_mb = tracemalloc.get_traced_memory()[0] / 2**20 - history_mb
    plot_mb += sum(layer.image_bytes for layer in plot.layers.values()) / 2**20
    tracemalloc.stop()
    view = plot.lr_plot.getViewBox()
    repaint = []
    for i in range(10):
        view.setXRange(i * 50_000, i * 50_000 + 400_000 + (i % 2) * 200_000, padding=0)
        started = time.perf_counter()
        plot.grab()  # a full repaint of the widget
        repaint.append((time.perf_counter() - started) * 1000)
    plot.close()
    total = history_mb + max(plot_mb, 0)
    return [
        Figure("1M-step history + plot memory", total, "MB", "≤ 64 MB", total <= 64,
               f"history {history_mb:.0f} MB, plot {max(plot_mb, 0):.0f} MB"),
        Figure("pan/zoom repaint at 1M steps", median(repaint), "ms", "≤ 33 ms", median(repaint) <= 33),
    ]


def preview_redraw(edits: int = 30) -> list[Figure]:
    """Type a new decay_steps into the form: time until the preview has redrawn."""
    from PySide6.QtWidgets import QApplication, QLineEdit

    from workbench.gui import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.show()
    app.processEvents()
    field = window.findChild(QLineEdit, "decayStepsEdit")
    preview = window.findChild(object, "schedulePreview")
    times = []
    for i in range(edits):
        started = time.perf_counter()
        field.setText(str(500 + 10 * i))
        field.editingFinished.emit()
        app.processEvents()
        preview.grab()
        times.append((time.perf_counter() - started) * 1000)
    window.close()
    window.deleteLater()
    app.processEvents()
    return [Figure("schedule preview redraw after an edit", median(times), "ms", "≤ 16 ms", median(times) <= 16)]
