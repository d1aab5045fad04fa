"""Publication figures of a run, rendered with pyqtgraph — headless or from the window.

``render(history, kind, path, width, height, dpi)`` draws the LR-vs-loss plot
(``training``) or the metrics plot (``metrics``) into a widget of its own and
writes it through pyqtgraph's exporters: PNG at the chosen pixel size and DPI
(rendered, not a screen grab) or SVG. ``plot_data_csv`` gives the plotted data.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from .core.errors import ConfigError
from .core.files import atomic_path, atomic_write_text
from .core.recorder import History, loss_columns

KINDS = ("training", "metrics")
LR_COLOR, LOSS_COLOR, ACC_COLOR, VAL_COLOR = "#d95f02", "#1b6ac9", "#1b9e77", "#7570b3"
EVENT_COLORS = {"pause": "#888888", "schedule": "#e7298a"}


def ensure_app():
    """A QApplication, offscreen when there is no display."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    return QtWidgets.QApplication.instance() or QtWidgets.QApplication([])


def epoch_end_steps(history: History) -> dict[int, float]:
    """The step at which each epoch ended (where its validation point is drawn)."""
    steps, epochs = history.column("step"), history.column("epoch")
    return {int(e): float(steps[epochs == e].max()) for e in np.unique(epochs[epochs >= 0])}


def add_right_view(plot, label: str, **label_style):
    """A second ViewBox over ``plot``'s own, on its right axis and sharing its x: loss on its scale beside the LR.

    The right axis starts linear (``setLogMode(y=True)`` on the plot sets both
    y axes). The view follows the plot's own view as it is resized.
    """
    import pyqtgraph as pg
    import shiboken6

    view = pg.ViewBox()
    plot.showAxis("right")
    plot.scene().addItem(view)
    right = plot.getAxis("right")
    right.linkToView(view)
    right.setLogMode(False, False)
    right.setLabel(label, **label_style)
    view.setXLink(plot)

    def follow():
        # While a window is torn down the scene may have deleted either view already,
        # and an exception raised inside a Qt virtual crashes shiboken 6.12.
        if shiboken6.isValid(view) and shiboken6.isValid(plot.vb):
            view.setGeometry(plot.vb.sceneBoundingRect())
            view.linkedViewChanged(plot.vb, view.XAxis)

    plot.vb.sigResized.connect(follow)
    follow()
    return view


def _training_plot(layout, history: History, events, title: str):
    import pyqtgraph as pg

    plot = _styled_plot(layout, title)
    plot.setLabel("left", "learning rate", color=LR_COLOR)
    plot.setLogMode(y=True)
    steps, lr = history.column("step"), history.column("lr")
    losses = {name: history.column(name) for name in loss_columns(history.columns)}
    lr_curve = plot.plot(np.append(steps, steps[-1] + 1) if len(steps) else steps, lr,
                         stepMode="center", pen=pg.mkPen(LR_COLOR, width=2), name="learning rate")
    loss_box = add_right_view(plot, "loss", color=LOSS_COLOR)
    _style_axis(plot.getAxis("right"))
    loss_curves = {}  # every loss the step reports: a GAN's d_loss and g_loss each get a line
    for i, (name, loss) in enumerate(losses.items()):
        color = LOSS_COLOR if i == 0 else RUN_COLORS[(i + 2) % len(RUN_COLORS)]
        loss_curves[name] = pg.PlotDataItem(steps, loss, pen=pg.mkPen(color, width=1.5), name=name)
        loss_box.addItem(loss_curves[name])
    finite = np.concatenate([v[np.isfinite(v)] for v in losses.values()]) if losses else np.zeros(0)
    if finite.size:
        loss_box.setYRange(min(0.0, float(finite.min())), float(finite.max()) * 1.05, padding=0)
    legend = plot.addLegend(offset=(-10, 10), labelTextColor="#333333")
    legend.addItem(lr_curve, "learning rate")
    for name, curve in loss_curves.items():
        legend.addItem(curve, name)
    _event_lines(plot, events)
    return plot


def _style_axis(axis):
    axis.setPen("#333333")
    axis.setTextPen("#333333")
    axis.enableAutoSIPrefix(False)


def _styled_plot(layout, title: str):
    """A plot with dark text on white, for print."""
    plot = layout.addPlot()
    plot.setTitle(title, color="#222222", size="12pt")
    plot.setLabel("bottom", "step")
    plot.showGrid(x=True, y=True, alpha=0.2)
    for name in ("left", "bottom"):
        _style_axis(plot.getAxis(name))
    return plot


