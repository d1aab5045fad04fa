"""A text progress bar for terminals (one line per epoch when not a terminal)."""

from __future__ import annotations

import math
import time

from .recorder import Reporter


def _fmt_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class TerminalProgress(Reporter):
    """Redraws at most ten times a second, so it costs the step almost nothing."""

    WIDTH = 24

    def __init__(self, stream, *, quiet: bool = False, interval: float = 0.1):
        self.stream, self.quiet, self.interval = stream, quiet, interval
        self.live = not quiet and hasattr(stream, "isatty") and stream.isatty()
        self.total = 0
        self._last_draw = 0.0
        self._drawn = False

    def on_start(self, history, total_steps, steps_per_epoch):
        self.total = total_steps
        self._say(f"training {total_steps} steps ({steps_per_epoch} per epoch)")

    def on_message(self, text):
        self._say(text)

    def on_step(self, record):
        if not self.live:
            return
        now = time.monotonic()
        if now - self._last_draw >= self.interval:
            self._last_draw = now
            self.stream.write("\r" + self.bar(record) + "\033[K")
            self.stream.flush()
            self._drawn = True

    def on_epoch(self, record):
        if self.live or self.quiet:
            return
        parts = [f"epoch {record['epoch'] + 1}"]
        parts += [f"{k} {v:.4f}" for k, v in record.items() if "loss" in k or k.startswith("val_")]
        self._say("  ".join(parts))

    def bar(self, record: dict) -> str:
        done = int(record["step"]) + 1
        fraction = min(done / self.total, 1.0) if self.total else 0.0
        filled = int(fraction * self.WIDTH)
        elapsed = record.get("wall_time", 0.0)
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else float("inf")
        losses = " ".join(f"{k} {v:.4f}" for k, v in record.items() if "loss" in k and "penalty" not in k)
        metric = f" acc {record['accuracy']:.3f}" if "accuracy" in record else ""
        return (f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{self.total} "
                f"epoch {int(record['epoch']) + 1} lr {record['lr']:.2e} {losses}{metric} "
                f"{rate:.0f} steps/s ETA {_fmt_seconds(eta)}")

    def finish(self):
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def _say(self, text):
        if self.quiet:
            return
        self.finish()
        print(text, file=self.stream, flush=True)

    @staticmethod
    def summary_line(summary: dict, out) -> str:
        test = summary.get("test", {})
        held_out = f", held-out accuracy {test['accuracy']:.4f}" if "accuracy" in test else ""
        rate = summary.get("steps_per_second")
        speed = f" at {rate:.0f} steps/s" if rate else ""
        return f"done: {summary['steps']} steps in {summary['seconds']:.1f}s{speed}{held_out} → {out}"
