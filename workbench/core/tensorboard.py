"""TensorBoard event files for a run folder, so ``tensorboard --logdir runs`` opens any run.

Rows are written in batches (at each epoch's end and when the run ends), never
per step, so the training thread pays almost nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .recorder import History

SKIP = {"step", "epoch", "wall_time"}


class TensorBoardWriter:
    """Appends a history's new rows as scalars tagged by column name (``lr``, ``loss``, …)."""

    def __init__(self, log_dir):
        import tensorflow as tf

        self._tf = tf
        self.log_dir = Path(log_dir)
        self._train = tf.summary.create_file_writer(str(self.log_dir / "train"))
        self._validation = None
        self._written = 0
        self._epochs_written = 0

    def write_new(self, history: History) -> None:
        rows = history.snapshot(self._written)
        if not rows or not len(rows.get("step", ())):
            return self._write_epochs(history)
        tf = self._tf
        with self._train.as_default():
            for name, values in rows.items():
                if name in SKIP:
                    continue
                for step, value in zip(rows["step"], values):
                    if np.isfinite(value):
                        tf.summary.scalar(name, float(value), step=int(step))
        self._written += len(rows["step"])
        self._train.flush()
        self._write_epochs(history)

    def _write_epochs(self, history: History) -> None:
        epochs = history.epochs[self._epochs_written:]
        if not epochs:
            return
        tf = self._tf
        if self._validation is None:
            self._validation = tf.summary.create_file_writer(str(self.log_dir / "validation"))
        with self._validation.as_default():
            for record in epochs:
                for name, value in record.items():
                    if name.startswith("val_"):
                        tf.summary.scalar(f"epoch_{name[4:]}", value, step=int(record["epoch"]))
        self._epochs_written += len(epochs)
        self._validation.flush()

    def close(self) -> None:
        self._train.close()
        if self._validation is not None:
            self._validation.close()
