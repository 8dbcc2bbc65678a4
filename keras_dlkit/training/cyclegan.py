"""The CycleGAN trainer: two generators and two discriminators trained by ``fit()``.

The objective (Zhu et al., 2017) is written once in ``keras.ops``
(:mod:`keras_dlkit.losses.cyclegan`, :meth:`CycleGAN._generator_objective`,
:meth:`CycleGAN._discriminator_objective`), on the ``run(network, images)``
callable each backend's step supplies; the gradient bookkeeping is
:class:`~keras_dlkit.training.adversarial.AdversarialTrainer`'s (tensorflow:
``GradientTape``; jax: ``stateless_call`` and ``value_and_grad`` on
``fit()``'s state; torch: ``backward``).

Two optimizers, as in the official code: one for both generators, one for
both discriminators. (Adam is per-parameter and the two discriminators'
losses share no parameter, so one Adam on both equals one Adam each; the
same holds for the generators, whose joint loss the paper minimizes.) Both
are held by one ``keras.optimizers.MultiOptimizer`` that is the trainer's
``optimizer``, routed by variable identity, so JAX's ``fit()`` (which
threads only ``model.optimizer.variables``) carries both optimizers' slots.
"""

from __future__ import annotations

import copy
from typing import Any

import keras
import numpy as np

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.losses.cyclegan import (
    cycle_consistency_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
)
from keras_dlkit.training.adversarial import AdversarialTrainer, Update
from keras_dlkit.utils.validation import check_float, check_network, shapes_match

#: The four networks, in the order the trainer tracks them.
NETWORKS = ("generator_g", "generator_f", "discriminator_x", "discriminator_y")


def _is_array(value: Any) -> bool:
    """An in-memory array (NumPy or a backend tensor), not a dataset."""
    return (
        not isinstance(value, keras.utils.PyDataset)
        and hasattr(value, "shape")
        and hasattr(value, "dtype")
        and len(getattr(value, "shape", ())) >= 1
    )


