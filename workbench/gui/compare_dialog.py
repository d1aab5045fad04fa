"""File → Compare runs…: several run folders' LR (dashed) and loss on one plot, and their final figures.

Each run gets a colour (the same order as ``workbench compare``'s figures), a
checkbox in the table that shows or hides its curves, and a row of
``comparison_rows``: steps, final LR, final loss, validation and held-out
accuracy.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter,
    QTableWidget, QTableWidgetItem, QVBoxLayout,
)

from workbench.core.errors import ConfigError
from workbench.core.recorder import loss_columns
from workbench.core.runs import comparison_rows, open_run
from workbench.figures import RUN_COLORS, add_right_view

from .plot_paint import plot_widget
from .style import configure_pyqtgraph

COLUMNS = {"run": "run", "schedule": "schedule", "steps": "steps", "final_lr": "final LR",
           "final_loss": "final loss", "val_accuracy": "val accuracy", "test_accuracy": "test accuracy"}


def _cell(value) -> str:
    if value is None:
        return "–"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class CompareDialog(QDialog):
    """Run folders overlaid; ``add_folder`` adds one, the table's checkboxes toggle them."""

    def __init__(self, parent=None, start_dir: str = ""):
        super().__init__(parent, objectName="compareDialog")
        configure_pyqtgraph()
        self.setWindowTitle("Compare runs")
        self.resize(1000, 680)
        self.folders = []  # RunFolder, in table order
        self.curves: list[tuple] = []  # (lr curve, loss curve) per run
        self._start_dir = start_dir
        self._build_plot()
        self.table = QTableWidget(0, len(COLUMNS), objectName="compareTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS.values()))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.add = QPushButton("Add run folder…", objectName="addRunButton")
        self.message = QLabel(objectName="compareMessage")
        self.message.setWordWrap(True)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.plot)
        splitter.addWidget(self.table)
        splitter.setSizes([460, 160])
        row = QHBoxLayout()
        row.addWidget(self.add)
        row.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(row)
        self.add.clicked.connect(self._on_add_clicked)
        self.table.itemChanged.connect(self._on_item_changed)

    def _build_plot(self):
        self.plot = plot_widget("comparePlot", "left", "bottom", "right")
        item = self.plot.getPlotItem()
        item.setLogMode(y=True)
        item.setLabel("left", "learning rate (dashed)")
        item.setLabel("bottom", "step")
        item.getAxis("left").enableAutoSIPrefix(False)
        self.legend = item.addLegend(offset=(-10, 10), labelTextSize="9pt")  # run names; the table has the rest
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 200))
        self.loss_view = add_right_view(item, "loss (solid)")

    # --- runs ---

    def add_folder(self, path) -> bool:
        """Add the run folder at ``path``; a folder that is not one is said in the dialog."""
        try:
            folder = open_run(Path(path))
        except ConfigError as exc:
            self.message.setText(str(exc))
            return False
        if any(f.path == folder.path for f in self.folders):
            self.message.setText(f"{folder.path.name} is already shown")
            return False
        color = RUN_COLORS[len(self.folders) % len(RUN_COLORS)]
        steps = folder.history.column("step")
        lr = self.plot.plot(steps, folder.history.column("lr"),
                            pen=pg.mkPen(color, width=2, style=Qt.PenStyle.DashLine))
        curves = [lr]
        for j, name in enumerate(loss_columns(folder.history.columns)):  # a GAN's d_loss, g_loss: dotted
            loss = pg.PlotDataItem(steps, folder.history.column(name), pen=pg.mkPen(
                color, width=1.5, style=Qt.PenStyle.SolidLine if j == 0 else Qt.PenStyle.DotLine))
            self.loss_view.addItem(loss)
            self.legend.addItem(loss, folder.path.name if name == "loss" else f"{folder.path.name} {name}")
            curves.append(loss)
        self.folders.append(folder)
        self.curves.append(tuple(curves))
        self._add_row(comparison_rows([folder])[0], color)
        self.message.setText(f"{len(self.folders)} run(s)")
        return True

    def _add_row(self, row: dict, color: str):
        self.table.blockSignals(True)  # the row is built, not toggled
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, key in enumerate(COLUMNS):
            item = QTableWidgetItem(_cell(row[key]))
            item.setToolTip(_cell(row[key]))
            if key == "run":
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked)
                item.setForeground(pg.mkColor(color))
                item.setToolTip(f"{self.folders[r].path}\n(untick to hide its curves)")
            self.table.setItem(r, c, item)
        self.table.blockSignals(False)

    def set_shown(self, index: int, shown: bool) -> None:
        """Show or hide run ``index``, as its checkbox does."""
        self.table.item(index, 0).setCheckState(Qt.CheckState.Checked if shown else Qt.CheckState.Unchecked)

    def _on_item_changed(self, item: QTableWidgetItem):
        if item.column() == 0:
            for curve in self.curves[item.row()]:
                curve.setVisible(item.checkState() == Qt.CheckState.Checked)

    def _on_add_clicked(self):
        path = QFileDialog.getExistingDirectory(self, "Add a run folder", self._start_dir)
        if path:
            self.add_folder(path)
            self._start_dir = str(Path(path).parent)
