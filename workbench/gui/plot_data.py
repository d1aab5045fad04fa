"""The plot's own copy of the history columns, grown from snapshots, with smoothing."""

from __future__ import annotations

from itertools import accumulate

import numpy as np

UNSMOOTHED = ("step", "epoch", "wall_time")  # counters and clocks: a moving average means nothing
INITIAL_CAPACITY = 1024


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


def smoothed_name(name: str) -> bool:
    """Losses and metrics are smoothed; counters, clocks and learning rates are drawn as they are."""
    return name not in UNSMOOTHED and not name.endswith("lr")


class Columns:
    """Growable float columns (capacity doubles) plus smoothed copies of the losses and metrics.

    Starts with ``names``; a column that first appears in a later snapshot (a
    plugin's ``g_loss``, say) is added then, NaN for the rows before it.
    """

    def __init__(self, names=()):
        self._size = 0
        self._capacity = INITIAL_CAPACITY
        self._data: dict[str, np.ndarray] = {}
        self._smooth: dict[str, np.ndarray] = {}
        self._weight = 0.0
        for name in names:
            self._add(name)

    @property
    def names(self) -> tuple:
        return tuple(self._data)

    def __len__(self) -> int:
        return self._size

    def __contains__(self, name: str) -> bool:
        return name in self._data

    def __getitem__(self, name: str) -> np.ndarray:
        return self._data[name][: self._size]

    def smoothed(self, name: str) -> np.ndarray:
        return self._smooth[name][: self._size]

    def clear(self) -> None:
        self._size = 0

    def extend(self, rows: dict, weight: float) -> None:
        """Append ``rows`` (a History snapshot); missing columns become NaN, new ones are added."""
        count = len(next(iter(rows.values()), ()))
        if not count:
            return
        for name in rows:
            if name not in self._data:
                self._add(name)
        self._reserve(self._size + count)
        new = slice(self._size, self._size + count)
        for name in self._data:
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

    def _add(self, name: str) -> None:
        self._data[name] = np.full(self._capacity, np.nan)
        if smoothed_name(name):
            self._smooth[name] = np.full(self._capacity, np.nan)

    def _reserve(self, size: int) -> None:
        if size <= self._capacity:
            return
        while self._capacity < size:
            self._capacity *= 2
        for store in (self._data, self._smooth):
            for name, column in store.items():
                grown = np.full(self._capacity, np.nan)
                grown[: self._size] = column[: self._size]
                store[name] = grown
