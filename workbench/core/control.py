"""Pause, resume, step and stop, read by the training loop between batches.

Any thread may call the commands; the training thread calls ``checkpoint()``
after each batch. A paused run blocks in a condition wait and uses no CPU.
"""

from __future__ import annotations

import threading


class RunControl:
    """Thread-safe commands for one run."""

    def __init__(self, *, start_paused: bool = False):
        self._cond = threading.Condition()
        self._paused = start_paused
        self._steps_allowed = 0  # batches still allowed while paused
        self._stop = False
        self._pending_schedule: dict = {}
        self._pending_step_options: dict = {}
        self._rollback: float | None = None
        self._waiting = False

    # --- commands (any thread) ---

    def pause(self) -> None:
        with self._cond:
            self._paused = True
            self._steps_allowed = 0
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._steps_allowed = 0
            self._cond.notify_all()

    def step(self, batches: int = 1) -> None:
        """While paused, let exactly ``batches`` more batches run, then hold again."""
        with self._cond:
            self._paused = True
            self._steps_allowed += batches
            self._cond.notify_all()

    def stop(self) -> None:
        """End the run after the current batch; the partial model is kept."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def rollback(self, lr_factor: float = 0.1) -> None:
        """Go back to the last checkpoint, multiply the schedule's rates by ``lr_factor``, continue."""
        with self._cond:
            self._rollback = lr_factor
            self._paused = False
            self._steps_allowed = 0
            self._cond.notify_all()

    def take_rollback(self) -> float | None:
        """The requested LR factor, once; None when no rollback was asked for."""
        with self._cond:
            factor, self._rollback = self._rollback, None
            return factor

    def change_schedule(self, **params) -> None:
        """Queue schedule parameter changes; they apply before the next batch."""
        with self._cond:
            self._pending_schedule.update(params)

    # --- state ---

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stop_requested(self) -> bool:
        return self._stop

    @property
    def holding(self) -> bool:
        """True while the training thread is blocked waiting to continue."""
        return self._waiting

    # --- the training thread ---

    def change_step_options(self, **options) -> None:
        """Queue step-option changes (clip_norm, l2, frozen); they apply before the next batch."""
        with self._cond:
            self._pending_step_options.update(options)

    def take_schedule_changes(self) -> dict:
        with self._cond:
            changes, self._pending_schedule = self._pending_schedule, {}
            return changes

    def take_step_option_changes(self) -> dict:
        with self._cond:
            changes, self._pending_step_options = self._pending_step_options, {}
            return changes

    def checkpoint(self) -> bool:
        """Block while paused; return False when the run must stop (or roll back). Called between batches."""
        with self._cond:
            if self._must_wait():
                self._waiting = True
                try:
                    while self._must_wait():
                        self._cond.wait()
                finally:
                    self._waiting = False
            if self._stop or self._rollback is not None:
                return False
            if self._paused:
                self._steps_allowed -= 1
            return True

    def _must_wait(self) -> bool:
        return self._paused and self._steps_allowed == 0 and not self._stop and self._rollback is None
