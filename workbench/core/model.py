"""The custom-train-step model (Keras 3) and the built-in architectures."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers, ops

from .errors import ConfigError


@keras.saving.register_keras_serializable(package="workbench")
class CustomStepModel(keras.Model):
    """A classifier whose ``train_step`` is written out, as users write theirs.

    Each step records what the history needs: ``step`` (the optimizer's
    iteration count before this update), ``lr`` (the rate this update used,
    read from the optimizer's schedule), this batch's loss and metrics, and
    the gradients' global norm.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_metric = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_metric]

    def train_step(self, data):
        x, y = data
        # Read the count now: a plain conversion may read it after the update.
        step = tf.identity(self.optimizer.iterations.value)
        lr = self.optimizer.learning_rate  # the schedule evaluated at `step`
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
        gradients = tape.gradient(loss, self.trainable_weights)
        # NaN in the data or a diverging rate shows here even when the loss
        # (which clips probabilities) still looks finite.
        grad_norm = ops.sqrt(sum(ops.sum(ops.square(g)) for g in gradients))
        self.optimizer.apply(gradients, self.trainable_weights)
        # Per-step values, not running epoch means: the history is per step.
        self.reset_metrics()
        self.loss_tracker.update_state(loss)
        self.accuracy_metric.update_state(y, y_pred)
        return {"step": step, "lr": lr, **{m.name: m.result() for m in self.metrics}, "grad_norm": grad_norm}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
        self.loss_tracker.update_state(loss, sample_weight=ops.shape(y)[0])
        self.accuracy_metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def mlp(input_shape, num_classes: int) -> CustomStepModel:
    """The seed's ``get_mnist_model()``: Flatten → Dense(512, relu) → Dropout(0.5) → softmax."""
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Flatten()(inputs)
    x = layers.Dense(512, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return CustomStepModel(inputs, outputs, name="mlp")


def cnn(input_shape, num_classes: int) -> CustomStepModel:
    """A small convnet: two conv/pool blocks, dropout, softmax."""
    if len(input_shape) != 3:
        raise ConfigError("model.name", "cnn needs image data of shape (height, width, channels)",
                          f"data of shape {tuple(input_shape)}", show_got=True)
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(16, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return CustomStepModel(inputs, outputs, name="cnn")


ARCHITECTURES = {"mlp": mlp, "cnn": cnn}

OPTIMIZERS = {
    "rmsprop": keras.optimizers.RMSprop,
    "adam": keras.optimizers.Adam,
    "sgd": keras.optimizers.SGD,
}


def build_model(name: str, input_shape, num_classes: int, optimizer: str, schedule) -> CustomStepModel:
    """Build and compile architecture ``name`` with ``optimizer`` driven by ``schedule``."""
    model = ARCHITECTURES[name](tuple(input_shape), num_classes)
    model.compile(
        optimizer=OPTIMIZERS[optimizer](learning_rate=schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(),
    )
    return model
