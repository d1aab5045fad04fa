"""Pause latency: from the request to the step count holding still; steps lost or repeated.

The count holds still once the last batch that was already under way has been
recorded: that is the latency (what the plot and status bar show). The
training thread confirms it is holding at its next check between batches; when
a request lands in an epoch change, that confirmation waits for the next
epoch's data pipeline to start while the count is already still, so it is
reported beside the latency rather than as it.
"""

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
    latencies, confirmed, extra_batches, rng = [], [], [], random.Random(1)
    for _ in range(pauses):
        time.sleep(rng.uniform(0.02, 0.15))
        asked_at, rows_then = time.perf_counter(), len(watch.history)
        control.pause()
        rows, still_at = rows_then, asked_at  # the count's last change so far
        while True:
            holding, now, count = control.holding, time.perf_counter(), len(watch.history)
            if count != rows:
                rows, still_at = count, now
            if holding:
                break
            time.sleep(0.0002)
        latencies.append((still_at - asked_at) * 1000)
        confirmed.append((now - asked_at) * 1000)
        extra_batches.append(rows - rows_then)
        control.resume()
    control.stop()
    thread.join()
    steps = box["result"].history.column("step")
    contiguous = bool(np.array_equal(steps, np.arange(len(steps))))
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    return [
        Figure("pause latency p50", p50, "ms", "≤ 50 ms", p50 <= 50),
        Figure("pause latency p99", p99, "ms", "≤ 50 ms", p99 <= 50,
               f"the thread confirmed holding after p50 {percentile(confirmed, 50):.1f} ms, "
               f"p99 {percentile(confirmed, 99):.1f} ms"),
        Figure("batches after a pause request (max)", max(extra_batches), "", "≤ 1", max(extra_batches) <= 1,
               f"steps lost or repeated: {'none' if contiguous else 'SOME'}"),
    ]
