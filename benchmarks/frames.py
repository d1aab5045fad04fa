"""What one live frame of the training plot costs the GUI thread, without training beside it.

``python -m benchmarks.frames [--plan N] [--callgrind]`` feeds the real window's plot 9 rows a frame (a
default run's rows per 47 ms frame), as refreshes and paints, and prints the GUI thread's CPU per frame.
A diagnostic for changes to the frame path, not a target of ``make bench``:

- by default each frame starts cold (a large array is read between frames, as the training thread
  evicts the caches), and the figure is a trimmed mean; compare two versions in alternating runs;
- ``--callgrind`` keeps a fake clock (the range pacer moves on 47 ms a frame) so that every run
  paints the same frames; run it under valgrind, collecting inside ``processEvents`` only, where each
  frame's refresh and paints run, and compare the instruction counts of two versions (they repeat to
  about 0.05 %; they do not see cache misses, which are half of a cold frame)::

      valgrind --tool=callgrind --collect-atstart=no '--toggle-collect=*processEvents*' \\
          .venv/bin/python -m benchmarks.frames --callgrind --plan 1500
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

import numpy as np

from . import common  # noqa: F401  (sets the environment before Qt loads)

ROWS_PER_FRAME = 9
FRAME_S = 0.047


def fill(history, start: int, stop: int) -> None:
    """Rows of a run: a staircase LR, a noisy falling loss, a rising accuracy."""
    for step in range(start, stop):
        loss = 2.0 / (1 + step / 500) + 0.05 * (step * 7919 % 101) / 101
        history.append({"step": step, "epoch": step // 100, "lr": 0.001 * 0.1 ** (step // 1000),
                        "loss": loss, "accuracy": min(0.99, step / 3000), "wall_time": step * 0.005})


def frames(plan: int = 3000, cold: bool = True, fixed_clock: bool = False) -> dict:
    """Feed a shown window's plot ``plan`` steps, a frame at a time. Returns the GUI CPU per frame (ms,
    each frame's refresh and paints) and the plot's live and scene frames."""
    from PySide6.QtCore import QTimer

    from workbench.core.recorder import History
    from workbench.gui import MainWindow
    from workbench.gui import plot_curve
    from workbench.gui.app import make_app

    app = make_app()
    clock = [100.0]
    if fixed_clock:  # the range pacer's clock (plot_curve's ``time``), not the process's
        plot_curve.time = SimpleNamespace(monotonic=lambda: clock[0])
    window = MainWindow()
    try:
        window.resize(1400, 850)
        window.show()
        app.processEvents()
        plot, history = window.plot, History()
        plot.reset(plan)
        evict = np.ones(1_000_000)  # 8 MB: more than the caches hold
        cpu = []
        for start in range(0, plan - ROWS_PER_FRAME, ROWS_PER_FRAME):
            fill(history, start, start + ROWS_PER_FRAME)
            clock[0] += FRAME_S
            if cold:
                evict.sum()
            began = time.thread_time()
            QTimer.singleShot(0, lambda: plot.refresh(history, plan, running=True))  # inside processEvents
            app.processEvents()
            app.processEvents()  # the paints that refresh asked for
            cpu.append(1000 * (time.thread_time() - began))
        return {"cpu_ms": cpu, "live": plot._graphics.live_frames, "scene": plot._graphics.scene_frames}
    finally:
        plot_curve.time = time
        window.close()
        window.deleteLater()
        app.processEvents()


def trimmed_mean(values, cut: float = 0.1) -> float:
    """The mean of the middle of ``values`` (a tenth cut off each end)."""
    ordered = np.sort(np.asarray(values, dtype=float))
    drop = int(len(ordered) * cut)
    return float(ordered[drop: len(ordered) - drop].mean())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.frames", description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=int, default=3000, help="steps fed to the plot (9 a frame)")
    parser.add_argument("--callgrind", action="store_true", help="same frames every run, warm (for valgrind)")
    args = parser.parse_args()
    result = frames(args.plan, cold=not args.callgrind, fixed_clock=args.callgrind)
    cpu = result["cpu_ms"][20:]  # after the first ranges settled
    print(f"{len(cpu)} frames ({result['live']} painted live, {result['scene']} by the scene): GUI CPU per frame "
          f"trimmed mean {trimmed_mean(cpu):.3f} ms, median {np.median(cpu):.3f} ms")


if __name__ == "__main__":
    main()
