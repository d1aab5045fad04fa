"""The custom-train-step model (Keras 3) and the built-in architectures."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from .errors import ConfigError


@keras.saving.register_keras_serializable(package="workbench")
class CustomStepModel(keras.Model):
    """A classifier whose ``train_step`` is written out, as users write theirs.

    Each step records what the history needs: ``step`` (the optimizer's
    iteration count before this update), ``lr`` (the rate this update used,
    read from the optimizer's schedule), this batch's loss and metrics, and
    the gradients' global norm. The step options (gradient clipping, an L2
    penalty, frozen layers) live in variables, so changing them mid-run,
    also while paused, takes effect at the next batch without retracing.
    """

    def __init__(self, *args, top3_accuracy: bool = False, step_log_rows: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.top3_accuracy = top3_accuracy
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_metric = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        self.extra_metrics = [keras.metrics.SparseTopKCategoricalAccuracy(3, name="top3_accuracy")] \
            if top3_accuracy else []
        self.clip_norm = keras.Variable(0.0, trainable=False, name="clip_norm")
        self.l2_weight = keras.Variable(0.0, trainable=False, name="l2_weight")
        # One flag per trainable variable: 1.0 zeroes its gradient. Momentum would still move it,
        # so between batches enforce_frozen() puts frozen layers back (outside the step, which
        # keeps the step free of cross-replica writes under tf.distribute).
        self.frozen_flags = [keras.Variable(0.0, trainable=False, name=f"frozen_{i}")
                             for i, _ in enumerate(self.trainable_weights)]
        self._frozen_values: dict[str, list] = {}
        # Which optional parts the traced step contains ("clip", "l2", "frozen"): an option that is
        # off costs nothing per step. Turning one on or off traces the step again (once, ~1 s); its
        # value lives in a variable, so changing it while on needs no trace.
        self.step_features: frozenset = frozenset()
        self.log_names = ["step", "lr", "loss", "accuracy", *(m.name for m in self.extra_metrics),
                          "grad_norm", "l2_penalty"]
        self.step_log = None  # fast mode: one row per step of a multi-step execution
        if step_log_rows:  # a saved fast-mode model: its variables, so that its weights load
            self.enable_step_log(step_log_rows)

    def enable_step_log(self, steps_per_execution: int) -> None:
        """Fast mode: keep every step's logs in a (k, names) buffer, read once per k steps.

        Keras returns only the last step's logs from a multi-step execution; the
        buffer keeps the rest, so every step still gets its row in the history.
        """
        self.step_log = keras.Variable(np.zeros((steps_per_execution, len(self.log_names))),
                                       dtype="float64", trainable=False, name="step_log")
        # How many batches the next call takes: all k, or fewer where an epoch or the run ends. Set
        # between calls by the run's hooks; not one of the model's weights (saved, checkpointed).
        object.__setattr__(self, "execution_steps", tf.Variable(steps_per_execution, dtype=tf.int32,
                                                                trainable=False, name="execution_steps"))

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_metric, *self.extra_metrics]

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Under MultiWorkerMirroredStrategy, Keras 3 builds by averaging a sample
        # batch across workers eagerly, which fails. This model and its optimizer
        # are built before fit, and the compiled loss builds itself when first used.
        if self.built and self.optimizer is not None and self.optimizer.built:
            return
        super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def get_config(self):
        config = {**super().get_config(), "top3_accuracy": self.top3_accuracy}
        if self.step_log is not None:
            config["step_log_rows"] = int(self.step_log.shape[0])
        return config

    def make_train_function(self, force=False):
        if self.train_function is not None and not force:
            return self.train_function
        if self.steps_per_execution > 1:
            self.train_function = multi_step_train_function(self)
        else:
            self.train_function = lean_train_function(self)
        return self.train_function

    def train_step(self, data):
        x, y = data
        features = self.step_features  # a Python value: fixed in this trace
        # Read the count now: a plain conversion may read it after the update.
        step = tf.identity(self.optimizer.iterations.value)
        lr = self.optimizer.learning_rate  # the schedule evaluated at `step`
        weights = self.trainable_weights
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        penalty = ops.zeros(())
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            # Under tf.distribute, compute_loss divides by the replica count (gradients are summed).
            loss = total = self.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
            if "l2" in features:
                penalty = self.l2_weight * sum(ops.sum(ops.square(w)) for w in weights if len(w.shape) > 1)
                total = loss + penalty / replicas  # inside the tape, or the sum has no gradient
        gradients = tape.gradient(total, weights)
        if "frozen" in features:
            gradients = [g * (1.0 - flag) for g, flag in zip(gradients, self.frozen_flags)]
        # NaN in the data or a diverging rate shows here even when the loss
        # (which clips probabilities) still looks finite.
        grad_norm = ops.sqrt(sum(ops.sum(ops.square(g)) for g in gradients))
        if "clip" in features:
            clip = ops.where(grad_norm > self.clip_norm, self.clip_norm / ops.maximum(grad_norm, 1e-12), 1.0)
            gradients = [g * clip for g in gradients]
        self.optimizer.apply(gradients, weights)
        # Per-step values, not running epoch means: the history is per step.
        self.reset_metrics()
        self.loss_tracker.update_state(loss * replicas)
        for metric in self.metrics[1:]:
            metric.update_state(y, y_pred)
        logs = {"step": step, "lr": lr, **{m.name: m.result() for m in self.metrics},
                "grad_norm": grad_norm, "l2_penalty": penalty}
        if self.step_log is not None:
            row = ops.cast(step % self.step_log.shape[0], "int32")
            values = ops.stack([ops.cast(logs[name], "float64") for name in self.log_names])
            self.step_log.assign(tf.tensor_scatter_nd_update(self.step_log.value, [[row]], [values]))
        return self._for_strategy(logs)

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        self.loss_tracker.update_state(loss * replicas, sample_weight=ops.shape(y)[0])
        for metric in self.metrics[1:]:
            metric.update_state(y, y_pred)
        return self._for_strategy({m.name: m.result() for m in self.metrics})

    def _for_strategy(self, logs: dict) -> dict:
        """Under MultiWorkerMirroredStrategy Keras 3 averages logs along axis 0: give it one."""
        if isinstance(self.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return {name: ops.reshape(value, (1,)) for name, value in logs.items()}
        return logs

    # --- step options, from any thread between batches ---

    def weight_layers(self) -> list[str]:
        """Names of the layers that have trainable weights (what can be frozen)."""
        return [layer.name for layer in self.layers if layer.trainable_weights]

    def set_step_options(self, *, clip_norm=None, l2=None, frozen=None) -> None:
        """Change clipping, the L2 weight or the frozen layers; validated, applied at the next batch."""
        if frozen is not None:
            unknown = sorted(set(frozen) - set(self.weight_layers()))
            if unknown:
                raise ConfigError("step.frozen", f"names no layer with weights (layers: "
                                  f"{', '.join(self.weight_layers())})", unknown[0])
            owners = {id(w): layer.name for layer in self.layers for w in layer.trainable_weights}
            for weight, flag in zip(self.trainable_weights, self.frozen_flags):
                flag.assign(1.0 if owners.get(id(weight)) in frozen else 0.0)
            self._frozen_values = {name: self.get_layer(name).get_weights() for name in frozen}
        if clip_norm is not None:
            self.clip_norm.assign(float(clip_norm))
        if l2 is not None:
            self.l2_weight.assign(float(l2))
        features = frozenset(name for name, on in (
            ("clip", self.clip_norm.numpy() > 0), ("l2", self.l2_weight.numpy() != 0),
            ("frozen", bool(self._frozen_values))) if on)
        if features != self.step_features:
            self.step_features = features
            if self.train_function is not None:  # trace the step again with the parts now in use
                self.make_train_function(force=True)

    def enforce_frozen(self) -> None:
        """Put frozen layers back to their values when they were frozen (between batches)."""
        for name, values in self._frozen_values.items():
            self.get_layer(name).set_weights(values)


def lean_train_function(model):
    """One traced call per batch: the next batch, ``train_step`` under the model's strategy, the logs.

    What Keras' own single-step function does, less its per-batch wrapping of
    the logs in a ``tf.experimental.Optional`` that is then unwrapped by two
    more eager calls (a quarter of a millisecond a batch on two CPU cores).
    The end of the data raises OutOfRangeError, which ``fit`` takes as the
    epoch's end, as it does for its own function.
    """
    from keras.src.backend.tensorflow.trainer import reduce_per_replica

    strategy = model.distribute_strategy

    @tf.autograph.experimental.do_not_convert
    def one_step_on_iterator(iterator):
        outputs = strategy.run(model.train_step, args=(iterator.get_next(),))
        return reduce_per_replica(outputs, strategy, reduction="auto")

    return tf.function(one_step_on_iterator, reduce_retracing=True, jit_compile=model.jit_compile)


def multi_step_train_function(model: CustomStepModel):
    """Fast mode: ``model.execution_steps`` batches (at most ``steps_per_execution``) in one traced call.

    Keras' own multi-step function always asks for k batches, so an epoch whose
    length is not a multiple of k runs its last call into the next epoch's
    batches; that forced a new data pipeline at every epoch (20-150 ms each on
    two cores). This one takes exactly the batches the hooks say are left, so
    one pass of the data serves the whole run and the run ends at its step
    limit, not at the next multiple of k. Each step's row is in ``step_log``;
    the call returns the last step's, as Keras' own function does.
    """
    log, names = model.step_log, model.log_names

    @tf.autograph.experimental.do_not_convert
    def steps_on_iterator(iterator):
        def one_step(done):
            model.train_step(iterator.get_next())
            return (done + 1,)

        tf.while_loop(lambda done: done < model.execution_steps.read_value(), one_step, (tf.constant(0),))
        last = tf.cast((model.optimizer.iterations.value - 1) % log.shape[0], "int32")
        row = tf.cast(log.value[last], "float32")
        return {name: row[i] for i, name in enumerate(names)}

    return tf.function(steps_on_iterator, reduce_retracing=True)


def mlp(input_shape, num_classes: int, top3_accuracy: bool = False) -> CustomStepModel:
    """The seed's ``get_mnist_model()``: Flatten → Dense(512, relu) → Dropout(0.5) → softmax.

    Layers are named, so step options (``frozen``) name the same layers in every run.
    """
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Flatten(name="flatten")(inputs)
    x = layers.Dense(512, activation="relu", name="hidden")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="classifier")(x)
    return CustomStepModel(inputs, outputs, name="mlp", top3_accuracy=top3_accuracy)


def cnn(input_shape, num_classes: int, top3_accuracy: bool = False) -> CustomStepModel:
    """A small convnet: two conv/pool blocks, dropout, softmax."""
    if len(input_shape) != 3:
        raise ConfigError("model.name", "cnn needs image data of shape (height, width, channels)",
                          f"data of shape {tuple(input_shape)}", show_got=True)
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(16, 3, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Conv2D(32, 3, activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="classifier")(x)
    return CustomStepModel(inputs, outputs, name="cnn", top3_accuracy=top3_accuracy)


ARCHITECTURES = {"mlp": mlp, "cnn": cnn}

OPTIMIZERS = {
    "rmsprop": keras.optimizers.RMSprop,
    "adam": keras.optimizers.Adam,
    "sgd": keras.optimizers.SGD,
}


def build_model(name: str, input_shape, num_classes: int, optimizer: str, schedule,
                top3_accuracy: bool = False, steps_per_execution: int = 1) -> CustomStepModel:
    """Build and compile architecture ``name`` with ``optimizer`` driven by ``schedule``."""
    model = ARCHITECTURES[name](tuple(input_shape), num_classes, top3_accuracy)
    if steps_per_execution > 1:
        model.enable_step_log(steps_per_execution)
    model.compile(
        optimizer=OPTIMIZERS[optimizer](learning_rate=schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        steps_per_execution=steps_per_execution,
    )
    return model
