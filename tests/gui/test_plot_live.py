"""The live training plot on long histories: what it keeps, what it hands pyqtgraph, and that nothing is lost."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QImage, QPainterPath
from PySide6.QtWidgets import QLabel, QStatusBar

from gui_helpers import delete_now
from workbench.core.recorder import History
from workbench.gui.plot_paint import ClippedAxis
from workbench.gui.plot_curve import RANGE_EVERY_S
from workbench.gui.plot_data import ema
from workbench.gui.plot_panel import VALIDATION_EVERY_S, TrainingPlot
from workbench.gui.status import SHOW_EVERY_S, RunStatus

STAIRCASE = {"initial_lr": 0.001, "decay_steps": 30_000, "decay_rate": 0.1}


def fill(history: History, start: int, stop: int, nan_every: int = 0) -> None:
    """Rows start..stop-1 of a run: a staircase LR, a noisy falling loss, a rising accuracy."""
    for step in range(start, stop):
        loss = 2.0 / (1 + step / 5000) + 0.05 * (step * 7919 % 101) / 101  # noisy, the same whatever the chunks
        if nan_every and step % nan_every == nan_every - 1:
            loss = np.nan
        history.append({"step": step, "epoch": step // 1000, "lr": 0.001 * 0.1 ** (step // 30_000),
                        "loss": loss, "accuracy": min(0.99, step / 50_000), "wall_time": step * 0.004})


@pytest.fixture
def plot(qtbot, qapp):
    widget = TrainingPlot()
    widget.resize(1000, 600)
    widget.show()
    qtbot.waitExposed(widget)
    widget.reset(100_000)
    widget.set_schedule("staircase", STAIRCASE)
    yield widget
    delete_now(widget)


@pytest.fixture
def pacer_clock(monkeypatch) -> list[float]:
    """The range pacer's clock, set by the test: ``clock[0] += seconds``."""
    clock = [100.0]
    monkeypatch.setattr("workbench.gui.plot_curve.time.monotonic", lambda: clock[0])
    return clock


@contextmanager
def events(widget, kind):
    """The ``kind`` events ``widget`` gets inside the block: a paint's rect, else the event's type."""
    from PySide6.QtCore import QEvent, QObject

    seen = []

    class Watcher(QObject):
        def eventFilter(self, obj, event):
            if event.type() == kind:
                seen.append(event.rect() if kind == QEvent.Type.Paint else event.type())
            return False

    watcher = Watcher()
    widget.installEventFilter(watcher)
    try:
        yield seen
    finally:
        widget.removeEventFilter(watcher)


def drawn(item):
    """(x, y) pyqtgraph is handed for ``item`` (before any log mapping) when the layer next draws it whole."""
    item.sync()
    dataset = item._dataset
    return (np.asarray(dataset.x), np.asarray(dataset.y)) if dataset is not None else (np.array([]), np.array([]))


def settle(qapp, widget):
    qapp.processEvents()
    widget.grab()  # a paint: views apply pending auto-ranges
    qapp.processEvents()


def test_curves_read_the_history_in_place_and_keep_only_float32_averages(plot, qapp):
    history = History()
    fill(history, 0, 50_000)
    plot.refresh(history, 100_000)
    series = plot.series["loss"]
    steps, raw = series.raw.getOriginalDataset()
    assert np.shares_memory(raw, history.view("loss")) and np.shares_memory(steps, history.view("step"))
    assert np.shares_memory(plot.lr_curve.getOriginalDataset()[1], history.view("lr"))
    assert np.shares_memory(series.line.getOriginalDataset()[0], steps)  # one x for every curve
    smoothed = series.line.getOriginalDataset()[1]
    assert smoothed.dtype == np.float32
    np.testing.assert_allclose(smoothed, ema(history.column("loss"), plot.smoothing.value() / 100), rtol=1e-5)
    settle(qapp, plot)
    width = int(plot.loss_view.width())
    for item in (plot.lr_curve, series.raw, series.line, plot.series["accuracy"].raw):
        x, _ = drawn(item)
        assert 0 < len(x) <= 4 * width + 2  # decimated to the pixels, not 50,000 rows


