"""The window's run and a headless run in one process, taking turns a second at a time (H W H W … H).

Whole runs side by side cannot resolve a few percent on this machine: its speed drifts by 15-20 %
over tens of seconds, and a 3000-step run lasts about twenty, so two identical headless runs
bracketing a window run often differ from each other by more than the window costs. Here the
two sides alternate every ``segment_s``: a headless run on a plain thread (``session.run``, as
``workbench train`` runs it) and the window's own run (its training thread, its live plot), each
held between its turns at a gate in the batch-end hook, so only one of them trains at a time.
Each window turn's steps per second is compared with the mean of the headless turns just before
and after it: drift over one second is small.

Both sides run in the window's process, so both have its garbage collection (the GUI thread's
timer, ``workbench.gui.gc_guard``) and neither has more Python threads than the other. While
the headless side trains, the window's refresh clock is stopped: its GUI thread then has
nothing to do, as if there were no window; its CPU time in those turns is reported.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from .common import bench_config
from .gui import close_window, open_window, run_in_window


class _Gates:
    """One gate per training thread, in the batch-end hook: closed, the thread waits there (without the GIL)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._gates: dict[int, threading.Event] = {}
        self._holding: dict[int, bool] = {}
        self._headless_thread = 0
        self.window_thread = 0

    def side_of(self, ident: int) -> str:
        return "headless" if ident == self._headless_thread else "window"

    def set_headless_thread(self, ident: int) -> None:
        self._headless_thread = ident

    def gate(self, side: str) -> threading.Event:
        with self._lock:
            return self._gates.setdefault(side, threading.Event())

    def wait_here(self) -> None:
        """Called by a training thread after each batch: hold while its side's gate is closed."""
        side = self.side_of(threading.get_ident())
        gate = self.gate(side)
        if not gate.is_set():
            self._holding[side] = True
            gate.wait()
            self._holding[side] = False

    def holding(self, side: str) -> bool:
        return self._holding.get(side, False)


@dataclass
class Turns:
    """What the turns measured."""

    ratios: list[float] = field(default_factory=list)  # each window turn ÷ the headless turns around it
    window: list[float] = field(default_factory=list)  # steps/s in each window turn
    headless: list[float] = field(default_factory=list)  # steps/s in each headless turn
    fps: list[float] = field(default_factory=list)  # the plot's refreshes per second in each window turn
    gui_busy: list[float] = field(default_factory=list)  # % of a window turn the GUI thread was on a CPU
    gui_busy_headless: list[float] = field(default_factory=list)  # the same in the headless turns
    headless_refreshes: int = 0  # the plot's refreshes in the headless turns (a tick already due as the clock stops)


def _rate(wall: np.ndarray, first: int, end: int) -> float:
    """Steps per second of rows ``first+1 .. end-1``: the first row of a turn carries the wait before it."""
    if end - first < 3:
        return float("nan")
    return (end - 1 - first) / (wall[end - 1] - wall[first])


def take_turns(steps: int, runs: int = 3, segment_s: float = 1.0, warm_rows: int | None = None) -> Turns:
    """``runs`` window runs of ``steps`` each, taking turns with one long headless run; the turns
    start once a window run is ``warm_rows`` in (by default two epochs: built, traced, its ranges set)."""
    from workbench.core.control import RunControl
    from workbench.core.hooks import StepHooks
    from workbench.core.recorder import Reporter
    from workbench.core.session import run as run_headless

    gates = _Gates()
    batch_end = StepHooks.on_train_batch_end

    def gated_batch_end(self, model, logs):
        try:
            return batch_end(self, model, logs)
        finally:
            gates.wait_here()

    class Capture(Reporter):
        history = None

        def on_start(self, history, total_steps, steps_per_epoch):
            Capture.history, Capture.steps_per_epoch = history, steps_per_epoch

    control = RunControl()
    failure: list[BaseException] = []

    def headless():
        gates.set_headless_thread(threading.get_ident())
        try:
            run_headless(bench_config(10**8), control=control, reporter=Capture())
        except BaseException as exc:  # reported below, on the benchmark's thread
            failure.append(exc)

    gui_clock = time.pthread_getcpuclockid(threading.get_ident())
    turns = Turns()
    StepHooks.on_train_batch_end = gated_batch_end
    gates.gate("headless").set()
    thread = threading.Thread(target=headless, name="headless run", daemon=True)
    thread.start()
    try:
        # The headless run's first epoch (data, model, tracing) goes alone, then it holds.
        while (Capture.history is None or len(Capture.history) < 2 * Capture.steps_per_epoch) and not failure:
            time.sleep(0.01)
        if failure:
            raise failure[0]
        gates.gate("headless").clear()
        _wait_holding(gates, "headless", thread)
        for _ in range(runs):
            _one_window_run(steps, segment_s, warm_rows, gates, Capture.history, gui_clock, turns)
    finally:
        StepHooks.on_train_batch_end = batch_end
        control.stop()
        gates.gate("headless").set()
        gates.gate("window").set()
        thread.join(timeout=60)
    if failure:
        raise failure[0]
    return turns


