"""The export dialogs: which model format or plot, and where. They only ask; the window writes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QSpinBox, QWidget,
)

MODEL_FORMATS = {  # format: (menu text, file suffix, what it is for)
    "keras": ("Keras (.keras)", ".keras", "Reloads with keras.models.load_model after `import workbench`."),
    "savedmodel": ("SavedModel (folder)", "", "For TensorFlow Serving and tf.saved_model.load (call serve)."),
    "tflite": ("TensorFlow Lite (.tflite)", ".tflite", "For phones and small devices (tf.lite.Interpreter)."),
    "weights": ("Weights only (.weights.h5)", ".weights.h5", "Loads into the same architecture with load_weights."),
}
PLOT_KINDS = {"training": "Training: learning rate and loss", "metrics": "Metrics: accuracy"}
PLOT_FORMATS = {"png": ("PNG image", ".png"), "svg": ("SVG drawing", ".svg"), "csv": ("Plotted data (CSV)", ".csv")}
KNOWN_SUFFIXES = (".weights.h5", ".keras", ".tflite", ".png", ".svg", ".csv")


def with_suffix(path: Path, suffix: str) -> Path:
    """``path`` with its known suffix (``.weights.h5`` counts as one) swapped for ``suffix``."""
    name = path.name
    for known in KNOWN_SUFFIXES:
        if name.endswith(known):
            name = name[: -len(known)]
            break
    return path.with_name((name or "export") + suffix)


class PathField(QWidget):
    """A path to write, typed or chosen with a Save dialog."""

    def __init__(self, name: str, caption: str, parent=None):
        super().__init__(parent)
        self.edit = QLineEdit(objectName=name)
        self.edit.setMinimumWidth(480)
        self._caption = caption
        browse = QPushButton("Browse…", objectName=name.replace("Edit", "Browse"))
        browse.clicked.connect(self._on_browse_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def path(self) -> Path:
        return Path(self.edit.text().strip()).expanduser()

    def set_path(self, path: Path) -> None:
        self.edit.setText(str(path))

    def _on_browse_clicked(self):
        chosen, _ = QFileDialog.getSaveFileName(self, self._caption, self.edit.text())
        if chosen:
            self.edit.setText(chosen)


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    box.button(QDialogButtonBox.StandardButton.Ok).setObjectName("exportOkButton")
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class ExportModelDialog(QDialog):
    """Format and path for a model export."""

    def __init__(self, folder: Path, source: str, parent=None):
        super().__init__(parent, objectName="exportModelDialog")
        self.setWindowTitle("Export model")
        self.format = QComboBox(objectName="exportFormatCombo")
        for fmt, (text, _, _) in MODEL_FORMATS.items():
            self.format.addItem(text, fmt)
        self.path = PathField("exportPathEdit", "Export model to")
        self.path.set_path(folder / "model.keras")
        self._hint = QLabel()
        self._hint.setProperty("role", "hint")
        self._hint.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(QLabel(source))
        form.addRow("Format", self.format)
        form.addRow("", self._hint)
        form.addRow("Save to", self.path)
        form.addRow(_buttons(self, "Export"))
        self.format.currentIndexChanged.connect(self._on_format_changed)
        self._on_format_changed()

    def choice(self) -> tuple[str, Path]:
        return self.format.currentData(), self.path.path()

    def set_format(self, fmt: str) -> None:
        self.format.setCurrentIndex(self.format.findData(fmt))

    def _on_format_changed(self, _index=None):
        _, suffix, hint = MODEL_FORMATS[self.format.currentData()]
        self._hint.setText(hint)
        path = self.path.path()
        if path.name == "saved_model":
            path = path.with_name("model")
        path = with_suffix(path, suffix)
        if not suffix and path.name == "model":
            path = path.with_name("saved_model")  # a folder: the CLI's default name
        self.path.set_path(path)


class ExportPlotDialog(QDialog):
    """Which plot, PNG (pixel size and DPI) or SVG or the plotted data as CSV, and the path."""

    def __init__(self, folder: Path, parent=None):
        super().__init__(parent, objectName="exportPlotDialog")
        self.setWindowTitle("Export plot")
        self.kind = QComboBox(objectName="plotKindCombo")
        for kind, text in PLOT_KINDS.items():
            self.kind.addItem(text, kind)
        self.format = QComboBox(objectName="plotFormatCombo")
        for fmt, (text, _) in PLOT_FORMATS.items():
            self.format.addItem(text, fmt)
        self.width = self._spin("plotWidthSpin", 100, 10000, 1200, " px")
        self.height = self._spin("plotHeightSpin", 100, 10000, 700, " px")
        self.dpi = self._spin("plotDpiSpin", 36, 1200, 96, " dpi")
        self.title = QLineEdit(objectName="plotTitleEdit")
        self.title.setPlaceholderText("none")
        self.path = PathField("plotPathEdit", "Export plot to")
        self.path.set_path(folder / "training.png")
        size = QHBoxLayout()
        for widget in (self.width, QLabel("×"), self.height, QLabel("at"), self.dpi):
            size.addWidget(widget)
        size.addStretch(1)
        form = QFormLayout(self)
        form.addRow("Plot", self.kind)
        form.addRow("Format", self.format)
        form.addRow("Size", size)
        form.addRow("Title", self.title)
        form.addRow("Save to", self.path)
        form.addRow(_buttons(self, "Export"))
        self.format.currentIndexChanged.connect(self._on_format_changed)
        self.kind.currentIndexChanged.connect(self._on_kind_changed)

    @staticmethod
    def _spin(name, low, high, value, suffix) -> QSpinBox:
        box = QSpinBox(objectName=name)
        box.setRange(low, high)
        box.setValue(value)
        box.setSuffix(suffix)
        return box

    def choice(self) -> dict:
        return {"kind": self.kind.currentData(), "fmt": self.format.currentData(), "path": self.path.path(),
                "width": self.width.value(), "height": self.height.value(), "dpi": self.dpi.value(),
                "title": self.title.text().strip()}

    def set_format(self, fmt: str) -> None:
        self.format.setCurrentIndex(self.format.findData(fmt))

    def _on_format_changed(self, _index=None):
        fmt = self.format.currentData()
        for box in (self.width, self.height, self.dpi):
            box.setEnabled(fmt == "png")  # SVG scales; CSV has no size
        self.title.setEnabled(fmt != "csv")
        self.path.set_path(with_suffix(self.path.path(), PLOT_FORMATS[fmt][1]))

    def _on_kind_changed(self, _index=None):
        path = self.path.path()
        stem = path.name.split(".")[0]
        if stem in PLOT_KINDS:  # still the suggested name: follow the choice
            self.path.set_path(path.with_name(self.kind.currentData() + path.name[len(stem):]))