def test_refreshing_chunk_by_chunk_draws_what_reading_at_once_draws(plot, qtbot, qapp):
    whole = History()
    fill(whole, 0, 6_000, nan_every=97)
    plot.refresh(whole, 100_000)  # every row at once
    chunked = TrainingPlot()
    chunked.resize(1000, 600)
    chunked.show()
    qtbot.waitExposed(chunked)
    chunked.reset(100_000)
    try:
        growing = History()
        for stop in [*range(437, 6_000, 437), 6_000]:  # the clock reads whatever is new, in uneven chunks
            fill(growing, len(growing), stop, nan_every=97)
            chunked.refresh(growing, 100_000)
        settle(qapp, plot)
        settle(qapp, chunked)
        for name in ("loss", "accuracy"):
            at_once, in_chunks = plot.series[name], chunked.series[name]
            np.testing.assert_array_equal(in_chunks.line.getOriginalDataset()[1],
                                          at_once.line.getOriginalDataset()[1])
            for a, b in ((at_once.line, in_chunks.line), (at_once.raw, in_chunks.raw)):
                for shown_a, shown_b in zip(drawn(a), drawn(b)):
                    np.testing.assert_array_equal(shown_a, shown_b)
    finally:
        delete_now(chunked)


def test_a_zoomed_view_draws_every_row_it_shows_and_fit_all_brings_back_the_run(plot, qapp):
    history = History()
    fill(history, 0, 200_000)
    plot.refresh(history, 200_000, running=False)
    settle(qapp, plot)
    plot.lr_plot.setXRange(120_000, 120_400, padding=0)
    settle(qapp, plot)
    x, y = drawn(plot.series["loss"].raw)
    assert x[0] <= 120_000 and x[-1] >= 120_400 and len(x) <= 404  # the visible rows, one beyond each edge
    np.testing.assert_array_equal(x, history.view("step")[x[0]: x[-1] + 1])
    np.testing.assert_array_equal(y, history.view("loss")[x[0]: x[-1] + 1])  # full resolution
    plot.fit_all()
    settle(qapp, plot)
    left, right = plot.lr_plot.getViewBox().viewRange()[0]
    assert left <= 0 and right >= 199_999
    low, high = plot.lr_plot.getViewBox().viewRange()[1]  # log10 of the LR: every plateau is in view
    assert low <= -5 and high >= -3


def test_nan_losses_leave_gaps_in_the_raw_line_and_the_average_steps_over_them(plot, qapp):
    history = History()
    fill(history, 0, 300, nan_every=10)
    plot.refresh(history, 300)  # a plan as long as the rows: every row has pixels of its own
    settle(qapp, plot)
    _, raw = drawn(plot.series["loss"].raw)
    assert np.isnan(raw).sum() == 30
    assert np.isfinite(plot.series["loss"].line.getOriginalDataset()[1]).all()


def test_a_rewound_history_is_drawn_again_from_its_rows(plot, qapp):
    history = History()
    fill(history, 0, 500)
    plot.refresh(history, 500)
    history.truncate(200)  # a rollback to the checkpoint at step 200
    for step in range(200, 400):
        history.append({"step": step, "epoch": 0, "lr": 0.0005, "loss": 9.0, "accuracy": 0.1,
                        "wall_time": 100 + step * 0.004})
    plot.refresh(history, 500)
    settle(qapp, plot)
    x, lr = plot.lr_curve.getOriginalDataset()
    assert len(x) == 400 and lr[-1] == np.float32(0.0005)
    _, shown = drawn(plot.series["loss"].raw)
    assert shown[-1] == 9.0 and len(shown) == 400
    np.testing.assert_allclose(plot.series["loss"].line.getOriginalDataset()[1],
                               ema(history.column("loss"), plot.smoothing.value() / 100), rtol=1e-5)


def test_a_line_hidden_from_the_legend_catches_up_when_shown(plot, qapp):
    history = History()
    fill(history, 0, 100)
    plot.refresh(history, 300)
    line = plot.series["accuracy"].line
    line.setVisible(False)
    fill(history, 100, 300)
    plot.refresh(history, 300)
    assert len(line.getOriginalDataset()[0]) == 100  # no work for it while hidden
    line.setVisible(True)
    settle(qapp, plot)
    assert len(drawn(line)[0]) == 300 and plot.series["accuracy"].raw.isVisible()


