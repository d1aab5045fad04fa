"""The core never imports Qt: checked on the source and on a live import."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import workbench

CORE = Path(workbench.__file__).parent / "core"
QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6", "qtpy")


def _imported_modules(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_core_source_imports_no_qt():
    offenders = [
        f"{path.relative_to(CORE.parent)} imports {name}"
        for path in sorted(CORE.rglob("*.py"))
        for name in _imported_modules(path)
        if name.split(".")[0] in QT_MODULES
    ]
    assert offenders == []


def test_importing_all_of_core_loads_no_qt():
    modules = sorted(p.stem for p in CORE.glob("*.py") if p.stem != "__init__")
    code = (f"import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module('workbench.core.' + m)\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}))")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_keras_classes_are_registered_whichever_loads_first():
    """A saved model reloads in a fresh process: ``import workbench`` registers our classes with Keras
    once Keras loads (without importing it itself), or at once if Keras is already there."""
    check = ("import sys\n"
             "{first}\n"
             "assert 'keras' not in sys.modules or {keras_first}\n"
             "{second}\n"
             "import keras\n"
             "print(all(keras.saving.get_registered_object(f'workbench>{{name}}') is not None\n"
             "          for name in ('CustomStepModel', 'StaircaseDecay')))")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for first, second in (("import workbench", "import keras"), ("import keras", "import workbench")):
        code = check.format(first=first, second=second, keras_first=first == "import keras")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip().splitlines()[-1] == "True", first
