"""A small GAN on the digits: two models, two optimizers, one train step.

The discriminator learns to tell real digits from generated ones; the
generator learns to fool it. ``build_model`` compiles the GAN with its own
two optimizers; the workbench drives both with the run's schedule. Both
losses are returned, so both are recorded and plotted, and ``generate``
lets the window show a grid of digits while it trains.
"""

import keras
import tensorflow as tf
from keras import layers, ops

LATENT = 32


def make_generator(image_shape):
    size = 1
    for d in image_shape:
        size *= d
    return keras.Sequential([
        keras.Input(shape=(LATENT,)),
        layers.Dense(256), layers.LeakyReLU(0.2),
        layers.Dense(size, activation="sigmoid"),
        layers.Reshape(image_shape),
    ], name="generator")


def make_discriminator(image_shape):
    return keras.Sequential([
        keras.Input(shape=image_shape),
        layers.Flatten(),
        layers.Dense(256), layers.LeakyReLU(0.2),
        layers.Dense(1),
    ], name="discriminator")


class GAN(keras.Model):
    def __init__(self, generator, discriminator, seed=1337, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, data):
        real, _ = data
        # The rates this step's updates use (read before the updates advance the counts).
        d_lr, g_lr = self.d_optimizer.learning_rate, self.g_optimizer.learning_rate
        batch = ops.shape(real)[0]
        noise = keras.random.normal((batch, LATENT), seed=self.seed_generator)
        fake = self.generator(noise, training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = (self.bce(ops.ones_like(real_logits), real_logits)
                      + self.bce(ops.zeros_like(fake_logits), fake_logits))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

        noise = keras.random.normal((batch, LATENT), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(noise, training=True), training=True)
            g_loss = self.bce(ops.ones_like(fake_logits), fake_logits)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply(grads, self.generator.trainable_weights)

        self.d_loss_tracker.reset_state()
        self.g_loss_tracker.reset_state()
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result(),
                "d_lr": d_lr, "g_lr": g_lr}


def build_model(input_shape, num_classes):
    generator, discriminator = make_generator(input_shape), make_discriminator(input_shape)
    gan = GAN(generator, discriminator)
    gan.build((None, LATENT))  # its parts are built: so is it (and it saves without a warning)
    d_optimizer, g_optimizer = keras.optimizers.Adam(0.0002, beta_1=0.5), keras.optimizers.Adam(0.0002, beta_1=0.5)
    # Build now, so checkpoints hold their state from the first step.
    d_optimizer.build(discriminator.trainable_variables)
    g_optimizer.build(generator.trainable_variables)
    gan.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer)
    return gan


def generate(model, count):
    """``count`` generated digits, for the window's live grid."""
    noise = keras.random.normal((count, LATENT), seed=7)
    return keras.ops.convert_to_numpy(model.generator(noise, training=False))