def _event_lines(plot, events):
    import pyqtgraph as pg

    for event in events or ():
        kind = "schedule" if event["kind"].startswith("schedule") else "pause"
        if event["kind"] in ("pause", "schedule"):
            plot.addItem(pg.InfiniteLine(event["step"], angle=90,
                                         pen=pg.mkPen(EVENT_COLORS[kind], style=pg.QtCore.Qt.PenStyle.DashLine)))


def _metrics_plot(layout, history: History, epochs, title: str):
    import pyqtgraph as pg

    plot = _styled_plot(layout, title)
    plot.setLabel("left", "accuracy")
    plot.addLegend(offset=(-10, -10), labelTextColor="#333333")
    if "accuracy" in history.columns:
        plot.plot(history.column("step"), history.column("accuracy"),
                  pen=pg.mkPen(ACC_COLOR, width=1), name="accuracy (batch)")
    ends = epoch_end_steps(history)
    points = [(ends[int(r["epoch"])], r["val_accuracy"]) for r in epochs or ()
              if "val_accuracy" in r and int(r["epoch"]) in ends]
    if points:
        x, y = np.array(points).T
        plot.plot(x, y, pen=pg.mkPen(VAL_COLOR, width=2), symbol="o", symbolSize=6,
                  symbolBrush=VAL_COLOR, name="validation accuracy")
    plot.setYRange(0, 1.02, padding=0)
    return plot


def _new_figure():
    """A white ``GraphicsLayoutWidget`` laid out like a shown window, never drawn on screen."""
    import pyqtgraph as pg

    ensure_app()
    pg.setConfigOptions(antialias=True)  # figures for print; the same output whatever ran before
    widget = pg.GraphicsLayoutWidget()
    widget.setBackground("w")
    widget.setAttribute(pg.QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen)
    return widget


