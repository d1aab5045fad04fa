"""Per-step history in growable numpy columns, and the reporter interface.

The training thread appends one record per optimizer update; other threads
(the window's repaint timer) read snapshots or views. Appends are amortised
O(1): each column doubles its capacity when full. Columns are compact — 32-bit
step and epoch counts and float32 values (what the step computes in), float64
only for the wall clock — so a million steps of six columns take 28 MB.
"""

from __future__ import annotations

import csv
import io
import os
import threading
from pathlib import Path

import numpy as np

from .files import atomic_write_text

FIRST_COLUMNS = ("step", "epoch", "lr", "loss")
LAST_COLUMN = "wall_time"
INTEGER_COLUMNS = ("step", "epoch")
MISSING_INTEGER = -1  # an integer column's "no value" (NaN in a float column)


def loss_columns(names) -> list[str]:
    """The training losses among column names: ``loss``, or a GAN's ``d_loss`` and ``g_loss``…"""
    return [n for n in names if "loss" in n and not n.startswith("val_")]


def _dtype(name: str):
    if name in INTEGER_COLUMNS:
        return np.int32
    return np.float64 if name == LAST_COLUMN else np.float32


def _missing(name: str):
    return MISSING_INTEGER if name in INTEGER_COLUMNS else np.nan


def _empty(name: str, size: int) -> np.ndarray:
    return np.full(size, _missing(name), dtype=_dtype(name))


