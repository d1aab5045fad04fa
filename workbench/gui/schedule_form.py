"""The schedule form: family selector, one field per parameter, and the live preview.

The fields hold the values; the preview shows them and turns drags into field
edits, so typing and dragging go through one path (field text → validation →
preview). Errors are shown at the field that broke the rule, with the core's
message, and never in a dialog.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from workbench.core import schedule_math
from workbench.core.config import parse_value
from workbench.core.errors import ConfigError

from .style import set_flag

LIST_KINDS = ("boundaries", "values")


def object_name(param_name: str) -> str:
    """``decay_steps`` → ``decayStepsEdit``: the field's objectName."""
    first, *rest = param_name.split("_")
    return first + "".join(word.capitalize() for word in rest) + "Edit"


def parse_text(text: str, kind: str):
    """Field text as a number (or list of numbers); text that is neither goes to the rule as is."""
    value = parse_value(text)
    if kind in LIST_KINDS and not isinstance(value, list):
        return [value] if text.strip() else []
    return value


def format_value(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


class ParamField(QWidget):
    """A line edit for one parameter with its error message underneath."""

    edited = Signal()

    def __init__(self, param: schedule_math.Param, parent=None):
        super().__init__(parent)
        self.param = param
        self.edit = QLineEdit(objectName=object_name(param.name))
        self.edit.setToolTip(param.label)
        self.error = QLabel(objectName=object_name(param.name).replace("Edit", "Error"))
        self.error.setProperty("role", "fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        self.edit.textChanged.connect(self.edited)

    def text(self) -> str:
        return self.edit.text()

    def set_value(self, value) -> None:
        if parse_text(self.edit.text(), self.param.kind) != value:
            self.edit.setText(format_value(value))

    def checked_value(self):
        """The typed value normalised by the core's rule, or ConfigError."""
        return self.param.check(parse_text(self.text(), self.param.kind), f"schedule.{self.param.name}")

    def show_error(self, message: str | None) -> None:
        set_flag(self.edit, "invalid", bool(message))
        self.edit.setToolTip(message or self.param.label)
        self.error.setText(message or "")
        self.error.setVisible(bool(message))


class ScheduleForm(QWidget):
    """Edit a schedule family and its parameters; emits valid schedules as they change."""

    scheduleChanged = Signal(str, dict)  # family, complete validated params
    validityChanged = Signal(bool)

    def __init__(self, parent=None, preview: bool = True):
        """``preview=False`` leaves the preview's place empty until ``add_preview()`` (it loads pyqtgraph)."""
        super().__init__(parent)
        self.preview = None
        self._fields: dict[str, ParamField] = {}
        self._texts: dict[str, dict[str, str]] = {}  # per family: what was typed last
        self._params: dict = {}
        self._valid = True
        self._loading = False
        self._planned = 3000
        self._shown_family = ""
        self._params_family = ""  # the family self._params belongs to
        self._build()
        if preview:
            self.add_preview()

    def _build(self):
        self.combo = QComboBox(objectName="scheduleCombo")
        for name, fam in schedule_math.FAMILIES.items():
            self.combo.addItem(fam.title, name)
        self._form = QFormLayout()
        self._form.addRow("Family", self.combo)
        self._preview_place = QLabel("Loading the preview…", objectName="previewPlaceholder")
        self._hint = QLabel(objectName="previewHint")
        for label in (self._preview_place, self._hint):
            label.setProperty("role", "hint")
        self._preview_place.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(self._form)
        layout.addWidget(self._preview_place, 1)
        layout.addWidget(self._hint)
        self.combo.currentIndexChanged.connect(self._on_family_changed)
        self._show_family(self.family, {})

    def add_preview(self) -> None:
        """Build the preview in its place, showing the fields' last valid schedule; once."""
        if self.preview is not None:
            return
        from .schedule_preview import SchedulePreview  # pyqtgraph loads here

        self.preview = SchedulePreview()
        self.layout().replaceWidget(self._preview_place, self.preview)
        self._preview_place.deleteLater()
        self._preview_place = None
        self.preview.show()
        self.preview.paramDragged.connect(self._on_param_dragged)
        self.preview.set_schedule(self._params_family, self._params, self._planned)

    # --- reading and writing ---

    @property
    def family(self) -> str:
        return self.combo.currentData()

    @property
    def valid(self) -> bool:
        return self._valid

    def field(self, name: str) -> ParamField:
        return self._fields[name]

    def schedule(self) -> tuple[str, dict]:
        """(family, params) as validated by the core; ConfigError names the first bad field."""
        params = {name: field.checked_value() for name, field in self._fields.items()}
        return self.family, schedule_math.validate(self.family, params)

    def set_schedule(self, family: str, params: dict) -> None:
        params = schedule_math.validate(family, params)
        self.combo.blockSignals(True)  # _show_family does what the handler would
        self.combo.setCurrentIndex(self.combo.findData(family))
        self.combo.blockSignals(False)
        self._show_family(family, {name: format_value(v) for name, v in params.items()})

    def set_first_lr(self, lr: float) -> str | None:
        """Put ``lr`` in the family's first learning-rate field (piecewise: its first value); its name, or None."""
        for name, field in self._fields.items():
            if field.param.kind == "lr":
                field.set_value(schedule_math.round_significant(lr))
                return name
            if field.param.kind == "values":
                values = parse_text(field.text(), "values")
                field.set_value([schedule_math.round_significant(lr), *values[1:]])
                return name
        return None

    def set_planned_steps(self, steps: int) -> None:
        self._planned = max(int(steps), 1)
        if self.preview is not None:
            self.preview.set_planned_steps(self._planned)

    def set_running(self, running: bool) -> None:
        """The family cannot change under a running model; its parameters can."""
        self.combo.setEnabled(not running)

    # --- building the fields of a family ---

    def _show_family(self, family: str, texts: dict[str, str]) -> None:
        """Replace the fields with ``family``'s, filled with ``texts`` (defaults where missing)."""
        self._loading = True
        try:
            self._clear_fields()
            for param in schedule_math.FAMILIES[family].params:
                self._add_field(param, texts.get(param.name, format_value(param.default)))
        finally:
            self._loading = False
        self._shown_family = family
        self._hint.setText("Drag a drop edge sideways, or a plateau up or down, to edit."
                           if family == "staircase" else "Edit the fields; the curve follows.")
        self._revalidate()

    def _clear_fields(self):
        while self._form.rowCount() > 1:
            self._form.removeRow(1)  # deletes the row's widgets
        self._fields.clear()

    def _add_field(self, param, text):
        field = ParamField(param)
        field.edit.setText(text)
        field.edited.connect(self._on_field_edited)
        self._form.addRow(param.label, field)
        self._fields[param.name] = field

    # --- handlers ---

    def _on_family_changed(self, _index):
        # Switching away and back keeps what was typed, valid or not.
        self._texts[self._shown_family] = {n: f.text() for n, f in self._fields.items()}
        self._show_family(self.family, self._texts.get(self.family, {}))

    def _on_field_edited(self):
        if not self._loading:
            self._revalidate()

    def _on_param_dragged(self, name, value):
        field = self._fields.get(name)
        if field is not None:
            field.set_value(value)  # → textChanged → _revalidate → preview redraw

    # --- validation ---

    def _revalidate(self):
        params, errors = self._check_fields()
        for name, field in self._fields.items():
            field.show_error(errors.get(name))
        valid = not errors
        if valid and (params != self._params or self.family != self._params_family):
            self._params, self._params_family = params, self.family
            if self.preview is not None:
                self.preview.set_schedule(self.family, params, self._planned)
            self.scheduleChanged.emit(self.family, dict(params))
        if valid != self._valid:
            self._valid = valid
            self.validityChanged.emit(valid)

    def _check_fields(self) -> tuple[dict, dict]:
        """(params, {field name: message}); each field is checked on its own first."""
        params, errors = {}, {}
        for name, field in self._fields.items():
            try:
                params[name] = field.checked_value()
            except ConfigError as exc:
                errors[name] = str(exc)
        if not errors:
            try:
                params = schedule_math.validate(self.family, params)
            except ConfigError as exc:  # a rule across fields, e.g. piecewise lengths
                errors[exc.field.rsplit(".", 1)[-1]] = str(exc)
        return params, errors
