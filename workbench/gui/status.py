"""The status bar's run read-out: step, epoch, LR, loss, speed, ETA and progress."""

from __future__ import annotations

import math
import time
from collections import deque

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

RATE_WINDOW_S = 2.0  # speed over the last two seconds: steady, yet follows pauses
# People read these numbers a couple of times a second; redrawing them (and the progress bar,
# which repaints at once on every change) more often only takes time from the run: each
# update lays out and paints six labels and the bar, about 1 ms of the GUI thread during a run.
SHOW_EVERY_S = 0.5
LABEL_PADDING = 6  # pixels either side of a read-out's text
LABEL_SLACK = 8  # pixels a read-out is wider than its text: a digit more fits without a new layout


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
        self._labels = (self.step, self.epoch, self.lr, self.loss, self.rate, self.eta)
        for widget in (*self._labels, self.progress):
            # Opaque (the bar's own colour): a new value repaints the widget alone, not the
            # status bar and the window behind it as well.
            widget.setAutoFillBackground(True)
            bar.addPermanentWidget(widget)
        for label in self._labels:
            # Padding set here, not in the style sheet: a rule with a box takes the fill away.
            label.setContentsMargins(LABEL_PADDING, 0, LABEL_PADDING, 0)
            label.setFixedHeight(label.sizeHint().height())  # and _show fixes the width: no layout per value
        self._rate = StepRate()
        self._shown_at = -math.inf
        self.clear()

    def clear(self, total: int = 0) -> None:
        self._rate.clear()
        self._shown_at = -math.inf
        for label in self._labels:
            label.setFixedWidth(0)  # each fits its texts anew
        _show(self.step, f"Step {total:,} / {total:,}" if total else "Step 0")  # as wide as it gets
        self.step.setText(f"Step 0 / {total:,}" if total else "Step 0")
        for label, text in ((self.epoch, "Epoch –"), (self.lr, "LR –"), (self.loss, "Loss –"),
                            (self.rate, "– steps/s"), (self.eta, "ETA –")):
            _show(label, text)
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
        _show(self.step, f"Step {done:,} / {total:,}" if total else f"Step {done:,}")
        _show(self.epoch, f"Epoch {int(last['epoch']) + 1}")
        _show(self.lr, f"LR {last['lr']:.3g}")
        _show(self.loss, loss_text(last))
        _show(self.rate, "paused" if paused else f"{rate:,.0f} steps/s")
        remaining = (total - done) / rate if total and rate > 0 else math.inf
        _show(self.eta, "ETA –" if paused else f"ETA {format_duration(remaining)}")
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))


def _show(label: QLabel, text: str) -> None:
    """Set ``label``'s text; its fixed width only grows (text that changes every few frames
    would otherwise lay the status bar out again, and repaint it whole, each time)."""
    if text == label.text() and label.minimumWidth():
        return  # (the epoch and the LR, most of the time: no text to measure; width 0: cleared, sized anew)
    label.setText(text)
    metrics, margins = label.fontMetrics(), label.contentsMargins()
    # As QLabel sizes itself: the text's bounds, an indent of an "x" (it has a frame), the margins
    # (the style sheet's padding). Its own size hint will not do: a fixed label's is its width.
    bounds = metrics.boundingRect(QRect(0, 0, 4000, 400), int(label.alignment()), text)
    needed = bounds.width() + metrics.horizontalAdvance("x") + margins.left() + margins.right()
    if needed > label.minimumWidth():
        label.setFixedWidth(needed + LABEL_SLACK)
