"""How the main window is laid out: the plot in the middle, settings docked left, log below, menus.

Functions, not a base class: each takes the window and sets the attributes the
window's handlers use (``window.plot``, ``window.docks``, ``window.menus``…).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QScrollArea, QToolBar, QVBoxLayout, QWidget

from .messages import ErrorBanner, MessageLog, OfferBanner
from .panels import DataPanel, ModelPanel, TrainingPanel
from .sample_grid import SampleGrid
from .schedule_form import ScheduleForm

# The placeholder's narrowest: a little under the plot's own (its control row, 473 px here), so the
# window's minimum width stays the plot's and a narrow window hardly moves when the plot comes.
PLACEHOLDER_MIN_WIDTH = 460


class PlotPlaceholder(QLabel):
    """Where the plot will be, until it is built; says once that it has been painted."""

    firstPainted = Signal()

    def __init__(self, text: str = "Loading the plot…"):
        super().__init__(text, objectName="plotPlaceholder")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setProperty("role", "hint")
        self.setMinimumWidth(PLACEHOLDER_MIN_WIDTH)
        self._painted = False

    def paintEvent(self, event):
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.firstPainted.emit()


def build_central(window) -> None:
    """Banners over the plot's place; ``place_plot`` puts the plot there once it is built."""
    window.banner = ErrorBanner()
    window.offers = OfferBanner()
    window.plot = None
    window.plot_placeholder = PlotPlaceholder()
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(window.banner)
    layout.addWidget(window.offers)
    layout.addWidget(window.plot_placeholder, 1)
    window.setCentralWidget(central)


def place_plot(window, plot: QWidget) -> None:
    """The built plot takes the placeholder's place."""
    window.centralWidget().layout().replaceWidget(window.plot_placeholder, plot)
    window.plot_placeholder.hide()
    window.plot_placeholder.deleteLater()
    window.plot_placeholder = None
    window.plot = plot
    plot.show()  # now, not a turn of the event loop later


def build_docks(window) -> None:
    window.data_panel = DataPanel()
    window.model_panel = ModelPanel()
    window.training_panel = TrainingPanel(window.commands)
    window.schedule_form = ScheduleForm(preview=False)  # the window adds it with the plot
    window.log = MessageLog()
    window.samples = SampleGrid()
    left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
    # Settings in one column on the left; the log only under the plot.
    window.setCorner(Qt.Corner.BottomLeftCorner, left)
    window.docks = {
        "data": _dock(window, "Data", window.data_panel, left),
        "model": _dock(window, "Model", _scrolling(window.model_panel), left),
        "training": _dock(window, "Training", window.training_panel, left),
        "schedule": _dock(window, "Schedule", window.schedule_form, left),
        "log": _dock(window, "Log", window.log, Qt.DockWidgetArea.BottomDockWidgetArea),
        "samples": _dock(window, "Samples", window.samples, right),
    }
    # Data and Model share a tabbed slot, so the column fits a 768-pixel-high screen.
    window.tabifyDockWidget(window.docks["data"], window.docks["model"])
    window.docks["data"].raise_()
    window.docks["samples"].hide()  # shown when a model that generates images trains
    column = [window.docks[k] for k in ("data", "training", "schedule")]
    window.resizeDocks(column, [130, 180, 560], Qt.Orientation.Vertical)
    window.resizeDocks([window.docks["data"]], [380], Qt.Orientation.Horizontal)
    window.resizeDocks([window.docks["log"]], [120], Qt.Orientation.Vertical)
    window.resizeDocks([window.docks["samples"]], [260], Qt.Orientation.Horizontal)


def _scrolling(widget: QWidget) -> QScrollArea:
    """A tall panel in a scroll area, so the docked column still fits a 768-pixel-high screen."""
    area = QScrollArea(objectName=f"{widget.objectName() or 'panel'}Scroll")
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


def _dock(window, title: str, widget: QWidget, area) -> QDockWidget:
    dock = QDockWidget(title, window, objectName=f"{title.lower()}Dock")
    dock.setWidget(widget)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    window.addDockWidget(area, dock)
    return dock


def build_menus(window) -> None:
    """File, Run, Model, View, Help; ``window.menus`` maps their names to the QMenus."""
    a, bar = window.commands, window.menuBar()
    # The plot's Log LR box is linked to this action once the plot is built.
    window.log_lr_action = QAction("&Log LR axis", window, checkable=True, checked=True, enabled=False)
    docks = [dock.toggleViewAction() for dock in window.docks.values()]
    layout = {
        "file": ("&File", [a["open"], a["save"], None, a["export_model"], a["export_plot"], a["export_history"],
                           None, a["compare"], None, a["quit"]]),
        "run": ("&Run", [a["start"], a["pause"], a["step"], a["stop"], None, a["resume_run"], a["find_lr"]]),
        "model": ("&Model", []),  # filled by PluginActions (it owns the Recent submenu)
        "view": ("&View", docks + [None, window.log_lr_action, a["reset_zoom"]]),
        "help": ("&Help", [a["shortcuts"], a["about"]]),
    }
    window.menus = {}
    for key, (title, actions) in layout.items():
        menu = window.menus[key] = bar.addMenu(title)
        for action in actions:
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)


def build_toolbar(window) -> None:
    toolbar = QToolBar("Run", window, objectName="runToolBar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for key in ("start", "pause", "step", "stop", None, "open", "save"):
        if key is None:
            toolbar.addSeparator()
        else:
            toolbar.addAction(window.commands[key])
    window.addToolBar(toolbar)
