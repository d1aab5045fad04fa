"""The workbench: train Keras models with a custom train step, and watch them live.

``import workbench`` is enough for ``keras.models.load_model`` to read the
models and schedules it saves: their classes are registered with Keras as soon
as Keras is imported (or at once, if it already is), without importing
TensorFlow here, so the window still starts fast.
"""

__version__ = "0.1.0"


def _register_keras_classes(_keras_module=None):
    from .core import model, schedules  # noqa: F401  (their decorators register the classes)


def _register_when_keras_loads():
    import wrapt

    wrapt.register_post_import_hook(_register_keras_classes, "keras")


_register_when_keras_loads()