def _wait_holding(gates: _Gates, side: str, alive_thread=None, history=None, steps: int = 0) -> None:
    """Until ``side`` holds at its gate (or its run is over: all ``steps`` rows in ``history``)."""
    while not gates.holding(side):
        if alive_thread is not None and not alive_thread.is_alive():
            return
        if history is not None and len(history) >= steps:
            return
        time.sleep(0.001)


def _one_window_run(steps, segment_s, warm_rows, gates, headless_history, gui_clock, turns) -> None:
    from PySide6.QtCore import QMetaObject, Qt

    app, window, refreshes = open_window(steps)
    clock = window.run._clock
    gates.gate("window").set()
    spans = {"window": [], "headless": []}  # (first row, end row, wall start, wall end, GUI CPU seconds)
    done = threading.Event()

    def drive():
        """The turns, on their own thread while the GUI thread runs the window's event loop."""
        try:
            while window.run.history is None and not done.is_set():
                time.sleep(0.01)
            history = window.run.history
            warm = warm_rows if warm_rows is not None else 2 * max(window.run.steps_per_epoch, 1)
            while history is not None and len(history) < warm and not done.is_set():
                time.sleep(0.01)

            def turn(side: str, own_history) -> None:
                first = len(own_history)
                wall0, cpu0 = time.perf_counter(), time.clock_gettime(gui_clock)
                if side == "window":
                    QMetaObject.invokeMethod(clock, "start", Qt.ConnectionType.QueuedConnection)
                gates.gate(side).set()
                time.sleep(segment_s)
                gates.gate(side).clear()
                if side == "window":
                    _wait_holding(gates, side, history=own_history, steps=steps)
                    QMetaObject.invokeMethod(clock, "stop", Qt.ConnectionType.QueuedConnection)
                else:
                    _wait_holding(gates, side)
                spans[side].append((first, len(own_history), wall0, time.perf_counter(),
                                    time.clock_gettime(gui_clock) - cpu0))

            gates.gate("window").clear()
            _wait_holding(gates, "window", history=history, steps=steps)
            QMetaObject.invokeMethod(clock, "stop", Qt.ConnectionType.QueuedConnection)
            turn("headless", headless_history)
            while len(history) < steps:
                turn("window", history)
                turn("headless", headless_history)
        finally:
            gates.gate("window").set()  # the window's run goes to its end (its controller ends the clock)
            done.set()

    driver = threading.Thread(target=drive, name="turns", daemon=True)
    driver.start()
    try:
        run_in_window(app, window)
    finally:
        done.set()
        driver.join(timeout=60)
    history = window.run.history
    close_window(app, window)
    _score(spans, history, headless_history, refreshes, turns)


def _score(spans, history, headless_history, refreshes, turns: Turns) -> None:
    window_wall, headless_wall = history.column("wall_time"), headless_history.column("wall_time")
    refresh_times = np.asarray([wall for wall, _cpu in refreshes])
    headless_rates = [_rate(headless_wall, a, b) for a, b, *_ in spans["headless"]]
    for i, (first, end, wall0, wall1, cpu) in enumerate(spans["window"]):
        rate = _rate(window_wall, first, end)
        before, after = headless_rates[i], headless_rates[i + 1] if i + 1 < len(headless_rates) else float("nan")
        if end >= len(history) or not np.isfinite([rate, before, after]).all():
            continue  # the turn the run ended in is cut short
        turns.window.append(rate)
        turns.ratios.append(rate / ((before + after) / 2))
        seconds = wall1 - wall0
        frames = np.count_nonzero((refresh_times >= wall0) & (refresh_times < wall1))
        turns.fps.append(frames / seconds)
        turns.gui_busy.append(100 * cpu / seconds)
    for first, end, wall0, wall1, cpu in spans["headless"]:
        turns.headless_refreshes += int(np.count_nonzero((refresh_times >= wall0) & (refresh_times < wall1)))
        rate = _rate(headless_wall, first, end)
        if np.isfinite(rate):
            turns.headless.append(rate)
            turns.gui_busy_headless.append(100 * cpu / (wall1 - wall0))