def test_smoothing_and_log_toggles_redraw_from_the_same_rows(plot, qapp):
    history = History()
    fill(history, 0, 400)
    plot.refresh(history, 400)
    plot.smoothing.setValue(30)
    np.testing.assert_allclose(plot.series["loss"].line.getOriginalDataset()[1],
                               ema(history.column("loss"), 0.3), rtol=1e-5)
    plot.log_loss.setChecked(False)
    settle(qapp, plot)
    raw = plot.series["loss"].raw
    assert raw.opts["logMode"] == [False, False]
    np.testing.assert_array_equal(raw.getData()[1], history.view("loss"))  # no log mapping


def test_every_shown_axis_clips_its_grid_and_the_top_axes_stay_hidden(plot):
    for item in (plot.lr_plot, plot.metrics_plot):
        for side in ("left", "bottom", "right"):
            assert isinstance(item.getAxis(side), ClippedAxis) and item.getAxis(side).isVisible()
        assert not item.getAxis("top").isVisible()


def test_an_axis_kept_bounding_rect_follows_its_plot_and_grid(plot, qapp):
    import pyqtgraph as pg

    axes = [plot.lr_plot.getAxis(side) for side in ("left", "bottom", "right")] + [plot.metrics_plot.getAxis("left")]

    def fresh(axis):
        return pg.AxisItem.boundingRect(axis)  # worked out anew, as pyqtgraph does

    for change in (lambda: None, lambda: plot.resize(700, 900), lambda: plot.lr_plot.showGrid(x=False, y=False)):
        change()
        settle(qapp, plot)
        for axis in axes:
            assert axis.boundingRect() == fresh(axis)


def test_the_status_bar_shows_a_row_a_few_times_a_second_and_at_once_when_told(qtbot, monkeypatch):
    bar = QStatusBar()
    qtbot.addWidget(bar)
    status = RunStatus(bar)
    clock = iter([10.0, 10.0 + SHOW_EVERY_S / 3, 10.0 + SHOW_EVERY_S / 2, 10.0 + 2 * SHOW_EVERY_S])
    monkeypatch.setattr("workbench.gui.status.time.monotonic", lambda: next(clock))
    row = {"step": 9, "epoch": 0, "lr": 0.001, "loss": 1.0}
    status.show_row(row, 100, paused=False)
    status.show_row({**row, "step": 19}, 100, paused=False)  # a frame later: skipped
    assert "10 / 100" in status.step.text()
    status.show_row({**row, "step": 29}, 100, paused=False, force=True)  # the run ended: shown at once
    assert "30 / 100" in status.step.text() and status.progress.value() == 30
    status.show_row({**row, "step": 39}, 100, paused=False)
    assert "40 / 100" in status.step.text()


