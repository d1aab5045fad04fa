"""The status bar's run read-out: step, epoch, LR, loss, speed, ETA and progress."""

from __future__ import annotations

import math
import time
from collections import deque

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

RATE_WINDOW_S = 2.0  # speed over the last two seconds: steady, yet follows pauses
# People read these numbers a few times a second; redrawing them (and the progress bar,
# which repaints at once on every change) at the plot's frame rate only takes time from the run.
SHOW_EVERY_S = 0.25


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "–"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def loss_text(row: dict) -> str:
    """``Loss 0.1234``, or each loss a user's step reports: ``d_loss 0.69 · g_loss 0.71``."""
    if "loss" in row:
        return f"Loss {row['loss']:.4f}"
    losses = [f"{name} {value:.4f}" for name, value in row.items() if "loss" in name]
    return " · ".join(losses[:3]) or "Loss –"


class StepRate:
    """Steps per second from (time, steps done) samples over a short window."""

    def __init__(self):
        self._samples: deque = deque()

    def clear(self) -> None:
        self._samples.clear()

    def add(self, done: int, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.popleft()
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else 0.0


class RunStatus:
    """Permanent widgets on the right of the status bar, filled from the history's last row."""

    def __init__(self, bar: QStatusBar):
        self.bar = bar
        self.step = QLabel(objectName="stepLabel")
        self.epoch = QLabel(objectName="epochLabel")
        self.lr = QLabel(objectName="lrLabel")
        self.loss = QLabel(objectName="lossLabel")
        self.rate = QLabel(objectName="rateLabel")
        self.eta = QLabel(objectName="etaLabel")
        self.progress = QProgressBar(objectName="runProgress", maximumWidth=160)
        for widget in (self.step, self.epoch, self.lr, self.loss, self.rate, self.eta, self.progress):
            bar.addPermanentWidget(widget)
        self._rate = StepRate()
        self._shown_at = -math.inf
        self.clear()

    def clear(self, total: int = 0) -> None:
        self._rate.clear()
        self._shown_at = -math.inf
        self.step.setText(f"Step 0 / {total:,}" if total else "Step 0")
        for label, text in ((self.epoch, "Epoch –"), (self.lr, "LR –"), (self.loss, "Loss –"),
                            (self.rate, "– steps/s"), (self.eta, "ETA –")):
            label.setText(text)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)

    def show_row(self, last: dict, total: int, paused: bool, force: bool = False) -> None:
        """Show the newest history row, at most every SHOW_EVERY_S unless ``force``; ``total`` 0: no step limit."""
        now = time.monotonic()
        if not last or (not force and now - self._shown_at < SHOW_EVERY_S):
            return
        self._shown_at = now
        done = int(last["step"]) + 1  # 'step' counts updates before this one
        rate = self._rate.add(done, now)
        self.step.setText(f"Step {done:,} / {total:,}" if total else f"Step {done:,}")
        self.epoch.setText(f"Epoch {int(last['epoch']) + 1}")
        self.lr.setText(f"LR {last['lr']:.3g}")
        self.loss.setText(loss_text(last))
        self.rate.setText("paused" if paused else f"{rate:,.0f} steps/s")
        remaining = (total - done) / rate if total and rate > 0 else math.inf
        self.eta.setText("ETA –" if paused else f"ETA {format_duration(remaining)}")
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