class History:
    """One row per optimizer update; columns are added as new log keys appear."""

    def __init__(self, capacity: int = 1024):
        self._lock = threading.Lock()
        self._capacity = capacity
        self._size = 0
        self._columns: dict[str, np.ndarray] = {}
        self.epochs: list[dict] = []  # per-epoch summaries, validation metrics included
        self.events: list[dict] = []  # {"step", "kind", "detail"}: pauses, schedule edits

    def __len__(self) -> int:
        return self._size

    @property
    def column_count(self) -> int:
        """How many columns there are (they only ever come, never go, until a new history)."""
        return len(self._columns)

    @property
    def columns(self) -> list[str]:
        """Column names in CSV order: step, epoch, lr, loss, metrics…, wall_time."""
        names = list(self._columns)
        first = [c for c in FIRST_COLUMNS if c in names]
        last = [LAST_COLUMN] if LAST_COLUMN in names else []
        return first + [c for c in names if c not in first and c not in last] + last

    def append(self, record: dict) -> None:
        with self._lock:
            if self._size == self._capacity:
                self._grow()
            for name, value in record.items():
                column = self._columns.get(name)
                if column is None:
                    column = self._columns[name] = _empty(name, self._capacity)
                if name in INTEGER_COLUMNS and value != value:  # NaN: a CSV's empty integer cell
                    value = MISSING_INTEGER
                column[self._size] = value
            for name, column in self._columns.items():
                if name not in record:
                    column[self._size] = _missing(name)
            self._size += 1

    def _grow(self) -> None:
        self._capacity *= 2
        for name, column in self._columns.items():
            grown = _empty(name, self._capacity)
            grown[: self._size] = column[: self._size]
            self._columns[name] = grown

    def truncate(self, size: int) -> None:
        """Keep the first ``size`` rows (a rollback to a checkpoint)."""
        with self._lock:
            self._size = min(self._size, size)

    def column(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """A copy of rows ``start:stop`` of one column (NaN-filled if absent)."""
        with self._lock:
            stop = self._size if stop is None else min(stop, self._size)
            column = self._columns.get(name)
            if column is None:
                return np.full(max(stop - start, 0), np.nan)
            return column[start:stop].copy()

    def view(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray | None:
        """Rows ``start:stop`` of one column without a copy (read-only); None if absent.

        Rows already appended never change until a ``truncate``, so a view is
        safe to read while training appends more; after a truncate, take new views.
        """
        with self._lock:
            column = self._columns.get(name)
            if column is None:
                return None
            stop = self._size if stop is None else min(stop, self._size)
            view = column[start:stop]
            view.flags.writeable = False
            return view

    def snapshot(self, start: int = 0) -> dict[str, np.ndarray]:
        """Copies of every column from row ``start`` to the end, taken consistently."""
        with self._lock:
            return {name: self._columns[name][start: self._size].copy() for name in self.columns}

    def last(self) -> dict:
        """The newest row as a dict of floats (empty if none)."""
        with self._lock:
            if not self._size:
                return {}
            return {name: float(col[self._size - 1]) for name, col in self._columns.items()}

    def add_epoch(self, record: dict) -> None:
        with self._lock:
            self.epochs.append(dict(record))

    def add_event(self, step: int, kind: str, detail: str = "") -> dict:
        event = {"step": int(step), "kind": kind, "detail": detail}
        with self._lock:
            self.events.append(event)
        return event

    # --- files ---

    def to_csv(self, start: int = 0, header: bool = True) -> str:
        """Rows from ``start`` as CSV text (with the header line unless ``header`` is False)."""
        data = self.snapshot(start)
        names = list(data)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if header:
            writer.writerow(names)
        integer = set(INTEGER_COLUMNS)
        for i in range(len(data[names[0]]) if names else 0):
            writer.writerow([_cell(data[n][i], n in integer) for n in names])
        return out.getvalue()

    def save_csv(self, path) -> None:
        atomic_write_text(Path(path), self.to_csv())

    def epochs_csv(self) -> str:
        names: list[str] = []
        for record in self.epochs:
            names += [k for k in record if k not in names]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows(self.epochs)
        return out.getvalue()

    @classmethod
    def from_csv(cls, path) -> "History":
        return cls.from_csv_text(Path(path).read_text(encoding="utf-8"))

    @classmethod
    def from_csv_text(cls, text: str) -> "History":
        history = cls()
        history.extend_from_csv_text(text)
        return history

    def extend_from_csv(self, path) -> None:
        self.extend_from_csv_text(Path(path).read_text(encoding="utf-8"))

    def extend_from_csv_text(self, text: str) -> None:
        """Append the rows of a history CSV; a torn last line (a crash mid-write) is skipped."""
        for row in csv.DictReader(io.StringIO(text)):
            try:
                record = {k: float(v) if v != "" else np.nan for k, v in row.items() if k is not None}
            except (TypeError, ValueError):
                break
            if None in row.values() or len(record) != len(row):
                break
            self.append(record)


def _cell(value, integer: bool) -> str:
    if integer:
        return "" if value == MISSING_INTEGER else str(int(value))
    if np.isnan(value):
        return ""
    return str(value)  # a float32's shortest round-trip text: 0.001, not 0.0010000000474974513


class CsvAppender:
    """Keeps ``history.csv`` current by appending new rows: O(new rows) per flush.

    Rows are flushed and fsynced before a checkpoint records how many there
    are, so after a crash the first ``checkpoint.step`` rows are whole. If a
    new column appears, the file is rewritten once.
    """

    def __init__(self, path, history: History):
        self.path, self.history = Path(path), history
        self._columns: list[str] | None = None
        self._written = 0

    def rewrite(self) -> None:
        """Replace the file with the whole history (atomically)."""
        atomic_write_text(self.path, self.history.to_csv())
        self._columns, self._written = self.history.columns, len(self.history)

    def flush(self) -> None:
        if self._columns != self.history.columns or self._written > len(self.history):
            return self.rewrite()
        text = self.history.to_csv(self._written, header=False)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        self._written += text.count("\n")


class Reporter:
    """Receives a run's progress. Called on the training thread: keep methods cheap.

    Subclass and override what you need; every method defaults to doing nothing.
    """

    def on_model(self, model) -> None:
        """The model was built (before training). Read its weights only while the run holds."""

    def on_start(self, history: History, total_steps: int, steps_per_epoch: int) -> None:
        """Training is about to begin; ``history`` is the object rows are appended to."""

    def on_step(self, record: dict) -> None:
        """A batch finished; ``record`` is the row just appended."""

    def on_epoch(self, record: dict) -> None:
        """An epoch finished, validation included."""

    def on_event(self, event: dict) -> None:
        """Something happened: a pause, a resume, a schedule edit."""

    def on_message(self, text: str) -> None:
        """A line for the person running it (loading data, evaluating…)."""
