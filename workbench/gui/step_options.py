"""The built-in model's step options: gradient clipping, an L2 penalty, frozen layers, a top-3 metric,
and the plateau rule.

Clip norm, L2 weight and the frozen layers can change mid-run, also while
paused: a user's edit emits ``changed`` with just what changed, and the
window sends it to the run (it applies at the next batch). The rest is fixed
once the model is built.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QDoubleSpinBox, QFormLayout, QGroupBox, QListWidget, QListWidgetItem, QSpinBox,
)

from workbench.core.config import RunConfig

# Layers with weights in the built-in architectures (core/model.py names them); a run's model confirms them.
KNOWN_LAYERS = {"mlp": ["hidden", "classifier"], "cnn": ["conv1", "conv2", "classifier"]}


def _double(name: str, high: float, decimals: int, step: float, off: str | None) -> QDoubleSpinBox:
    box = QDoubleSpinBox(objectName=name, decimals=decimals, singleStep=step)
    box.setRange(0.0, high)
    box.setKeyboardTracking(False)  # one change when typing ends, not one per digit
    if off:
        box.setSpecialValueText(off)
    return box


class StepOptions(QGroupBox):
    """Step-option widgets; ``overrides()`` gives their ``step.*`` config values."""

    changed = Signal(dict)  # {"clip_norm": …} / {"l2": …} / {"frozen": [...]}: what the user just changed

    def __init__(self, parent=None):
        super().__init__("Step options", parent, objectName="stepOptionsBox")
        self.clip_norm = _double("clipNormSpin", 1e6, 3, 0.5, "off")
        self.l2 = _double("l2Spin", 1.0, 6, 1e-4, "off")
        self.frozen = QListWidget(objectName="frozenLayersList")
        self.frozen.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.frozen.setMaximumHeight(64)
        self.frozen.setToolTip("Checked layers keep their weights (applies at the next batch, also mid-run)")
        self.top3 = QCheckBox("Top-3 accuracy metric", objectName="top3Check")
        self.patience = QSpinBox(objectName="plateauPatienceSpin")
        self.patience.setRange(0, 10_000)
        self.patience.setSpecialValueText("off")
        self.patience.setSuffix(" epochs")
        self.factor = _double("plateauFactorSpin", 1.0, 3, 0.1, None)
        self.factor.setMinimum(0.001)
        self._loading = False
        form = QFormLayout(self)
        form.addRow("Clip grad norm", self.clip_norm)
        form.addRow("L2 weight", self.l2)
        form.addRow("Freeze layers", self.frozen)
        form.addRow("", self.top3)
        form.addRow("LR ×factor after", self.patience)
        form.addRow("Plateau factor", self.factor)
        self.patience.setToolTip("Epochs without a better val_loss before the rates are multiplied by the factor")
        self.clip_norm.valueChanged.connect(lambda v: self._emit({"clip_norm": v}))
        self.l2.valueChanged.connect(lambda v: self._emit({"l2": v}))
        self.frozen.itemChanged.connect(lambda _item: self._emit({"frozen": self.frozen_layers()}))

    # --- reading and writing ---

    def set_config(self, config: RunConfig) -> None:
        step = config.step
        self._loading = True
        try:
            self.clip_norm.setValue(step.clip_norm)
            self.l2.setValue(step.l2)
            self.top3.setChecked(step.top3_accuracy)
            self.patience.setValue(step.plateau_patience)
            self.factor.setValue(step.plateau_factor)
            layers = KNOWN_LAYERS.get(config.model.name, [])
            self.set_layers(layers + [n for n in step.frozen if n not in layers], step.frozen)
        finally:
            self._loading = False

    def set_layers(self, names: list, frozen: list | None = None) -> None:
        """The layers that can be frozen; keeps what was checked unless ``frozen`` is given."""
        frozen = self.frozen_layers() if frozen is None else frozen
        loading, self._loading = self._loading, True
        try:
            self.frozen.clear()
            for name in names:
                item = QListWidgetItem(name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if name in frozen else Qt.CheckState.Unchecked)
                self.frozen.addItem(item)
        finally:
            self._loading = loading

    def frozen_layers(self) -> list:
        items = (self.frozen.item(i) for i in range(self.frozen.count()))
        return [item.text() for item in items if item.checkState() == Qt.CheckState.Checked]

    def set_frozen(self, name: str, frozen: bool) -> None:
        """Check or uncheck one layer, as a click would (the change is sent)."""
        for item in self.frozen.findItems(name, Qt.MatchFlag.MatchExactly):
            item.setCheckState(Qt.CheckState.Checked if frozen else Qt.CheckState.Unchecked)

    def overrides(self) -> dict:
        return {
            "step.clip_norm": round(self.clip_norm.value(), 6),
            "step.l2": round(self.l2.value(), 9),
            "step.frozen": self.frozen_layers(),
            "step.top3_accuracy": self.top3.isChecked(),
            "step.plateau_patience": self.patience.value(),
            "step.plateau_factor": round(self.factor.value(), 6),
        }

    def set_running(self, running: bool, built_in: bool) -> None:
        """Mid-run, clip / L2 / frozen stay editable (they apply at the next batch); the rest is fixed.

        A user's own train step has no step options: the box is hidden for it.
        """
        self.setEnabled(built_in)
        self.setVisible(built_in)
        for widget in (self.top3, self.patience, self.factor):
            widget.setEnabled(not running)

    def _emit(self, change: dict):
        if not self._loading:
            self.changed.emit(change)