def test_status_values_repaint_their_own_widgets_without_laying_the_bar_out_again(qtbot, qapp):
    from workbench.gui.style import STYLE_SHEET

    bar = QStatusBar()
    qtbot.addWidget(bar)
    bar.setStyleSheet(STYLE_SHEET.read_text(encoding="utf-8"))  # the app's: padded read-outs, a bold step
    bar.resize(900, 30)
    bar.show()
    status = RunStatus(bar)
    status.clear(5000)
    qapp.processEvents()
    probes = QStatusBar()  # another bar, for labels that size themselves
    qtbot.addWidget(probes)
    probes.setStyleSheet(bar.styleSheet())
    with events(bar, QEvent.Type.LayoutRequest) as layouts:
        for i in range(1, 60):
            status.show_row({"step": 83 * i, "epoch": i // 3, "lr": 0.001 * 0.1 ** (i // 20), "loss": 1 / i},
                            5000, paused=False, force=True)
            qapp.processEvents()
            for label in status._labels:
                probe = QLabel(label.text(), objectName=label.objectName())  # styled alike, free to size itself
                probe.setContentsMargins(label.contentsMargins())
                probes.addWidget(probe)
                assert probe.sizeHint().width() <= label.width()  # never cut off
                probes.removeWidget(probe)
                probe.deleteLater()
    # The step read-out was sized for "5,000 / 5,000" at the start; the others grow a few times.
    assert len(layouts) <= 8
    assert all(w.autoFillBackground() for w in (*status._labels, status.progress))  # opaque: the bar stays


def test_a_value_far_outside_a_zoomed_view_is_still_kept_from_qt(plot, qapp):
    history = History()
    fill(history, 0, 300)
    history.append({"step": 300, "epoch": 0, "lr": 0.001, "loss": 1e15, "accuracy": 0.5, "wall_time": 2.0})
    plot.log_loss.setChecked(False)
    plot.refresh(history, 100_000)
    settle(qapp, plot)
    plot.loss_view.setYRange(0, 3, padding=0)  # zoomed in on the ordinary losses
    settle(qapp, plot)
    assert plot.series["loss"].raw.getData()[1].max() < 1e9  # pyqtgraph's dynamic range limit cut the spike


def test_the_dashed_plan_starts_at_the_next_step_and_goes_when_the_run_ends(plot, qapp):
    history = History()
    fill(history, 0, 45_000)
    plot.refresh(history, 100_000)
    x, lr = plot.lr_ahead.getOriginalDataset()
    assert x[0] == 45_000 and x[-1] == 99_999
    assert lr[0] == pytest.approx(1e-4) and lr[-1] == pytest.approx(1e-6)  # drops at 60k and 90k still ahead
    plot.refresh(history, 100_000, running=False)
    assert plot.lr_ahead.getOriginalDataset()[0] is None


def test_the_dashed_plan_is_cut_behind_the_run_only_in_frames_that_repaint_whole(qapp):
    import pyqtgraph as pg

    from workbench.gui.plot_series import ScheduleAhead

    item = pg.PlotDataItem()
    ahead = ScheduleAhead(item)
    ahead.set_schedule("staircase", STAIRCASE)

    def first_step():
        return item.getOriginalDataset()[0][0]

    ahead.draw(0, 100_000)
    ahead.draw(20_000, 100_000, whole_repaint=False)
    assert first_step() == 0  # the run's line covers what it passed: not redrawn (nor the view repainted)
    ahead.draw(20_000, 100_000, whole_repaint=True)
    assert first_step() == 20_000
    ahead.draw(25_000, 100_000, whole_repaint=False, covered=False)
    assert first_step() == 20_000
    ahead.draw(30_000, 100_000, whole_repaint=False, covered=False)  # the run's line hidden: each tenth
    assert first_step() == 30_000
    ahead.draw(10_000, 100_000, whole_repaint=False)  # a rollback: what is ahead of it again
    assert first_step() == 10_000


def test_validation_points_follow_the_epochs_read_a_frame_at_a_time(plot, pacer_clock):
    history = History()
    fill(history, 0, 300)
    history.add_epoch({"epoch": 0, "steps": 100, "val_loss": 1.5})
    plot.refresh(history, 1000)
    history.add_epoch({"epoch": 1, "steps": 100, "val_loss": 1.2, "val_top5": 0.9})  # a name new in this epoch
    history.add_epoch({"epoch": 2, "steps": 100, "val_loss": 1.1, "val_top5": 0.95})
    pacer_clock[0] += VALIDATION_EVERY_S
    plot.refresh(history, 1000)
    x, y = plot._val_points["val_loss"].getOriginalDataset()
    np.testing.assert_array_equal(x, [99, 199, 299])
    np.testing.assert_allclose(y, [1.5, 1.2, 1.1])
    x, y = plot._val_points["val_top5"].getOriginalDataset()
    np.testing.assert_array_equal(x, [199, 299])


def test_new_validation_points_join_once_a_second_while_a_run_grows(plot, pacer_clock):
    """Each addition repaints the points' items whole, through the scene: a short epoch must not do so
    every few frames. With a range move (a whole repaint anyway), or once the run is over, at once."""
    history = History()
    fill(history, 0, 200)
    history.add_epoch({"epoch": 0, "steps": 100, "val_loss": 1.5})
    plot.refresh(history, 1000)  # the first: at once
    shown = lambda: list(plot._val_points["val_loss"].getOriginalDataset()[1])  # noqa: E731
    assert shown() == [1.5]
    history.add_epoch({"epoch": 1, "steps": 100, "val_loss": 1.2})
    fill(history, 200, 210)  # rows that move no range
    pacer_clock[0] += RANGE_EVERY_S
    plot.refresh(history, 1000)
    assert shown() == [1.5]  # not yet
    fill(history, 210, 220)
    pacer_clock[0] += VALIDATION_EVERY_S - RANGE_EVERY_S
    plot.refresh(history, 1000)
    assert shown() == pytest.approx([1.5, 1.2])  # a second after the last
    history.add_epoch({"epoch": 2, "steps": 10, "val_loss": 1.1})
    plot.refresh(history, 1000, running=False)  # the run is over: at once
    assert shown() == pytest.approx([1.5, 1.2, 1.1])


def test_a_growing_run_keeps_its_ranges_and_adds_only_new_rows_to_the_drawn_image(plot, qapp):
    history = History()
    fill(history, 0, 2000)
    plot.refresh(history, 100_000)
    settle(qapp, plot)
    views = (plot.lr_plot.getViewBox(), plot.loss_view, plot.metrics_plot.getViewBox())
    ranges = [view.viewRange() for view in views]
    assert ranges[0][0][0] <= 0 and ranges[0][0][1] >= 99_999  # x: the whole plan, not the rows so far
    whole = [layer.whole_redraws for layer in plot.layers.values()]
    for start in range(2000, 2200, 20):  # 10 frames whose values stay within the ranges
        fill(history, start, start + 20)
        plot.refresh(history, 100_000)
        settle(qapp, plot)
    assert [view.viewRange() for view in views] == ranges
    assert [layer.whole_redraws for layer in plot.layers.values()] == whole


@pytest.mark.parametrize("plan, rows, chunk", [(3000, 2400, 40), (60_000, 40_000, 400)])  # ~3 and ~60 rows a pixel
def test_the_image_built_frame_by_frame_matches_one_drawn_whole(plot, qapp, plan, rows, chunk, pacer_clock):
    from workbench.gui.run_controller import REFRESH_MS

    clock = pacer_clock  # one refresh interval a frame: range moves fall on the same frames on a slow machine too
    history = History()
    plot.reset(plan)
    for start in range(0, rows, chunk):
        clock[0] += REFRESH_MS / 1000
        fill(history, start, start + chunk)
        plot.refresh(history, plan)
        settle(qapp, plot)
    layers = list(plot.layers.values())
    assert all(layer.whole_redraws < 15 for layer in layers)  # a few range moves, not a redraw per frame
    by_frames = [layer._image.copy() for layer in layers]
    for layer in layers:
        layer.redraw_whole()
    settle(qapp, plot)
    for frames, layer in zip(by_frames, layers):
        a = np.frombuffer(frames.constBits(), np.uint8).reshape(frames.height(), -1)
        b = np.frombuffer(layer._image.constBits(), np.uint8).reshape(frames.height(), -1)
        assert a.any() and (a != b).mean() < 0.01  # the same lines, give or take a few joins


def test_live_frames_draw_on_the_screen_and_leave_the_image_to_the_next_scene_paint(plot, qapp, pacer_clock,
                                                                                    monkeypatch):
    from PySide6.QtGui import QPainter

    from workbench.gui import plot_curve
    from workbench.gui.run_controller import REFRESH_MS

    history, plan = History(), 3000
    plot.reset(plan)

    def frames(start, stop, chunk=30):
        for begin in range(start, stop, chunk):
            pacer_clock[0] += REFRESH_MS / 1000
            fill(history, begin, begin + chunk)
            plot.refresh(history, plan)
            qapp.processEvents()

    frames(0, 600)
    settle(qapp, plot)  # the ranges settled, the images drawn
    layer = plot.layers["loss"]
    whole = layer.whole_redraws
    frames(600, 660)
    assert layer.whole_redraws == whole and len(layer._replay) >= 4  # drawn on the screen, kept for the image
    expected = layer._image.copy()  # the image as it is, with the kept shapes drawn on it
    painter = QPainter(expected)
    painter.setTransform(layer._image_transform)
    painter.setClipRect(layer.boundingRect())
    plot_curve.draw_shapes(painter, layer._replay)
    painter.end()
    assert expected != layer._image
    plot.grab()  # the scene paints: the image gets those very shapes, not a whole redraw
    assert layer._replay == [] and layer.whole_redraws == whole and layer._image == expected

    monkeypatch.setattr(plot_curve, "MAX_REPLAY", 4)  # frames long after the last scene paint
    frames(660, 1200)
    assert layer._replay is None  # too many kept: the image is drawn whole when the scene next paints
    plot.grab()
    assert layer.whole_redraws > whole and layer._replay == []


def on_screen(widget) -> np.ndarray:
    """What the window shows now (its backing store: what live frames drew on), as (height, width, rgb)."""
    return pixels(widget.screen().grabWindow(widget.window().winId()).toImage())


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return pixels[:, : image.width() * 4].reshape(image.height(), image.width(), 4)[..., :3].astype(int)


@pytest.mark.parametrize("grid, tolerance", [(False, 8), (True, 64)], ids=["no grid", "grid"])
def test_live_frames_show_what_a_full_repaint_shows(plot, qapp, pacer_clock, grid, tolerance):
    """Frames that only add rows draw them straight onto the screen; the screen must match the scene.

    Up to rounding of translucent lines; with a grid, a line's pixels on a grid line also
    blend in the other order (the scene draws the faint grid above the curves) until the
    next whole repaint.
    """
    from workbench.gui.run_controller import REFRESH_MS

    for item in (plot.lr_plot, plot.metrics_plot):
        item.showGrid(x=grid, y=grid, alpha=0.2)
    view, history, plan = plot._graphics, History(), 3000
    plot.reset(plan)
    # The legend moved where the lines run: right of the middle, so the last frames' rows pass under it.
    # (Opaque: what passes under it never shows. A frame painted live and then by the scene counts in ``both``.)
    plot.legend.anchor(itemPos=(1, 0.5), parentPos=(1, 0.5), offset=(-10, 0))
    qapp.processEvents()
    worst, differing, both, frames = 0, [], 0, 0
    for start in range(0, 2700, 30):
        live_before, scene_before = view.live_frames, view.scene_frames
        pacer_clock[0] += REFRESH_MS / 1000
        fill(history, start, start + 30)
        if start == 30:
            history.add_event(60, "pause")  # a marker whose label sits where the loss starts, at the top
        if start == 960:  # validation points where the next rows start, on the lines
            history.add_epoch({"epoch": 0, "steps": 990, "val_loss": 1.6, "val_accuracy": 0.02})
        if start == 1500:
            history.add_event(1530, "pause")  # a marker at the next step: the next rows start on it
        plot.refresh(history, plan)
        if start == 1200:
            plot.grab()  # an export between a frame's rows and their paint
        for _ in range(3):  # and the repaints that painting asked for (a range a view applied as it painted)
            qapp.processEvents()
        both += view.live_frames > live_before and view.scene_frames > scene_before
        frames += 1
        if start % 120 != 90 and start < 2640:
            continue  # live frames one after another between comparisons (a grab is a scene paint)
        live, whole = on_screen(plot), pixels(plot.grab().toImage())  # grab(): the scene, not the screen
        worst = max(worst, int(np.abs(whole - live).max()))
        differing.append((whole != live).any(axis=2).mean())
    assert view.live_frames > frames / 2  # most frames skipped the scene
    assert (live != 255).any() and max(differing) < 0.01
    assert worst <= tolerance  # no line missing, none extra, in any frame
    # Only frames whose rows cross a marker, its label or validation points need the scene too:
    # under the opaque legend nothing shows, so nothing is repainted there (translucent: 9 frames).
    assert both <= 3


def test_frames_that_nothing_painted_keep_a_bounded_list_of_strips(plot, qapp):
    from workbench.gui.plot_curve import MAX_STRIPS

    history = History()
    plot.reset(3000)
    for start in range(0, 2000, 10):  # a minimised window: refreshes, no paint events
        fill(history, start, start + 10)
        plot.refresh(history, 3000)
    assert all(len(layer._strips) <= MAX_STRIPS + 1 for layer in plot.layers.values())
    scene_frames = plot._graphics.scene_frames
    qapp.processEvents()
    assert plot._graphics.scene_frames > scene_frames  # the scene paints what piled up


def test_rows_that_fill_part_of_the_view_get_a_peak_pair_or_two_a_pixel_column(plot, qapp):
    history = History()
    fill(history, 0, 10_000)
    plot.refresh(history, 60_000)  # x reaches the plan's end: the rows span a sixth of the width
    settle(qapp, plot)
    view = plot.loss_view
    left, right = view.viewRange()[0]
    columns = view.width() * 10_000 / (right - left)
    x, _ = drawn(plot.series["loss"].raw)
    # Buckets are whole envelope blocks, so up to two a column; not one per 1/width of the rows
    # (a translucent line drawn over itself several times a column darkens, unlike its live rows).
    assert columns < len(x) / 2 <= 2 * columns + 2


def test_a_curves_y_bounds_move_only_when_its_values_leave_them():
    from workbench.gui.plot_data import sticky_range

    first = sticky_range(None, 0.2, 0.4, log=False)
    assert first[0] < 0.2 and first[1] > 0.4
    assert sticky_range(first, 0.21, 0.39, log=False) is first  # inside: kept
    lower = sticky_range(first, 0.05, 0.4, log=False)  # crossed below: room below to go on falling
    assert lower[0] < 0.05 and 0.05 - lower[0] > lower[1] - 0.4
    assert sticky_range(lower, 0.3, 0.31, log=False) != lower  # fills under half of it: tightened
    assert sticky_range(None, -3.0, -3.0, log=True) == pytest.approx((-3.1, -2.9))  # a flat LR: a tenth of a decade
    falling = sticky_range((-1.0, 0.5), -1.5, 0.4, log=True)  # a loss falling past its range, in decades:
    assert falling == pytest.approx((-1.5 - 1.9, 0.4 + 0.15 * 1.9))  # as far again below as it spans
    assert sticky_range(first, np.nan, 1.0, log=False) is first


def test_hiding_a_line_repaints_its_whole_view_also_when_zoomed(plot, qapp):
    history = History()
    fill(history, 0, 3000)
    plot.refresh(history, 100_000)
    plot.lr_plot.setXRange(500, 2500, padding=0)  # the user's range: no auto-range repaints
    settle(qapp, plot)
    with events(plot._graphics.viewport(), QEvent.Type.Paint) as painted:
        plot.series["accuracy"].line.setVisible(False)  # a click on its legend entry
        qapp.processEvents()
        qapp.processEvents()
    view = plot.metrics_plot.getViewBox()
    shown = plot._graphics.mapFromScene(view.sceneBoundingRect()).boundingRect().adjusted(2, 2, -2, -2)
    assert any(rect.contains(shown) for rect in painted)


def metrics_drawn_then_left(plot, qapp):
    """500 rows drawn and settled, then 20 whose accuracy leaves the metrics view at once (not drawn yet):
    (history, the metrics view, its y range before)."""
    history = History()
    fill(history, 0, 500)
    plot.refresh(history, 100_000)
    settle(qapp, plot)
    view = plot.metrics_plot.getViewBox()
    before = view.viewRange()[1]
    for step in range(500, 520):
        history.append({"step": step, "epoch": 0, "lr": 0.001, "loss": 1.0, "accuracy": 0.9, "wall_time": step * 0.004})
    return history, view, before


def test_a_frame_that_moves_a_range_is_one_paint_axes_and_all(plot, qapp, pacer_clock):
    history, view, before = metrics_drawn_then_left(plot, qapp)
    with events(plot._graphics.viewport(), QEvent.Type.Paint) as painted:
        pacer_clock[0] += 1.0
        plot.refresh(history, 100_000)
        for _ in range(4):
            qapp.processEvents()
    assert view.viewRange()[1] != before
    axis = plot.metrics_plot.getAxis("left")
    assert len(painted) == 1  # not the views, then the axes they re-ticked in a second paint
    assert painted[0].contains(plot._graphics.mapFromScene(axis.sceneBoundingRect()).boundingRect().adjusted(1, 1, -1, -1))


def test_while_a_run_grows_the_views_move_their_ranges_at_most_twice_a_second(plot, qapp, pacer_clock):
    clock = pacer_clock
    history, view, before = metrics_drawn_then_left(plot, qapp)
    clock[0] += 0.1
    plot.refresh(history, 100_000)
    settle(qapp, plot)
    assert view.viewRange()[1] == before  # 0.1 s after the last move: it waits
    clock[0] += 0.5
    plot.refresh(history, 100_000)
    settle(qapp, plot)
    assert view.viewRange()[1][1] >= 0.9  # its frame came: every view that must move moves now


def test_once_the_run_is_over_the_views_fit_the_rows_without_headroom(plot, qapp):
    history = History()
    fill(history, 0, 3000)
    plot.refresh(history, 100_000)
    settle(qapp, plot)
    low, high = np.log10(np.nanmin(history.view("loss"))), np.log10(np.nanmax(history.view("loss")))
    live = plot.loss_view.viewRange()[1]
    plot.refresh(history, 100_000, running=False)
    settle(qapp, plot)
    done = plot.loss_view.viewRange()[1]
    assert done[0] <= low and done[1] >= high  # every row in view
    assert done[1] - done[0] < live[1] - live[0]  # and the live headroom gone
    assert done[1] - done[0] < 1.2 * (high - low)


@pytest.mark.parametrize("y", [[3.0, 9.0, 4.0, 12.0, 6.0, 6.5], [3.0, 9.0], [3.0, 3.0, 9.0, 9.0, 4.0]])
@pytest.mark.parametrize("pen", [{"width": 2}, {"width": 1, "color": (31, 119, 180, 55)},
                                 {"width": 1.2, "style": Qt.PenStyle.DotLine}])
def test_a_frames_polygon_draws_what_pyqtgraphs_path_draws(qapp, y, pen):
    """The new rows' segments are drawn as a polyline (``polygon``): the same pixels as pyqtgraph's
    path, a repeated point (a zero-length segment) included; where a point is not finite, pyqtgraph's path."""
    import pyqtgraph as pg
    from PySide6.QtGui import QPainter, QTransform

    from workbench.gui.plot_curve import polygon

    y = np.array(y)
    x = np.arange(len(y), dtype=float) * 7 + 2
    x[1] = x[0]  # a repeated step
    options = {"color": "#1f77b4", **pen}

    def drawn(draw):
        image = QImage(64, 16, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setTransform(QTransform(1.3, 0, 0, -1.1, 0.4, 15.7))  # off the pixel grid, y up as in a view
        painter.setPen(pg.mkPen(**options))
        draw(painter)
        painter.end()
        return image

    points = polygon(x, y)
    assert len(points) == len(x) and (points[len(x) - 1].x(), points[len(x) - 1].y()) == (x[-1], y[-1])
    assert drawn(lambda p: p.drawPolyline(points)) == drawn(lambda p: p.drawPath(pg.arrayToQPath(x, y, connect="finite")))
    assert drawn(lambda p: p.drawPolyline(points)) != drawn(lambda p: None)  # it drew something
    gap = y.copy()
    gap[1] = np.nan
    for broken in (gap, np.r_[y[:-1], np.inf]):  # pyqtgraph's path, with its gap
        shape = polygon(x, broken)
        assert isinstance(shape, QPainterPath)
        expected = np.where(np.isfinite(broken), broken, np.nan)
        assert drawn(lambda p: p.drawPath(shape)) == drawn(lambda p: p.drawPath(pg.arrayToQPath(x, expected, connect="finite")))
    assert polygon(x[:0], y[:0]) is None


def test_a_frames_polygon_maps_its_points_as_the_view_does(qapp):
    """log10 on a log axis (a value that is not positive a gap), then clamped near the view."""
    from workbench.gui.plot_curve import polygon

    x = np.arange(4, dtype=np.int32)
    points = polygon(x, np.array([1.0, 10.0, 1000.0, 0.01], dtype=np.float32), log=True, bounds=(-1.5, 2.5))
    assert [(p.x(), p.y()) for p in points] == [(0, 0), (1, 1), (2, 2.5), (3, -1.5)]
    gap = polygon(x, np.array([1.0, 0.0, 100.0, 10.0], dtype=np.float32), log=True)
    assert isinstance(gap, QPainterPath)  # the zero is a gap: two pieces
    moves = [(e.x, e.y) for e in map(gap.elementAt, range(gap.elementCount())) if e.isMoveTo()]
    assert moves == [(0, 0), (2, 2)]  # the line starts again after the zero
