"""Run a short training under a tf.distribute strategy and write what it recorded as JSON.

Usage: strategy_run.py STRATEGY OUT.json [--logical-cpus N]
Logical CPU devices must be configured before TensorFlow starts, hence a process of its own.
Pauses, single steps and a schedule edit happen mid-run, as from the window.
"""

import json
import sys
import threading
import time


def main():
    strategy, out = sys.argv[1], sys.argv[2]
    import tensorflow as tf

    if "--logical-cpus" in sys.argv:
        count = int(sys.argv[sys.argv.index("--logical-cpus") + 1])
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)

    from workbench.core.config import RunConfig
    from workbench.core.control import RunControl
    from workbench.core.recorder import Reporter
    from workbench.core.session import run

    class Watch(Reporter):
        history = None

        def on_start(self, history, total_steps, steps_per_epoch):
            self.history = history

    control, watch = RunControl(), Watch()
    config = RunConfig().with_overrides({"training.steps": 150, "schedule.decay_steps": 40,
                                         "schedule.decay_rate": 0.5, "training.strategy": strategy})

    def drive():
        while watch.history is None or len(watch.history) < 30:
            time.sleep(0.01)
        control.pause()
        while not control.holding:
            time.sleep(0.01)
        held = len(watch.history)
        time.sleep(0.3)
        control.step()
        while len(watch.history) < held + 1 or not control.holding:
            time.sleep(0.01)
        control.change_schedule(decay_steps=60)
        record["held"], record["after_step"] = held, len(watch.history)
        control.resume()

    record = {}
    driver = threading.Thread(target=drive)
    driver.start()
    result = run(config, control, watch)
    driver.join()
    history = result.history
    record.update({
        "replicas": int(result.model.distribute_strategy.num_replicas_in_sync),
        "step": history.column("step").tolist(), "lr": history.column("lr").tolist(),
        "events": history.events,
    })
    with open(out, "w") as f:
        json.dump(record, f)


if __name__ == "__main__":
    main()
