"""RunControl on its own: plain threads, no Keras."""

import threading
import time

from workbench.core.control import RunControl


class FakeLoop:
    """A loop that 'trains' by counting, calling checkpoint() between batches like the real step."""

    def __init__(self, control, batches=10_000):
        self.control, self.batches, self.done = control, batches, 0
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        for _ in range(self.batches):
            if not self.control.checkpoint():
                return
            self.done += 1
            time.sleep(0.001)


def wait_until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def test_pause_holds_step_and_resume():
    control = RunControl()
    loop = FakeLoop(control)
    loop.thread.start()
    wait_until(lambda: loop.done > 5)
    control.pause()
    wait_until(lambda: control.holding)
    held = loop.done
    time.sleep(0.2)
    assert loop.done == held
    control.step()
    wait_until(lambda: loop.done == held + 1 and control.holding)
    time.sleep(0.1)
    assert loop.done == held + 1
    control.step()
    control.step()
    wait_until(lambda: loop.done == held + 3 and control.holding)
    control.resume()
    wait_until(lambda: loop.done > held + 10)
    control.stop()
    loop.thread.join(2)
    assert not loop.thread.is_alive()


def test_stop_releases_a_paused_run():
    control = RunControl(start_paused=True)
    loop = FakeLoop(control)
    loop.thread.start()
    wait_until(lambda: control.holding)
    control.stop()
    loop.thread.join(2)
    assert not loop.thread.is_alive() and loop.done == 0


def test_paused_run_uses_no_cpu():
    control = RunControl(start_paused=True)
    loop = FakeLoop(control)
    loop.thread.start()
    wait_until(lambda: control.holding)
    before = time.thread_time()
    cpu_before = time.process_time()
    time.sleep(0.3)
    # A busy-waiting thread would burn ~0.3 s of CPU here.
    assert time.process_time() - cpu_before < 0.05
    assert time.thread_time() - before < 0.05
    control.stop()
    loop.thread.join(2)


def test_schedule_changes_are_taken_once():
    control = RunControl()
    control.change_schedule(initial_lr=0.1)
    control.change_schedule(decay_steps=5)
    assert control.take_schedule_changes() == {"initial_lr": 0.1, "decay_steps": 5}
    assert control.take_schedule_changes() == {}
