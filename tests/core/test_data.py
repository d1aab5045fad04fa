"""Datasets: the offline digits and a user's own .npz, .csv and image folders."""

import os
import subprocess
import sys

import numpy as np
import pytest

from workbench.core.data import load_dataset, split
from workbench.core.errors import DataError


def test_default_digits_are_real_offline_mnist():
    data = load_dataset("digits")
    assert data.x_train.shape == (4000, 28, 28, 1) and data.x_test.shape == (1000, 28, 28, 1)
    assert data.x_train.dtype == np.float32 and 0 <= data.x_train.min() and data.x_train.max() <= 1
    assert data.num_classes == 10
    counts = np.bincount(data.y_test, minlength=10)
    assert counts.min() > 70  # every digit is represented in the held-out part


def test_npz_in_keras_layout(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "mine.npz"
    np.savez(path, x_train=rng.integers(0, 255, (50, 12, 12), dtype=np.uint8), y_train=rng.integers(0, 3, 50),
             x_test=rng.integers(0, 255, (10, 12, 12), dtype=np.uint8), y_test=rng.integers(0, 3, 10))
    data = load_dataset(str(path))
    assert data.x_train.shape == (50, 12, 12, 1) and data.x_test.shape == (10, 12, 12, 1)
    assert data.x_train.max() <= 1.0 and data.num_classes == 3


def test_csv_label_then_pixels_with_header(tmp_path):
    path = tmp_path / "digits.csv"
    rows = ["label," + ",".join(f"p{i}" for i in range(16))]
    rows += [f"{i % 4}," + ",".join(str((i * j) % 256) for j in range(16)) for i in range(20)]
    path.write_text("\n".join(rows) + "\n")
    data = load_dataset(str(path))
    assert data.x_train.shape == (20, 4, 4, 1) and data.num_classes == 4 and data.x_test is None


def test_image_folder(tmp_path):
    import tensorflow as tf

    for label in ("cat", "dog"):
        (tmp_path / label).mkdir()
        for i in range(3):
            pixels = tf.constant(np.full((8, 8, 1), 40 * i, np.uint8))
            (tmp_path / label / f"{i}.png").write_bytes(tf.io.encode_png(pixels).numpy())
    data = load_dataset(str(tmp_path), image_size=(8, 8), color_mode="grayscale")
    assert data.x_train.shape == (6, 8, 8, 1) and sorted(set(data.y_train)) == [0, 1]


@pytest.mark.parametrize("make, message", [
    (lambda p: p.with_suffix(".npz").write_bytes(b"not a zip"), "is not a readable .npz file"),
    (lambda p: np.savez(p.with_suffix(".npz"), x=np.zeros(3)), "must contain arrays x_train and y_train"),
    (lambda p: np.savez(p.with_suffix(".npz"), x_train=np.zeros((4, 5, 5)), y_train=np.array([0, 1, -1, 1])),
     "must hold labels between 0 and 65535"),
    (lambda p: np.savez(p.with_suffix(".npz"), x_train=np.zeros((4, 5, 5)), y_train=np.array([0, 1])),
     "must hold the same, non-zero number of samples"),
    (lambda p: p.with_suffix(".csv").write_text(""), "must have rows of a label"),
    (lambda p: p.with_suffix(".csv").write_text("a,b\nx,y\n"), "is not a numeric CSV"),
    (lambda p: p.with_suffix(".txt").write_text("1,2"), "must be a .npz file, a .csv file or a folder"),
])
def test_broken_datasets_give_clear_messages(tmp_path, make, message):
    base = tmp_path / "data"
    make(base)
    path = next(tmp_path.iterdir())
    with pytest.raises(DataError, match=message):
        load_dataset(str(path))


def test_missing_dataset_names_the_field(tmp_path):
    with pytest.raises(DataError, match="data.dataset: .* is neither a built-in dataset"):
        load_dataset(str(tmp_path / "nope.npz"))


def test_mnist_downloads_or_says_why_not(tmp_path):
    """The real keras download: offline it must fail with a clear message, online it returns MNIST."""
    code = ("from workbench.core.data import load_mnist\n"
            "from workbench.core.errors import DataError\n"
            "try:\n    d = load_mnist(); print('OK', d.x_train.shape)\n"
            "except DataError as e:\n    print('ERR', e)\n")
    env = {**os.environ, "KERAS_HOME": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    line = out.stdout.strip().splitlines()[-1]
    assert line in ("OK (60000, 28, 28, 1)",) or (
        line.startswith("ERR data.dataset: mnist must be downloaded once") and "digits" in line)


def test_split_holds_out_the_tail():
    x, y = np.arange(10), np.arange(10)
    (xt, yt), (xv, yv) = split(x, y, 0.2)
    assert list(xv) == [8, 9] and len(xt) == 8
    assert split(x, y, 0.0)[1] is None
