"""The workbench: train Keras models with a custom train step, and watch them live."""

__version__ = "0.1.0"