@keras_dlkit_export("keras_dlkit.training.CycleGAN")
class CycleGAN(AdversarialTrainer):
    """Unpaired image-to-image translation (Zhu et al., 2017), trained by ``fit()``.

    ``generator_g`` (G) translates domain X to Y and ``generator_f`` (F) Y
    to X; ``discriminator_x`` (D_X) tells real X images from F's,
    ``discriminator_y`` (D_Y) real Y images from G's. Each step, on a batch
    ``x`` of X and a batch ``y`` of Y (not paired):

    1. both generators take one step on
       ``g_loss + f_loss + cycle_weight * cycle_loss
       + identity_weight * cycle_weight * identity_loss``, where
       ``g_loss = mean((D_Y(G(x)) - 1)^2)`` and
       ``f_loss = mean((D_X(F(y)) - 1)^2)`` (least squares),
       ``cycle_loss = mean|F(G(x)) - x| + mean|G(F(y)) - y|`` and
       ``identity_loss = mean|G(y) - y| + mean|F(x) - x|``;
    2. both discriminators take one step on ``dx_loss + dy_loss``, with
       ``dy_loss = (mean((D_Y(y) - 1)^2) + mean(D_Y(G(x))^2)) / 2`` on the
       translations of step 1 (made before the generators' update, as in
       the official code) and ``dx_loss`` likewise.

    The logs hold these six *unweighted* terms, averaged over the epoch
    (``identity_loss`` only when ``identity_weight > 0``). The identity
    weight is relative to the cycle weight, as in the paper and the official
    code (``lambda_identity = 0.5`` there means ``0.5 * lambda``).

    Not included: the paper's history of 50 generated images that the
    discriminators also train on (Shrivastava et al., 2017): the
    discriminators see the current batch's translations only. Nor the
    learning-rate schedule (constant for 100 epochs, then linear decay to
    zero over 100): pass optimizers with a ``LearningRateSchedule`` to
    ``compile()``.

    ``fit()`` takes two image sets of possibly different sizes,
    ``fit((x_images, y_images))`` or ``fit(x_images, y_images)``, or a
    dataset yielding ``(x_batch, y_batch)`` pairs. Images should be scaled
    to the generators' output range (``[-1, 1]`` for ``tanh``).

    The two optimizers live in ``generator_optimizer`` and
    ``discriminator_optimizer``; the trainer's ``optimizer`` is the
    ``keras.optimizers.MultiOptimizer`` holding both (its ``learning_rate``
    raises; its ``iterations`` counts steps). The four networks stay plain
    Keras models that save and load on their own; ``get_config`` holds all
    four, and a ``.keras`` file of the trainer also holds the compile
    arguments and both optimizers' states. Regularization losses of the
    networks are not added.

    Args:
        generator_g: Functional model G from X images to Y images.
        generator_f: Functional model F from Y images to X images.
        discriminator_x: Functional model from X images to raw scores (any
            shape, a PatchGAN's score map for instance).
        discriminator_y: Functional model from Y images to raw scores.
        cycle_weight: ``lambda``, the weight of the cycle loss (> 0; 10 in
            the paper).
        identity_weight: Weight of the identity loss relative to
            ``cycle_weight`` (>= 0; 0.5 in the paper's photo <-> painting
            experiments; 0 turns it off). With a positive weight X and Y
            images must have the same shape.
        **kwargs: Passed to ``keras.Model`` (for example ``name``).

    Raises:
        ValueError: If a network is not a single-input, single-output
            functional model, if two networks are the same or share
            variables, if the networks' shapes do not chain (G's output and
            F's input, F's output and G's input, each discriminator's input
            and its domain), or if a weight is out of range.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.training import CycleGAN
    >>> def net(out_channels, name):
    ...     inputs = keras.Input((4, 4, 1))
    ...     outputs = keras.layers.Conv2D(out_channels, 3, padding="same")(inputs)
    ...     return keras.Model(inputs, outputs, name=name)
    >>> trainer = CycleGAN(net(1, "g"), net(1, "f"), net(1, "dx"), net(1, "dy"))
    >>> trainer.compile()
    >>> x = np.zeros((8, 4, 4, 1), "float32")
    >>> y = np.ones((6, 4, 4, 1), "float32")  # unaligned: sizes may differ
    >>> history = trainer.fit((x, y), batch_size=4, verbose=0)
    >>> sorted(history.history)
    ['cycle_loss', 'dx_loss', 'dy_loss', 'f_loss', 'g_loss', 'identity_loss']
    >>> int(trainer.generator_optimizer.iterations)
    2
    """

    _GENERATORS = NETWORKS[:2]
    _DISCRIMINATORS = NETWORKS[2:]
    _TRAINER_NAME = "CycleGAN"
    _INSTANCE_NAME = "cyclegan"
    _OPTIMIZER_NAME = "cyclegan_optimizer"
    _EVALUATE_HINT = (
        "judge translations from generator_g and generator_f (for example with a FID)"
    )

    def __init__(
        self,
        generator_g: keras.Model,
        generator_f: keras.Model,
        discriminator_x: keras.Model,
        discriminator_y: keras.Model,
        cycle_weight: float = 10.0,
        identity_weight: float = 0.5,
        **kwargs: Any,
    ) -> None:
        networks = dict(
            zip(
                NETWORKS,
                (generator_g, generator_f, discriminator_x, discriminator_y),
                strict=True,
            )
        )
        for key, network in networks.items():
            check_network(key, network)
        self._check_distinct(networks)
        cycle_weight = check_float(
            "cycle_weight", cycle_weight, minimum=0.0, min_inclusive=False
        )
        identity_weight = check_float("identity_weight", identity_weight, minimum=0.0)
        x_shape = tuple(generator_g.inputs[0].shape)[1:]
        y_shape = tuple(generator_g.outputs[0].shape)[1:]
        checks = (
            ("generator_f", "input", generator_f.inputs, "Y", y_shape),
            ("generator_f", "output", generator_f.outputs, "X", x_shape),
            ("discriminator_x", "input", discriminator_x.inputs, "X", x_shape),
            ("discriminator_y", "input", discriminator_y.inputs, "Y", y_shape),
        )
        for key, what, tensors, domain, expected in checks:
            shape = tuple(tensors[0].shape)[1:]
            if not shapes_match(shape, expected):
                raise ValueError(
                    f"`{key}`'s {what} shape {(None, *shape)} must match domain "
                    f"{domain}'s images {(None, *expected)} (X is generator_g's "
                    "input, Y its output)."
                )
        if identity_weight > 0 and not shapes_match(x_shape, y_shape):
            raise ValueError(
                f"`identity_weight`={identity_weight} needs X and Y images of the "
                f"same shape (the identity loss feeds Y images to generator_g), "
                f"got X {(None, *x_shape)} and Y {(None, *y_shape)}; pass "
                "identity_weight=0."
            )
        super().__init__(**kwargs)
        self.generator_g = generator_g
        self.generator_f = generator_f
        self.discriminator_x = discriminator_x
        self.discriminator_y = discriminator_y
        self.cycle_weight = cycle_weight
        self.identity_weight = identity_weight
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in (
                "g_loss",
                "f_loss",
                "dx_loss",
                "dy_loss",
                "cycle_loss",
                "identity_loss",
            )
        }
        self.built = True

    @staticmethod
    def _check_distinct(networks: dict[str, keras.Model]) -> None:
        keys = list(networks)
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                if networks[a] is networks[b]:
                    raise ValueError(
                        f"`{a}` and `{b}` are the same model; CycleGAN needs four "
                        "separate networks."
                    )
                shared = {id(v) for v in networks[a].variables} & {
                    id(v) for v in networks[b].variables
                }
                if shared:
                    raise ValueError(
                        f"`{a}` and `{b}` share {len(shared)} variables; they must "
                        "be separate networks."
                    )

    # -- configuration ------------------------------------------------------------

    @property
    def generators(self) -> list[keras.Model]:
        """``[generator_g, generator_f]``."""
        return [self.generator_g, self.generator_f]

    @property
    def discriminators(self) -> list[keras.Model]:
        """``[discriminator_x, discriminator_y]``."""
        return [self.discriminator_x, self.discriminator_y]

    def compile(
        self,
        generator_optimizer: keras.optimizers.Optimizer | str | None = None,
        discriminator_optimizer: keras.optimizers.Optimizer | str | None = None,
        run_eagerly: bool = False,
        jit_compile: bool | str = "auto",
        steps_per_execution: int = 1,
    ) -> None:
        """Set the two optimizers (defaults: the paper's Adam).

        Args:
            generator_optimizer: Optimizer of both generators. Default:
                ``Adam(2e-4, beta_1=0.5)``, as in the paper.
            discriminator_optimizer: Optimizer of both discriminators; same
                default. Must be a different instance.
            run_eagerly: As in ``keras.Model.compile``.
            jit_compile: As in ``keras.Model.compile``.
            steps_per_execution: As in ``keras.Model.compile``.

        Raises:
            ValueError: If an argument is not an optimizer (a
                ``MultiOptimizer`` or ``LossScaleOptimizer`` is refused), if
                both are the same instance, or if one was already built for
                other variables.
        """
        self._compile_optimizers(
            generator_optimizer,
            discriminator_optimizer,
            default=lambda: keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5),
            compile_args={},
            run_eagerly=run_eagerly,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
        )

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        """The loss trackers (``identity_loss`` only with an identity weight)."""
        return [
            tracker
            for name, tracker in self.trackers.items()
            if name != "identity_loss" or self._uses_identity
        ]

    def call(self, inputs: Any, training: bool = False) -> Any:
        """Translate X images to Y with ``generator_g``."""
        return self.generator_g(inputs, training=training)

    def fit(
        self, x: Any = None, y: Any = None, **kwargs: Any
    ) -> keras.callbacks.History:
        """Train on two unaligned image sets; ``keras.Model.fit``'s arguments otherwise.

        Two arrays of different lengths are paired by repeating the shorter
        one (sample ``i`` of the longer set meets sample ``i mod n`` of the
        shorter; the official ``UnalignedDataset`` also runs over the larger
        set and wraps the smaller); ``shuffle`` then reorders the pairs each
        epoch, but keeps them (the losses treat the two domains separately,
        so a pairing only decides which batches meet in a step).

        Args:
            x: ``(x_images, y_images)``, the X images (with ``y`` the Y
                images), or a dataset (``tf.data``, ``PyDataset``, ...)
                yielding ``(x_batch, y_batch)``.
            y: The Y images when ``x`` holds the X images only.
            **kwargs: Other ``keras.Model.fit`` arguments, except validation.

        Returns:
            The ``History``.
        """
        self._check_fit(
            kwargs,
            "; translate held-out images with generator_g and generator_f instead",
        )
        if y is None and isinstance(x, (tuple, list)):
            if len(x) != 2:
                raise ValueError(
                    "CycleGAN.fit() takes two image sets, (x_images, y_images), "
                    f"got a {type(x).__name__} of {len(x)}."
                )
            x, y = x
        if _is_array(x) != (y is not None and _is_array(y)):
            raise ValueError(
                "CycleGAN.fit() takes two image sets, fit((x_images, y_images)) "
                "or fit(x_images, y_images), or a dataset yielding (x_batch, "
                f"y_batch); got x={type(x).__name__}, y={type(y).__name__}."
            )
        if _is_array(x) and len(x) != len(y):
            n = max(len(x), len(y))
            x = np.take(np.asarray(x), np.arange(n) % len(x), axis=0)
            y = np.take(np.asarray(y), np.arange(n) % len(y), axis=0)
        return super().fit(x, y, **kwargs)

    # -- the objective, written once ---------------------------------------------

    @property
    def _uses_identity(self) -> bool:
        return self.identity_weight > 0.0

    def _updates(self) -> list[Update]:
        """Both generators, then both discriminators on the translations made before."""
        return [
            Update("_generator_objective", self._GENERATORS, "generator_optimizer"),
            Update(
                "_discriminator_objective",
                self._DISCRIMINATORS,
                "discriminator_optimizer",
            ),
        ]

    def _unpack_batch(self, data: Any) -> tuple[Any, Any]:
        """``(x_batch, y_batch)`` of a ``fit()`` batch, as float tensors."""
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if y is None and isinstance(x, (list, tuple)) and len(x) == 2:
            x, y = x
        if (
            y is None
            or sample_weight is not None
            or any(isinstance(v, (list, tuple, dict)) for v in (x, y))
        ):
            raise ValueError(
                "CycleGAN.fit() expects batches of (x_batch, y_batch): one "
                "tensor of X images and one of Y images."
            )
        return self._floats(x), self._floats(y)

    def _generator_objective(
        self, run: Any, batch: tuple[Any, Any], carry: None
    ) -> tuple[Any, dict[str, Any], tuple[Any, Any]]:
        """Total generator loss, its terms and the translations ``(F(y), G(x))``.

        ``run(network, images)`` calls one of the four networks in training
        mode (each backend step supplies its own).
        """
        real_x, real_y = batch
        fake_y = run(self.generator_g, real_x)
        fake_x = run(self.generator_f, real_y)
        g_loss = least_squares_generator_loss(run(self.discriminator_y, fake_y))
        f_loss = least_squares_generator_loss(run(self.discriminator_x, fake_x))
        cycle = cycle_consistency_loss(
            real_x, run(self.generator_f, fake_y)
        ) + cycle_consistency_loss(real_y, run(self.generator_g, fake_x))
        total = g_loss + f_loss + self.cycle_weight * cycle
        terms = {"g_loss": g_loss, "f_loss": f_loss, "cycle_loss": cycle}
        if self._uses_identity:
            identity = cycle_consistency_loss(
                real_y, run(self.generator_g, real_y)
            ) + cycle_consistency_loss(real_x, run(self.generator_f, real_x))
            total = total + self.identity_weight * self.cycle_weight * identity
            terms["identity_loss"] = identity
        return total, terms, (fake_x, fake_y)

    def _discriminator_objective(
        self, run: Any, batch: tuple[Any, Any], carry: tuple[Any, Any]
    ) -> tuple[Any, dict[str, Any], None]:
        """Total discriminator loss and its terms, on the generators' translations."""
        (real_x, real_y), (fake_x, fake_y) = batch, carry
        dx_loss = least_squares_discriminator_loss(
            run(self.discriminator_x, real_x), run(self.discriminator_x, fake_x)
        )
        dy_loss = least_squares_discriminator_loss(
            run(self.discriminator_y, real_y), run(self.discriminator_y, fake_y)
        )
        return dx_loss + dy_loss, {"dx_loss": dx_loss, "dy_loss": dy_loss}, None

    # -- serialization ---------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """The four networks (serialized), both weights and the name.

        Returns:
            A JSON-serializable dict.
        """
        config = {"name": self.name, "trainable": self.trainable}
        for key in NETWORKS:
            config[key] = keras.saving.serialize_keras_object(getattr(self, key))
        config["cycle_weight"] = self.cycle_weight
        config["identity_weight"] = self.identity_weight
        return config

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Any = None
    ) -> CycleGAN:
        """Rebuild the trainer from ``get_config()``.

        Args:
            config: A dict from ``get_config``.
            custom_objects: Optional custom objects for the networks.

        Returns:
            A new, uncompiled ``CycleGAN``.
        """
        config = copy.deepcopy(config)
        for key in NETWORKS:
            config[key] = keras.saving.deserialize_keras_object(
                config[key], custom_objects=custom_objects
            )
        return cls(**config)
