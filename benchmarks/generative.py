"""Cost of the GAN trainer in ``fit()``: DCGAN step time against a hand-written loop.

Two ways train the same DCGAN (:func:`keras_dlkit.models.dcgan`, 28x28x1,
batch 64) on the same Fashion-MNIST images, with the same loss
(non-saturating) and optimizers (``Adam(2e-4, beta_1=0.5)`` each):

* ``trainer``: :class:`keras_dlkit.training.GAN` with plain ``fit()`` on the
  active backend;
* ``tf_loop`` (the anchor): a hand-written TensorFlow loop, one
  ``tf.function`` per step with two ``tf.GradientTape`` updates (the
  discriminator on real and generated images, then the generator), over a
  batched ``tf.data.Dataset``, compiled with XLA exactly when the trainer is.

Each round builds both afresh from the same seed and alternates their
epochs (``fit(epochs=1)`` calls, which reuse the traced step, and loop
epochs) in ABBA order (:func:`_common.abba`), so drift in machine load hits
both alike. Epoch times are measured (:class:`_common.EpochTimer` for
``fit()``, a :class:`_common.Stopwatch` around the loop for the anchor) and
the first epoch of each (tracing and compilation) is left out. The figure is
the median step time (epoch time / steps) of ``trainer`` over ``tf_loop``,
with a 95% bootstrap interval (:func:`_common.bootstrap_interval`), paired
by epoch on tensorflow. On jax or torch the anchor runs in a TensorFlow
subprocess (:func:`_common.run_child`, after the trainer's rounds), so that
ratio compares backends as well as code, and its interval resamples each
side on its own. The last line printed is the result as JSON
(:func:`_common.result_record`). Run:

    KERAS_BACKEND=tensorflow python benchmarks/generative.py --rounds 3

Target (issue 5): ratio <= 1.05 on tensorflow.
"""

import argparse
import os
import statistics

import _common
import keras

from keras_dlkit.datasets import load_fashion_mnist
from keras_dlkit.models import dcgan


def build(args):
    keras.utils.set_random_seed(0)
    return dcgan(
        image_shape=(28, 28, 1),
        latent_dim=args.latent_dim,
        generator_width=args.generator_width,
        discriminator_width=args.discriminator_width,
        seed=0,
    )


def optimizers():
    return (
        keras.optimizers.Adam(2e-4, beta_1=0.5),
        keras.optimizers.Adam(2e-4, beta_1=0.5),
    )


def make_trainer(x, args):
    """The trainer and a function that trains it one epoch, returning seconds/step."""
    gan = build(args)
    g_opt, d_opt = optimizers()
    gan.compile(generator_optimizer=g_opt, discriminator_optimizer=d_opt)
    steps = len(x) // args.batch_size

    def epoch():
        timer = _common.EpochTimer()
        gan.fit(
            x,
            batch_size=args.batch_size,
            epochs=1,
            shuffle=False,
            callbacks=[timer],
            verbose=0,
        )
        return timer.times[0] / steps

    return gan, epoch


def make_tf_loop(x, args, jit_compile):
    """A hand-written loop on the same models; a function that runs one epoch."""
    import tensorflow as tf

    gan = build(args)
    generator, discriminator = gan.generator, gan.discriminator
    g_opt, d_opt = optimizers()
    g_vars = generator.trainable_variables
    d_vars = discriminator.trainable_variables
    g_opt.build(g_vars)
    d_opt.build(d_vars)
    batch, latent = args.batch_size, args.latent_dim

    @tf.function(jit_compile=bool(jit_compile))
    def train_step(real):
        z = tf.random.normal((batch, latent))
        fake = generator(z, training=True)
        with tf.GradientTape() as tape:
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(fake, training=True)
            d_loss = tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(
                tf.nn.softplus(fake_logits)
            )
        d_opt.apply(tape.gradient(d_loss, d_vars), d_vars)
        z = tf.random.normal((batch, latent))
        with tf.GradientTape() as tape:
            fake_logits = discriminator(generator(z, training=True), training=True)
            g_loss = tf.reduce_mean(tf.nn.softplus(-fake_logits))
        g_opt.apply(tape.gradient(g_loss, g_vars), g_vars)
        return d_loss, g_loss

    dataset = tf.data.Dataset.from_tensor_slices(x).batch(batch, drop_remainder=True)
    steps = len(x) // batch

    def epoch():
        with _common.Stopwatch() as watch:
            for real in dataset:
                d_loss, _ = train_step(real)
            float(d_loss)  # wait for the last step, as fit() does at epoch end
        return watch.seconds / steps

    return epoch


def measure(run_epoch, epochs):
    # The first epoch (tracing and compilation) is left out.
    return _common.drop_warmup([run_epoch() for _ in range(epochs)])


