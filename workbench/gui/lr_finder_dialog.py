"""Run → Find learning rate…: the LR range finder on a fresh model, off the GUI thread, with its curve.

The sweep (``core.lr_finder.find_lr``) trains a fresh model of the window's
config for a few dozen batches at exponentially rising rates; the dialog
draws loss against LR on a log axis, marks the suggestion, and "Use this LR"
puts it in the schedule form's first learning-rate field.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout,
)

from workbench.core.errors import ConfigError

from .plot_paint import plot_widget
from .style import COLORS, configure_pyqtgraph


def _number(edit: QLineEdit, name: str) -> float:
    try:
        value = float(edit.text())
    except ValueError:
        raise ConfigError(f"find-lr {name}", "must be a number", edit.text()) from None
    return value


class LrFinderDialog(QDialog):
    """Sweep settings, the loss-vs-LR plot, the suggestion and "Use this LR"."""

    def __init__(self, window):
        super().__init__(window, objectName="lrFinderDialog")
        configure_pyqtgraph()
        self.window = window
        self.result = None
        self.setWindowTitle("Find learning rate")
        self.resize(760, 520)
        self.start = QLineEdit("1e-7", objectName="lrStartEdit")
        self.end = QLineEdit("10", objectName="lrEndEdit")
        self.steps = QSpinBox(objectName="lrStepsSpin")
        self.steps.setRange(10, 10_000)
        self.steps.setValue(100)
        self.find = QPushButton("Find", objectName="findLrButton")
        self.use = QPushButton("Use this LR", objectName="useLrButton")
        self.use.setEnabled(False)
        self.message = QLabel("Trains a fresh model of the current settings for a few batches, "
                              "raising the LR until the loss climbs.", objectName="lrFinderMessage")
        self.message.setWordWrap(True)
        self._build_plot()
        self._layout()
        self.find.clicked.connect(self._on_find_clicked)
        self.use.clicked.connect(self._on_use_clicked)

    def _build_plot(self):
        self.plot = plot_widget("lrFinderPlot")
        item = self.plot.getPlotItem()
        item.setLogMode(x=True)
        item.setLabel("bottom", "learning rate")
        item.setLabel("left", "loss")
        item.getAxis("bottom").enableAutoSIPrefix(False)  # "(x0.001)" on a log axis misleads
        item.addLegend(offset=(10, 10), labelTextSize="9pt")
        self.raw = item.plot(pen=pg.mkPen("#9ecae1", width=1), name="loss")
        self.smoothed = item.plot(pen=pg.mkPen(COLORS["loss"], width=2), name="smoothed")
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen(COLORS["lr"], width=2, style=Qt.PenStyle.DashLine),
                                      label="suggested", labelOpts={"position": 0.9, "color": COLORS["lr"],
                                                                    "fill": (255, 255, 255, 220)})
        self.marker.hide()
        item.addItem(self.marker, ignoreBounds=True)

    def _layout(self):
        form = QFormLayout()
        row = QHBoxLayout()
        for label, widget in (("from", self.start), ("to", self.end), ("over", self.steps)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addWidget(QLabel("batches"))
        row.addStretch(1)
        row.addWidget(self.find)
        form.addRow("Sweep the LR", row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.use)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.plot, 1)
        layout.addLayout(buttons)

    # --- running the sweep ---

    def _on_find_clicked(self):
        self.run_sweep()

    def run_sweep(self) -> bool:
        """Start the sweep in the background; False (with the reason shown) if it cannot start."""
        from workbench.core.lr_finder import find_lr  # TensorFlow loads on the job's thread, not here

        try:
            config = self.window.config()
            start, end = _number(self.start, "start"), _number(self.end, "end")
        except ConfigError as exc:
            self._say(str(exc), error=True)
            return False
        steps = self.steps.value()

        def sweep():
            result = find_lr(config, start=start, end=end, steps=steps)
            result.model = None  # the sweep's model is not needed here: let it go with the job
            return result

        started = self.window.tasks.start("Finding a learning rate…", sweep, self._on_found, self._on_failed)
        if not started:
            self._say(f"Busy ({self.window.tasks.label}); try again when it is done", error=True)
            return False
        self.find.setEnabled(False)
        self.use.setEnabled(False)
        self._say(f"Sweeping {steps} batches from {start:g} to {end:g}…")
        return True

    def _on_found(self, result):
        self.result = result
        self.find.setEnabled(True)
        self.raw.setData(result.lrs, result.losses)
        self.smoothed.setData(result.lrs, result.smoothed)
        self.marker.setValue(math.log10(result.suggestion))  # the x axis is log10(lr)
        self.marker.show()  # first: a hidden label ignores a new text
        self.marker.label.setFormat(f"suggested {result.suggestion:.3g}")
        finite = result.smoothed[np.isfinite(result.smoothed)]
        if finite.size:  # the interesting part: up to well above the starting loss
            self.plot.setYRange(float(np.nanmin(result.losses[np.isfinite(result.losses)])) * 0.9,
                                float(finite[0]) * 1.6, padding=0)
        early = " (stopped early: the loss diverged)" if result.stopped_early else ""
        self._say(f"Suggested learning rate: {result.suggestion:.3g}{early}")
        self.use.setEnabled(True)

    def _on_failed(self, message: str, details: str):
        self.find.setEnabled(True)
        self._say(message, error=True)
        self.window.log.add(f"Find learning rate failed: {message}", "error")
        self.window.log.details(details)

    def _on_use_clicked(self):
        if self.result is None:
            return
        name = self.window.schedule_form.set_first_lr(self.result.suggestion)
        if name:
            self.window.log.add(f"Schedule {name} set to the suggested {self.result.suggestion:.3g}")
            self._say(f"{name} is now {self.window.schedule_form.field(name).text()}")

    def _say(self, text: str, error: bool = False):
        self.message.setText(text)
        self.message.setStyleSheet("color: #b71c1c;" if error else "")
