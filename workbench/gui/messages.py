"""Where the window says things: a log panel and a dismissable error banner.

Neither is modal: an error from a run must never stack dialogs or stop the
window from being used.
"""

from __future__ import annotations

import html
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QToolButton

COLORS = {"info": "#202020", "warning": "#8d6e00", "error": "#b71c1c"}
# Run events worth a log line, and how loud; "step" (one per single step) is left out.
LOGGED_EVENTS = {"pause": "info", "resume": "info", "stop": "info", "schedule": "info",
                 "schedule_rejected": "error", "nan": "warning", "rollback": "warning",
                 "step_options": "info", "step_options_rejected": "error", "plateau": "warning"}


def describe_event(event: dict) -> str:
    kind, step, detail = event["kind"], event["step"], event.get("detail", "")
    if kind == "schedule":
        return f"Step {step}: schedule changed to {detail}"
    if kind == "schedule_rejected":
        return f"Step {step}: schedule change rejected: {detail}"
    if kind == "step_options":
        return f"Step {step}: step options changed to {detail}"
    if kind == "step_options_rejected":
        return f"Step {step}: step options change rejected: {detail}"
    if kind == "nan":
        return f"Step {step}: the loss is not finite ({detail})"
    if kind == "rollback":
        return f"Step {step}: rolled back to the last checkpoint, schedule now {detail}"
    if kind == "plateau":
        return f"Step {step}: no better val_loss for a while, rates lowered: {detail}"
    return f"Step {step}: {kind} {detail}".rstrip()


def describe_epoch(record: dict) -> str:
    parts = [f"{key} {value:.4f}" for key, value in record.items()
             if key not in ("epoch", "steps") and isinstance(value, float)]
    return f"Epoch {record['epoch'] + 1}: " + ", ".join(parts)


def describe_summary(summary: dict) -> str:
    """One line on how a run ended: steps, time, speed, held-out accuracy."""
    how = "Stopped" if summary.get("stopped_early") else "Done"
    text = f"{how}: {summary['steps']} steps in {summary['seconds']:.1f}s"
    if summary.get("steps_per_second"):
        text += f" ({summary['steps_per_second']:.0f} steps/s)"
    if "accuracy" in summary.get("test", {}):
        text += f", held-out accuracy {summary['test']['accuracy']:.4f}"
    return text


class MessageLog(QPlainTextEdit):
    """Read-only, time-stamped lines; keeps the newest few thousand.

    Lines are shown in batches, at most every ``FLUSH_MS`` (an error at once): a
    short run ends several epochs a second, and each append lays out, scrolls and
    repaints the log on the GUI thread, time the training thread waits for (a batch
    of lines costs about 1.3 ms during a run: a quarter of a percent of it when they
    were flushed twice a second).
    """

    FLUSH_MS = 1000

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("messageLog")
        self.setReadOnly(True)
        self.setMaximumBlockCount(5000)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self._pending: list[str] = []  # HTML lines not shown yet
        self._flush = QTimer(self, singleShot=True, interval=self.FLUSH_MS)
        self._flush.timeout.connect(self.flush)

    def add(self, text: str, level: str = "info") -> None:
        stamp = time.strftime("%H:%M:%S")
        body = html.escape(text).replace("\n", "<br>")
        weight = "bold" if level == "error" else "normal"
        self._show(f'<span style="color:#777">{stamp}</span> '
                   f'<span style="color:{COLORS[level]}; font-weight:{weight}">{body}</span>', now=level == "error")

    def details(self, text: str) -> None:
        """A block of monospace detail (a traceback) under the last line."""
        if text:
            self._show(f"<pre style='color:#555'>{html.escape(text.rstrip())}</pre>", now=True)

    def flush(self) -> None:
        """Show the lines added since the last batch."""
        self._flush.stop()
        pending, self._pending = self._pending, []
        for line in pending:
            self.appendHtml(line)

    def hideEvent(self, event):
        self.flush()  # a closing window: nothing left waiting on the timer
        super().hideEvent(event)

    def lines(self) -> list[str]:
        self.flush()
        return self.toPlainText().splitlines()

    def _show(self, line: str, now: bool) -> None:
        self._pending.append(line)
        if now:
            self.flush()
        elif not self._flush.isActive():
            self._flush.start()


class ErrorBanner(QFrame):
    """A red strip above the plot with the latest error; the close button hides it."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.label = QLabel(objectName="errorBannerText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(objectName="errorBannerClose", text="✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_error(self, text: str) -> None:
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()


class OfferBanner(QFrame):
    """A strip above the plot that offers a choice without blocking: text and a few buttons.

    Each button hides the banner and then runs its action; a new offer
    replaces the one shown (never a stack of dialogs).
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("offerBanner")
        self.label = QLabel(objectName="offerBannerText")
        self.label.setWordWrap(True)
        self._buttons = QHBoxLayout()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addLayout(self._buttons)
        self.kind = ""  # what is on offer ("resume", "nan"), for the window and tests
        self.hide()

    def offer(self, kind: str, text: str, choices) -> None:
        """Show ``text`` with one button per ``(label, objectName, action)``."""
        while self._buttons.count():
            self._buttons.takeAt(0).widget().deleteLater()
        for label, name, action in choices:
            button = QPushButton(label, objectName=name)
            button.clicked.connect(self._chosen(action))
            self._buttons.addWidget(button)
        self.kind = kind
        self.label.setText(text)
        self.show()

    def withdraw(self, kind: str | None = None) -> None:
        """Hide the offer (only if it is ``kind``'s, when given)."""
        if kind is None or kind == self.kind:
            self.kind = ""
            self.hide()

    def _chosen(self, action):
        def choose():
            self.withdraw()
            action()
        return choose