def tf_loop_in_subprocess(args, jit_compile):
    command = _common.script_command(
        __file__,
        "--anchor-only",
        f"--jit-compile={int(bool(jit_compile))}",
        f"--rounds={args.rounds}",
        f"--epochs={args.epochs}",
        f"--batch-size={args.batch_size}",
        f"--train={args.train}",
        f"--latent-dim={args.latent_dim}",
        f"--generator-width={args.generator_width}",
        f"--discriminator-width={args.discriminator_width}",
    )
    env = dict(os.environ, KERAS_BACKEND="tensorflow")
    try:
        return _common.run_child(command, env=env)
    except (_common.ChildError, OSError) as error:
        print(f"TensorFlow anchor not measured: {error}")
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--train", type=int, default=2048)
    parser.add_argument("--latent-dim", type=int, default=100)
    parser.add_argument("--generator-width", type=int, default=64)
    parser.add_argument("--discriminator-width", type=int, default=32)
    parser.add_argument("--anchor-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--jit-compile", type=int, default=0, help=argparse.SUPPRESS)
    args = _common.parse_args(
        parser,
        quick={
            "rounds": 1,
            "epochs": 2,
            "train": 128,
            "latent_dim": 16,
            "generator_width": 8,
            "discriminator_width": 8,
        },
    )
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1, got {args.rounds}")
    if args.epochs < 2:
        parser.error(
            f"--epochs must be >= 2 (the first is left out), got {args.epochs}"
        )
    if args.train < args.batch_size:
        parser.error("--train must hold at least one batch")
    (x_train, _), _ = load_fashion_mnist()
    train = (args.train // args.batch_size) * args.batch_size
    x = x_train[:train, :, :, None].astype("float32") / 127.5 - 1.0

    if args.anchor_only:
        samples = []
        for _ in range(args.rounds):
            samples += measure(make_tf_loop(x, args, args.jit_compile), args.epochs)
        _common.reply(samples)
        return

    backend = keras.backend.backend()
    samples = {"trainer": [], "tf_loop": []}
    jit_compile = False
    for _ in range(args.rounds):
        gan, trainer_epoch = make_trainer(x, args)
        jit_compile = gan.jit_compile
        if backend != "tensorflow":
            samples["trainer"] += measure(trainer_epoch, args.epochs)
            continue
        # Epochs alternate between the two in ABBA order, so load drift hits
        # both alike; the first of each (tracing, compilation) is left out.
        epochs = {
            "trainer": trainer_epoch,
            "tf_loop": make_tf_loop(x, args, jit_compile),
        }
        for epoch in range(args.epochs):
            for name in _common.abba(list(epochs), epoch):
                seconds = epochs[name]()
                if epoch > 0:
                    samples[name].append(seconds)
    if backend != "tensorflow":
        samples["tf_loop"] = tf_loop_in_subprocess(args, jit_compile) or []
    print(
        f"backend={backend} rounds={args.rounds} epochs={args.epochs} "
        f"batch={args.batch_size} train={train} latent={args.latent_dim} "
        f"widths=G{args.generator_width}/D{args.discriminator_width} "
        f"jit_compile={jit_compile} cpus={os.cpu_count()}"
    )
    settings = {
        "rounds": args.rounds,
        "epochs": args.epochs,
        "batch": args.batch_size,
        "train": train,
        "latent": args.latent_dim,
        "widths": [args.generator_width, args.discriminator_width],
        "jit_compile": bool(jit_compile),
    }
    record = _common.result_record(
        "generative",
        samples,
        "tf_loop",
        paired=backend == "tensorflow",
        backend=backend,
        extra={"settings": settings},
    )
    loop = samples["tf_loop"]
    anchor = statistics.median(loop) if loop else None
    for name, values in samples.items():
        if not values:
            continue
        median = statistics.median(values)
        ratio = f"{median / anchor:5.3f}" if anchor else "  n/a"
        key = f"{name} vs tf_loop"
        if key in record["interval"]:
            low, high = record["interval"][key]
            ratio += f" [95%: {low:5.3f}-{high:5.3f}]"
        best = f"{min(values) / min(loop):5.3f}" if loop else "  n/a"
        label = name if backend == "tensorflow" or name == "trainer" else "tf_loop*"
        print(
            f"{label:9s} median step {1000 * median:8.3f} ms "
            f"(n={len(values)}, min {1000 * min(values):8.3f} ms)   "
            f"ratio {ratio} (of minima {best})"
        )
    if backend != "tensorflow" and anchor:
        print("* measured in a TensorFlow subprocess after the trainer's rounds")
    _common.print_result(record)


if __name__ == "__main__":
    main()
