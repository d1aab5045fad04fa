"""The seed's custom train step, ported to Keras 3.

The seed trained ``get_mnist_model()`` with a ``CustomModel`` whose
``train_step`` applied a staircase learning rate
``lr = initial_lr * decay_rate ** (step // decay_steps)``. In the workbench
the schedule lives on the optimizer (so it can be edited mid-run and plotted);
the step reads it back and reports it. The port is the class plus
``build_model``; the workbench compiles it with the run's optimizer and
schedule.
"""

import keras
import tensorflow as tf
from keras import layers

loss_fn = keras.losses.SparseCategoricalCrossentropy()


class CustomModel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def train_step(self, data):
        inputs, targets = data
        lr = self.optimizer.learning_rate  # the staircase, at this step
        with tf.GradientTape() as tape:
            predictions = self(inputs, training=True)
            loss = loss_fn(targets, predictions)
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        self.loss_tracker.update_state(loss)
        self.accuracy_tracker.update_state(targets, predictions)
        return {"loss": self.loss_tracker.result(), "accuracy": self.accuracy_tracker.result(), "lr": lr}

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_tracker]


def get_mnist_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = layers.Flatten()(inputs)
    x = layers.Dense(512, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return CustomModel(inputs, outputs)


def build_model(input_shape, num_classes):
    return get_mnist_model(input_shape, num_classes)
