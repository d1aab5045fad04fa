"""The workbench: train Keras models with a custom train step, and watch them live.

``import workbench`` is enough for ``keras.models.load_model`` to read the
models and schedules it saves: their classes are registered with Keras as soon
as Keras is imported (or at once, if it already is), without importing
TensorFlow here, so the window still starts fast.
"""

import sys

__version__ = "0.1.0"


def _register_keras_classes():
    from .core import model, schedules  # noqa: F401  (their decorators register the classes)


class _AfterKerasLoads:
    """On ``sys.meta_path`` until Keras is imported; then registers our classes once Keras has run.

    A few lines of our own rather than a post-import-hook library: that one
    imported asyncio, a tenth of a second of the window's start-up.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "keras":
            return None
        sys.meta_path.remove(self)  # before looking Keras up ourselves: no second turn through here
        from importlib.util import find_spec

        spec = find_spec(name)
        if spec is not None and spec.loader is not None:
            run_module = spec.loader.exec_module

            def run_then_register(module):
                run_module(module)
                _register_keras_classes()

            spec.loader.exec_module = run_then_register
        return spec


if "keras" in sys.modules:
    _register_keras_classes()
elif not any(isinstance(hook, _AfterKerasLoads) for hook in sys.meta_path):
    sys.meta_path.insert(0, _AfterKerasLoads())
