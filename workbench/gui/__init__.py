"""The desktop window (Qt). Imports core, never the reverse; TensorFlow loads only when a run starts."""

from .main_window import MainWindow

__all__ = ["MainWindow"]
