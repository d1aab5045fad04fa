"""The plot's own copy of the history columns, grown from snapshots, with smoothing."""

from __future__ import annotations

from itertools import accumulate

import numpy as np

SMOOTHED = ("loss", "accuracy")


def ema(values: np.ndarray, weight: float, start: float | None = None) -> np.ndarray:
    """Exponential moving average, TensorBoard style: ``s = weight * s + (1 - weight) * x``.

    ``weight`` 0 returns the values unchanged. A NaN (a missing or diverged
    value) keeps the previous average, so one bad batch does not blank the line.
    ``start`` continues an average computed earlier over the preceding rows.
    """
    values = np.asarray(values, dtype=float)
    if weight <= 0 or not len(values):
        return values.copy()

    def step(previous, x):
        if x != x:  # NaN
            return previous
        if previous != previous:
            return x
        return weight * previous + (1.0 - weight) * x

    first = np.nan if start is None else start
    out = list(accumulate(values.tolist(), step, initial=first))[1:]
    return np.asarray(out, dtype=float)


class Columns:
    """Growable float columns (capacity doubles) plus smoothed copies of some of them."""

    def __init__(self, names):
        self.names = tuple(names)
        self._size = 0
        self._data = {name: np.empty(1024) for name in self.names}
        self._smooth = {name: np.empty(1024) for name in SMOOTHED if name in self.names}
        self._weight = 0.0

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, name: str) -> np.ndarray:
        return self._data[name][: self._size]

    def smoothed(self, name: str) -> np.ndarray:
        return self._smooth[name][: self._size]

    def clear(self) -> None:
        self._size = 0

    def extend(self, rows: dict, weight: float) -> None:
        """Append ``rows`` (a History snapshot); missing columns become NaN."""
        count = len(next(iter(rows.values()), ()))
        if not count:
            return
        self._reserve(self._size + count)
        new = slice(self._size, self._size + count)
        for name in self.names:
            self._data[name][new] = rows.get(name, np.full(count, np.nan))
        if weight != self._weight:
            self._weight = weight
            self._size += count
            self.resmooth(weight)
            return
        for name, smooth in self._smooth.items():
            previous = smooth[self._size - 1] if self._size else None
            smooth[new] = ema(self._data[name][new], weight, previous)
        self._size += count

    def resmooth(self, weight: float) -> None:
        """Recompute every smoothed column with a new weight."""
        self._weight = weight
        for name, smooth in self._smooth.items():
            smooth[: self._size] = ema(self[name], weight)

    def _reserve(self, size: int) -> None:
        capacity = len(next(iter(self._data.values())))
        if size <= capacity:
            return
        while capacity < size:
            capacity *= 2
        for store in (self._data, self._smooth):
            for name, column in store.items():
                grown = np.empty(capacity)
                grown[: self._size] = column[: self._size]
                store[name] = grown
