"""A classifier with an extra loss term added inside ``train_step``.

Besides cross-entropy, the step penalises over-confident predictions (a
confidence penalty: minus the entropy of the softmax, weighted by ``BETA``).
Both terms are returned, so the workbench records and plots each per step.
"""

import keras
import tensorflow as tf
from keras import layers, ops

BETA = 0.1


class ConfidencePenaltyModel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            probabilities = self(x, training=True)
            data_loss = ops.mean(keras.losses.sparse_categorical_crossentropy(y, probabilities))
            entropy = -ops.mean(ops.sum(probabilities * ops.log(probabilities + 1e-7), axis=-1))
            extra_loss = -BETA * entropy
            loss = data_loss + extra_loss
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        self.accuracy_tracker.reset_state()
        self.accuracy_tracker.update_state(y, probabilities)
        return {"loss": loss, "data_loss": data_loss, "extra_loss": extra_loss,
                "accuracy": self.accuracy_tracker.result()}

    @property
    def metrics(self):
        return [self.accuracy_tracker]


def build_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = layers.Flatten()(inputs)
    x = layers.Dense(256, activation="relu")(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return ConfidencePenaltyModel(inputs, outputs)
