"""The Data, Model and Training panels: widgets for one config section each.

Each panel reads a ``RunConfig`` (``set_config``) and gives back its part as
``{"section.key": value}`` overrides, so the core's ``with_overrides`` does
all validation and the messages name the same fields as the CLI's.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QPushButton,
    QSpinBox, QToolButton, QVBoxLayout, QWidget,
)

from workbench.core.config import MODELS, OPTIMIZERS, STRATEGIES, RunConfig
from workbench.core.data import BUILTIN

from .step_options import KNOWN_LAYERS, StepOptions

MAX_STEPS = 10**9
STRATEGY_TEXTS = {"default": "One device (default)", "mirrored": "Mirrored: all local devices",
                  "multiworker": "Multi-worker (TF_CONFIG)"}


def _spin(low: int, high: int, name: str, special: str | None = None) -> QSpinBox:
    box = QSpinBox(objectName=name)
    box.setRange(low, high)
    box.setGroupSeparatorShown(True)
    if special:
        box.setSpecialValueText(special)  # shown for the minimum, e.g. "auto"
    return box


class DataPanel(QWidget):
    """Dataset (built-in name or a path), validation split, batch size."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.dataset = QComboBox(objectName="datasetCombo")
        self.dataset.setEditable(True)
        self.dataset.addItems(list(BUILTIN))
        self.dataset.setToolTip("digits (offline), mnist, or a path to .npz / .csv / an image folder")
        browse = QPushButton("Browse…", objectName="browseDataButton")
        browse.clicked.connect(self._on_browse_clicked)
        self.split = QDoubleSpinBox(objectName="validationSplitSpin", decimals=2, singleStep=0.05)
        self.split.setRange(0.0, 0.89)
        self.batch = _spin(1, 65536, "batchSizeSpin")
        row = QHBoxLayout()
        row.addWidget(self.dataset, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Dataset", row)
        form.addRow("Validation split", self.split)
        form.addRow("Batch size", self.batch)

    def set_config(self, config: RunConfig) -> None:
        self.dataset.setCurrentText(config.data.dataset)
        self.split.setValue(config.data.validation_split)
        self.batch.setValue(config.data.batch_size)

    def overrides(self) -> dict:
        return {
            "data.dataset": self.dataset.currentText().strip(),
            "data.validation_split": round(self.split.value(), 4),
            "data.batch_size": self.batch.value(),
        }

    def _on_browse_clicked(self):
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a dataset", "", "Datasets (*.npz *.csv);;All files (*)")
        if path:
            self.dataset.setCurrentText(path)


# What a built-in model records, shown in the plot's legend before its first step.
BUILT_IN_COLUMNS = ("loss", "val_loss", "accuracy", "val_accuracy")


def is_plugin(name: str) -> bool:
    return name.endswith(".py")


class ModelPanel(QWidget):
    """Architecture (built-in, or a train-step file), optimizer, and the built-in model's step options."""

    modelChanged = Signal(str)  # model.name: mlp, cnn or a path to a .py file

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = QComboBox(objectName="modelCombo")
        for name in MODELS:
            self.model.addItem(name, name)
        self.optimizer = QComboBox(objectName="optimizerCombo")
        self.optimizer.addItems(list(OPTIMIZERS))
        self.step_options = StepOptions()
        form = QFormLayout()
        form.addRow("Model", self.model)
        form.addRow("Optimizer", self.optimizer)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.step_options)
        layout.addStretch(1)
        self.model.currentIndexChanged.connect(self._on_model_changed)

    @property
    def model_name(self) -> str:
        return self.model.currentData()

    def set_model_name(self, name: str) -> None:
        """Choose ``mlp``, ``cnn`` or a train-step file (added to the list, shown by its file name)."""
        index = self.model.findData(name)
        if index < 0:
            self.model.addItem(Path(name).name, name)
            index = self.model.count() - 1
            self.model.setItemData(index, name, Qt.ItemDataRole.ToolTipRole)
        self.model.setCurrentIndex(index)

    def set_config(self, config: RunConfig) -> None:
        self.set_model_name(config.model.name)
        self.optimizer.setCurrentText(config.model.optimizer)
        self.step_options.set_config(config)

    def overrides(self) -> dict:
        return {"model.name": self.model_name, "model.optimizer": self.optimizer.currentText(),
                **self.step_options.overrides()}

    def set_running(self, running: bool) -> None:
        for widget in (self.model, self.optimizer):
            widget.setEnabled(not running)
        self.step_options.set_running(running, built_in=not is_plugin(self.model_name))

    def _on_model_changed(self, _index):
        name = self.model_name
        if not is_plugin(name):
            self.step_options.set_layers(KNOWN_LAYERS.get(name, []))
        self.step_options.set_running(False, built_in=not is_plugin(name))
        self.modelChanged.emit(name)


class TrainingPanel(QWidget):
    """Steps, epochs, seed, determinism, the tf.distribute strategy, and the run buttons."""

    plannedStepsChanged = Signal(int)

    def __init__(self, actions: dict, parent=None):
        super().__init__(parent)
        self.steps = _spin(0, MAX_STEPS, "stepsSpin", special="no limit")
        self.epochs = _spin(0, 1_000_000, "epochsSpin", special="as steps need")
        self.seed = _spin(0, 2**31 - 1, "seedSpin")
        self.deterministic = QCheckBox("Deterministic ops", objectName="deterministicCheck")
        self.strategy = QComboBox(objectName="strategyCombo")
        for name in STRATEGIES:
            self.strategy.addItem(STRATEGY_TEXTS.get(name, name), name)
        self.strategy.setToolTip("default: one device; mirrored: every local GPU, else every CPU; "
                                 "multiworker: the machines in TF_CONFIG, each running the same config")
        form = QFormLayout()
        form.addRow("Steps", self.steps)
        form.addRow("Epochs", self.epochs)
        form.addRow("Seed", self.seed)
        form.addRow("", self.deterministic)
        form.addRow("Devices", self.strategy)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(self._buttons(actions))
        self.steps.valueChanged.connect(self._on_steps_changed)

    def _buttons(self, actions: dict) -> QHBoxLayout:
        """Tool buttons that mirror the Run menu's actions (checked pause = paused)."""
        row = QHBoxLayout()
        self.buttons = {}
        for key in ("start", "pause", "step", "stop"):
            button = QToolButton(objectName=f"{key}Button")
            button.setDefaultAction(actions[key])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            row.addWidget(button)
            self.buttons[key] = button
        row.addStretch(1)
        return row

    def set_config(self, config: RunConfig) -> None:
        self.steps.setValue(config.training.steps)
        self.epochs.setValue(config.training.epochs)
        self.seed.setValue(config.training.seed)
        self.deterministic.setChecked(config.training.deterministic)
        self.strategy.setCurrentIndex(self.strategy.findData(config.training.strategy))

    def overrides(self) -> dict:
        return {
            "training.steps": self.steps.value(),
            "training.epochs": self.epochs.value(),
            "training.seed": self.seed.value(),
            "training.deterministic": self.deterministic.isChecked(),
            "training.strategy": self.strategy.currentData(),
        }

    def set_editable(self, editable: bool) -> None:
        for widget in (self.steps, self.epochs, self.seed, self.deterministic, self.strategy):
            widget.setEnabled(editable)

    def _on_steps_changed(self, steps: int):
        self.plannedStepsChanged.emit(steps)
