"""What the window remembers between sessions (QSettings): geometry, dock layout, last run config."""

from __future__ import annotations

import tomllib

from PySide6.QtCore import QSettings

from workbench.core.config import RunConfig
from workbench.core.errors import ConfigError

DEFAULT_SIZE = (1440, 900)


def restore(window, config: RunConfig | None) -> None:
    """Put back geometry and layout; show ``config``, else the last-used one, else the defaults."""
    settings = QSettings()
    geometry = settings.value("window/geometry")
    if geometry is None or not window.restoreGeometry(geometry):
        window.resize(*DEFAULT_SIZE)
    state = settings.value("window/state")
    if state is not None:
        window.restoreState(state)
    window.set_config(config or saved_config(settings.value("run/config", "")) or RunConfig())


def restore_plot(window) -> None:
    """The plot's own settings, once the window has built it."""
    smoothing = window.plot.smoothing
    smoothing.setValue(int(QSettings().value("plot/smoothing", smoothing.value())))


def save(window) -> None:
    settings = QSettings()
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/state", window.saveState())
    if window.plot is not None:  # closed before it was built: keep the smoothing last saved
        settings.setValue("plot/smoothing", window.plot.smoothing.value())
    try:
        settings.setValue("run/config", window.config().to_toml())
    except ConfigError:
        pass  # keep the last good config rather than a half-typed one
    settings.sync()


def saved_config(text) -> RunConfig | None:
    """The config saved in the settings, or None when absent or no longer valid."""
    if not text:
        return None
    try:
        return RunConfig.from_dict(tomllib.loads(str(text)))
    except (ConfigError, tomllib.TOMLDecodeError, TypeError):
        return None