def _check_suffix(path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise ConfigError("to", "must end in .png or .svg", str(path))
    return path


def _save(widget, path: Path, width: int, height: int, dpi: int = 96) -> Path:
    """Lay ``widget`` out at the logical size for ``dpi`` and write it as PNG or SVG, atomically."""
    from PySide6 import QtWidgets

    # Text and lines keep their proportions at any DPI; the logical size never
    # drops below what the layout needs.
    scale = min(dpi / 96.0, width / 480, height / 300)
    widget.resize(round(width / scale), round(height / scale))
    widget.show()
    QtWidgets.QApplication.processEvents()
    try:
        with atomic_path(path) as tmp:
            if path.suffix.lower() == ".png":
                _write_png(widget, tmp, width, height, dpi)
            else:
                _write_svg(widget, tmp)
    finally:
        widget.close()
    return path


def build_figure(history: History, kind: str, *, events=(), epochs=(), title: str = ""):
    """A ``GraphicsLayoutWidget`` holding one figure; keep a reference while exporting."""
    if kind not in KINDS:
        raise ConfigError("plot", f"must be one of {', '.join(KINDS)}", kind)
    if not len(history):
        raise ConfigError("history", "has no steps to plot", show_got=False)
    widget = _new_figure()
    if kind == "training":
        _training_plot(widget, history, events, title)
    else:
        _metrics_plot(widget, history, epochs, title)
    return widget


def render(history: History, kind: str, path, *, width: int = 1200, height: int = 700, dpi: int = 96,
           events=(), epochs=(), title: str = "") -> Path:
    """Write figure ``kind`` to ``path`` (.png or .svg) atomically."""
    path = _check_suffix(path)
    for name, value, low, high in (("width", width, 100, 10000), ("height", height, 100, 10000),
                                   ("dpi", dpi, 36, 1200)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(name, f"must be an integer from {low} to {high}", value)
    widget = build_figure(history, kind, events=events, epochs=epochs, title=title)
    return _save(widget, path, width, height, dpi)


def _write_png(widget, tmp: Path, width: int, height: int, dpi: int):
    from PySide6 import QtCore, QtGui

    image = QtGui.QImage(width, height, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor("white"))
    # Qt's high-DPI path: the painter works in the widget's logical pixels.
    image.setDevicePixelRatio(width / widget.width())
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)
    logical = QtCore.QRectF(0, 0, widget.width(), widget.height())
    widget.scene().render(painter, logical, logical)
    painter.end()
    # Only now: point-sized fonts and QPictures would grow with a higher DPI.
    dots_per_metre = round(dpi / 0.0254)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    if not image.save(str(tmp), "PNG"):
        raise OSError(f"could not encode PNG to {tmp}")


def _write_svg(widget, tmp: Path):
    import importlib

    from pyqtgraph.exporters import SVGExporter

    # pyqtgraph 0.14's SVG exporter chokes on the closing "Z" that Qt 6 writes
    # at the end of closed paths (pyqtgraph#3485). Drop that token while it
    # rewrites coordinates: a filled or already-closed outline looks the same.
    module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    original = module.correctCoordinates

    def tolerant(node, defs, item, options):
        for path in node.getElementsByTagName("path"):
            tokens = [t for t in path.getAttribute("d").split() if t not in ("Z", "z")]
            path.setAttribute("d", " ".join(tokens))
        return original(node, defs, item, options)

    module.correctCoordinates = tolerant
    try:
        SVGExporter(widget.scene()).export(str(tmp))
    finally:
        module.correctCoordinates = original


RUN_COLORS = ("#1b6ac9", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")


def comparison_figure(folders, *, visible=None):
    """LR (left, log) and loss (right) of several runs on one plot, a colour per run."""
    import pyqtgraph as pg

    from .core.runs import schedule_label

    widget = _new_figure()
    plot = _styled_plot(widget, "Run comparison: learning rate (dashed) and loss (solid)")
    plot.setLabel("left", "learning rate")
    plot.setLogMode(y=True)
    loss_box = add_right_view(plot, "loss")
    _style_axis(plot.getAxis("right"))
    legend = plot.addLegend(offset=(-10, 10), labelTextColor="#333333")
    pen_style = pg.QtCore.Qt.PenStyle
    styles = (pen_style.SolidLine, pen_style.DotLine, pen_style.DashDotLine)
    for i, folder in enumerate(folders):
        if visible is not None and not visible[i]:
            continue
        color = RUN_COLORS[i % len(RUN_COLORS)]
        steps = folder.history.column("step")
        plot.plot(steps, folder.history.column("lr"), pen=pg.mkPen(color, width=2, style=pg.QtCore.Qt.PenStyle.DashLine))
        for j, name in enumerate(loss_columns(folder.history.columns)):  # solid, then dotted, dash-dotted
            loss = pg.PlotDataItem(steps, folder.history.column(name), pen=pg.mkPen(color, width=1.5,
                                                                                   style=styles[j % len(styles)]))
            loss_box.addItem(loss)
            label = folder.path.name if name == "loss" else f"{folder.path.name} {name}"
            legend.addItem(loss, f"{label}: {schedule_label(folder.config)}")
    return widget


def render_comparison(folders, path, *, width: int = 1200, height: int = 700) -> Path:
    path = _check_suffix(path)
    return _save(comparison_figure(folders), path, width, height)


def render_lr_finder(result, path, *, width: int = 900, height: int = 550) -> Path:
    """Loss against learning rate on a log axis, with the suggestion marked."""
    import pyqtgraph as pg

    path = _check_suffix(path)
    widget = _new_figure()
    plot = _styled_plot(widget, f"LR range finder: suggested {result.suggestion:.3g}")
    plot.setLabel("bottom", "learning rate")
    plot.setLabel("left", "loss")
    plot.setLogMode(x=True)
    plot.addLegend(offset=(10, 10), labelTextColor="#333333")
    plot.plot(result.lrs, result.losses, pen=pg.mkPen("#9ecae1", width=1), name="loss")
    plot.plot(result.lrs, result.smoothed, pen=pg.mkPen(LOSS_COLOR, width=2), name="smoothed")
    plot.addItem(pg.InfiniteLine(np.log10(result.suggestion), angle=90,
                                 pen=pg.mkPen(LR_COLOR, width=2, style=pg.QtCore.Qt.PenStyle.DashLine)))
    finite = result.smoothed[np.isfinite(result.smoothed)]
    raw = result.losses[np.isfinite(result.losses)]
    if finite.size:  # the interesting part: up to well above the starting loss
        plot.setYRange(min(float(finite.min()), float(raw.min())) * 0.9, float(finite[0]) * 1.6, padding=0)
    return _save(widget, path, width, height)


def plot_data_csv(history: History, epochs=()) -> str:
    """The plotted series: per step lr, loss, accuracy; validation at each epoch's last step."""
    ends = epoch_end_steps(history)
    val = {ends[int(r["epoch"])]: r for r in epochs or () if int(r["epoch"]) in ends}
    val_names = sorted({k for r in val.values() for k in r if k.startswith("val_")})
    names = ["step", "lr", *loss_columns(history.columns)] + [c for c in ("accuracy",) if c in history.columns]
    data = {n: history.column(n) for n in names}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names + val_names)
    for i in range(len(history)):
        step = float(data["step"][i])
        extra = [repr(val[step][n]) if step in val and n in val[step] else "" for n in val_names]
        writer.writerow([int(step)] + [repr(float(data[n][i])) for n in names[1:]] + extra)
    return out.getvalue()


def save_plot_data_csv(history: History, path, epochs=()) -> Path:
    atomic_write_text(Path(path), plot_data_csv(history, epochs))
    return Path(path)
