"""The schedule form and its preview: typing redraws, errors show at the field, drags edit the fields."""

import numpy as np
import pytest
from PySide6.QtWidgets import QLineEdit, QMessageBox

from gui_helpers import delete_now, drag, viewport_pos

from workbench.core import schedule_math
from workbench.gui.schedule_form import ScheduleForm


@pytest.fixture
def form(qtbot):
    form = ScheduleForm()
    form.resize(420, 520)
    form.set_planned_steps(3000)
    form.show()
    qtbot.waitExposed(form)
    qtbot.wait(50)  # let the axes size themselves to their tick labels before aiming at pixels
    yield form
    delete_now(form)


def edit(form, name) -> QLineEdit:
    return form.findChild(QLineEdit, name)


def lr_at(form, step):
    x, y = form.preview.curve_data()
    return y[np.searchsorted(x, step)]


def test_default_staircase_fields_and_log_preview(form):
    assert form.findChild(type(form.combo), "scheduleCombo").currentData() == "staircase"
    assert edit(form, "initialLrEdit").text() == "0.001"
    assert edit(form, "decayStepsEdit").text() == "1000"
    assert edit(form, "decayRateEdit").text() == "0.1"
    assert form.preview.objectName() == "schedulePreview"
    assert form.preview.log_y  # log-scale LR axis by default
    assert lr_at(form, 999) == pytest.approx(1e-3)
    assert lr_at(form, 1000) == pytest.approx(1e-4)


def test_typing_a_field_redraws_the_preview(form, qtbot):
    with qtbot.waitSignal(form.scheduleChanged) as changed:
        edit(form, "decayStepsEdit").setText("500")
    assert changed.args == ["staircase", {"initial_lr": 0.001, "decay_steps": 500, "decay_rate": 0.1}]
    assert lr_at(form, 499) == pytest.approx(1e-3)
    assert lr_at(form, 500) == pytest.approx(1e-4)
    assert lr_at(form, 1000) == pytest.approx(1e-5)


def test_a_bad_value_is_shown_at_its_field_without_a_dialog(form, qtbot):
    field = edit(form, "decayStepsEdit")
    with qtbot.waitSignal(form.validityChanged) as validity:
        qtbot.keyClicks(field, "x")  # "1000x"
    assert validity.args == [False]
    error = form.findChild(type(form.field("decay_steps").error), "decayStepsError")
    assert field.property("invalid") is True
    assert "schedule.decay_steps must be a positive integer" in error.text()
    assert error.isVisible() and "decay_steps" in field.toolTip()
    assert not [w for w in form.window().findChildren(QMessageBox)]
    assert lr_at(form, 1000) == pytest.approx(1e-4)  # the last valid curve stays
    field.setText("250")
    assert form.valid and field.property("invalid") is False and not error.isVisible()
    assert lr_at(form, 250) == pytest.approx(1e-4)


def test_each_bad_field_gets_its_own_message(form):
    edit(form, "initialLrEdit").setText("20")
    edit(form, "decayRateEdit").setText("0")
    assert "schedule.initial_lr must be a positive number no larger than 10" in form.field("initial_lr").error.text()
    assert "schedule.decay_rate must be a number in (0, 1]" in form.field("decay_rate").error.text()
    assert not form.field("decay_steps").error.text()


def test_switching_family_shows_its_fields_and_keeps_what_was_typed(form):
    edit(form, "decayStepsEdit").setText("700")
    form.combo.setCurrentIndex(form.combo.findData("cosine"))
    names = [p.name for p in schedule_math.FAMILIES["cosine"].params]
    assert [form.field(n).edit.objectName() for n in names] == [
        "initialLrEdit", "decayStepsEdit", "alphaEdit", "warmupStepsEdit"]
    assert form.schedule() == ("cosine", schedule_math.FAMILIES["cosine"].defaults())
    form.combo.setCurrentIndex(form.combo.findData("staircase"))
    assert edit(form, "decayStepsEdit").text() == "700"


def test_piecewise_length_rule_is_shown_at_values(form):
    form.combo.setCurrentIndex(form.combo.findData("piecewise"))
    edit(form, "valuesEdit").setText("0.001, 0.0001")
    assert "must have one more entry than boundaries" in form.field("values").error.text()
    assert not form.valid


# --- dragging the staircase: real mouse events on the preview's viewport ---


def test_dragging_a_drop_edge_sideways_changes_decay_steps(form, qtbot):
    start = viewport_pos(form.preview, 1000, 3e-4)  # on the first drop, between the plateaus
    end = viewport_pos(form.preview, 1500, 3e-4)
    drag(qtbot, form.preview, start, end)
    steps = int(edit(form, "decayStepsEdit").text())
    assert 1400 <= steps <= 1600
    assert form.schedule()[1]["decay_steps"] == steps
    assert lr_at(form, steps - 1) == pytest.approx(1e-3) and lr_at(form, steps) == pytest.approx(1e-4)


def test_dragging_the_second_edge_moves_every_edge(form, qtbot):
    start = viewport_pos(form.preview, 2000, 3e-5)
    end = viewport_pos(form.preview, 1600, 3e-5)
    drag(qtbot, form.preview, start, end)
    assert 750 <= int(edit(form, "decayStepsEdit").text()) <= 850  # 2nd drop at ~1600


def test_dragging_the_first_plateau_up_changes_initial_lr(form, qtbot):
    start = viewport_pos(form.preview, 500, 1e-3)
    end = viewport_pos(form.preview, 500, 3e-3)
    drag(qtbot, form.preview, start, end)
    lr = float(edit(form, "initialLrEdit").text())
    assert 2e-3 < lr < 4.5e-3
    assert edit(form, "decayRateEdit").text() == "0.1"  # the rate is unchanged
    assert lr_at(form, 0) == pytest.approx(lr)


def test_dragging_the_second_plateau_changes_decay_rate(form, qtbot):
    start = viewport_pos(form.preview, 1500, 1e-4)
    end = viewport_pos(form.preview, 1500, 5e-4)
    drag(qtbot, form.preview, start, end)
    rate = float(edit(form, "decayRateEdit").text())
    assert 0.3 < rate < 0.7
    assert edit(form, "initialLrEdit").text() == "0.001"
    assert lr_at(form, 1500) == pytest.approx(1e-3 * rate)


def test_a_drag_away_from_the_handles_changes_nothing(form, qtbot):
    start = viewport_pos(form.preview, 400, 1e-5)  # empty space under the first plateau
    end = viewport_pos(form.preview, 700, 2e-6)
    with qtbot.assertNotEmitted(form.scheduleChanged):
        drag(qtbot, form.preview, start, end)
    assert form.schedule()[1] == {"initial_lr": 0.001, "decay_steps": 1000, "decay_rate": 0.1}


def test_fields_and_preview_stay_bound_after_a_drag(form, qtbot):
    drag(qtbot, form.preview, viewport_pos(form.preview, 1000, 3e-4), viewport_pos(form.preview, 600, 3e-4))
    dragged = int(edit(form, "decayStepsEdit").text())
    edit(form, "decayStepsEdit").setText("1200")  # typing after dragging still moves the curve
    assert dragged != 1200 and lr_at(form, 1199) == pytest.approx(1e-3) and lr_at(form, 1200) < 1e-3
