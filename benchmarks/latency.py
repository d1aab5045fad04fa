"""Pause latency: from the request to the step count holding still; steps lost or repeated."""

from __future__ import annotations

import random
import threading
import time

import numpy as np

from .common import Figure, bench_config, percentile


def measure(pauses: int = 40) -> list[Figure]:
    from workbench.core.control import RunControl
    from workbench.core.recorder import Reporter
    from workbench.core.session import run

    class Watch(Reporter):
        history = None

        def on_start(self, history, total, per_epoch):
            self.history = history

    control, watch, box = RunControl(), Watch(), {}
    thread = threading.Thread(target=lambda: box.update(result=run(bench_config(100_000), control, watch)))
    thread.start()
    while watch.history is None or len(watch.history) < 50:
        time.sleep(0.01)
    latencies, extra_batches, rng = [], [], random.Random(1)
    for _ in range(pauses):
        time.sleep(rng.uniform(0.02, 0.15))
        asked_at, rows_then = time.perf_counter(), len(watch.history)
        control.pause()
        while not control.holding:
            time.sleep(0.0002)
        latencies.append((time.perf_counter() - asked_at) * 1000)
        extra_batches.append(len(watch.history) - rows_then)
        control.resume()
    control.stop()
    thread.join()
    steps = box["result"].history.column("step")
    contiguous = bool(np.array_equal(steps, np.arange(len(steps))))
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    return [
        Figure("pause latency p50", p50, "ms", "≤ 50 ms", p50 <= 50),
        Figure("pause latency p99", p99, "ms", "≤ 50 ms", p99 <= 50),
        Figure("batches after a pause request (max)", max(extra_batches), "", "≤ 1", max(extra_batches) <= 1,
               f"steps lost or repeated: {'none' if contiguous else 'SOME'}"),
    ]
