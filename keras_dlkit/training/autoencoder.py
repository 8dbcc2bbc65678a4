"""The autoencoder trainer: an encoder and a decoder trained by plain ``fit()``.

The loss is written once in ``keras.ops`` in :meth:`Autoencoder.compute_loss`,
which Keras's own ``train_step`` calls on every backend (tensorflow, jax,
torch): no backend-specific code is needed for a single optimizer and a
single forward pass (DESIGN section 9).
"""

from __future__ import annotations

import copy
from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.layers.kl_sparsity import KLSparsityRegularization
from keras_dlkit.training._compile_config import CompileConfigMixin
from keras_dlkit.utils import keras_compat
from keras_dlkit.utils.validation import check_choice, check_network, shapes_match

LOSSES = ("mse", "mae", "binary_crossentropy")

_SEED_KEY = "seed_state"


def _has_regularization(*models: keras.Model) -> bool:
    for model in models:
        if model.losses:  # weight regularizers
            return True
        for layer in keras_compat.flatten_layers(model, include_self=False):
            if getattr(layer, "activity_regularizer", None) is not None:
                return True
            if isinstance(layer, KLSparsityRegularization):
                return True
    return False


def _float32(x: Any) -> Any:
    return ops.cast(x, "float32")


def _weighted_mean(values: Any, sample_weight: Any) -> Any:
    """Mean of per-sample ``values``, weighted like Keras's losses."""
    if sample_weight is None:
        return ops.mean(values)
    weight = ops.reshape(_float32(sample_weight), (-1,))
    return ops.mean(values * weight)


def _reconstruction_target(x: Any, y: Any, y_pred: Any) -> Any:
    """The target of a reconstruction: ``y`` if given, else the input ``x``."""
    target = x if y is None else y
    if isinstance(target, (list, tuple, dict)):
        raise ValueError(
            "An autoencoder reconstructs one tensor; got a "
            f"{type(target).__name__} of inputs or targets."
        )
    target = ops.convert_to_tensor(target)
    if not shapes_match(tuple(target.shape), tuple(y_pred.shape)):
        raise ValueError(
            f"The reconstruction target has shape {tuple(target.shape)} but the "
            f"decoder outputs {tuple(y_pred.shape)}: fit(x) reconstructs x, "
            "fit(x, y) reconstructs y (labels are not targets: drop them)."
        )
    return _float32(target)


@keras_dlkit_export("keras_dlkit.training.Autoencoder")
class Autoencoder(CompileConfigMixin, keras.Model):
    """An encoder and a decoder trained to reconstruct their input by ``fit()``.

    ``autoencoder(x)`` is ``decoder(encoder(x))``. ``fit(x)`` reconstructs
    ``x``; ``fit(x, y)`` reconstructs ``y`` from ``x`` (e.g. clean images
    from noisy ones). Corruption layers inside the encoder (``Dropout``,
    ``GaussianNoise``) are active in training only, which makes a denoising
    autoencoder out of plain ``fit(x)``.

    The loss is the reconstruction loss (mean over every element of a
    sample, then over the batch) plus every loss the networks add
    (``kernel_regularizer``, ``activity_regularizer``, ``add_loss``, such as
    :class:`keras_dlkit.layers.KLSparsityRegularization`). The logs hold
    ``loss``, ``reconstruction_loss`` and, when the networks have a
    regularizer (detected at construction: weight or activity regularizers,
    ``KLSparsityRegularization``), ``regularization_loss``.

    The encoder and the decoder stay plain Keras models: save, load and call
    them on their own. The trainer serializes too (``get_config`` holds both
    networks; a ``.keras`` file also holds the compile arguments, the
    optimizer state and the seed states of random layers).

    Args:
        encoder: A functional or Sequential ``keras.Model`` with one input
            and one output (the code).
        decoder: A functional or Sequential ``keras.Model`` mapping the code
            back to the encoder's input shape.
        **kwargs: Passed to ``keras.Model`` (for example ``name``).

    Raises:
        ValueError: If a network is not a single-input, single-output
            functional model, if the decoder's input shape differs from the
            encoder's output shape, or the decoder's output shape from the
            encoder's input shape.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.training import Autoencoder
    >>> encoder = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> decoder = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)])
    >>> autoencoder = Autoencoder(encoder, decoder)
    >>> autoencoder.compile()  # Adam(1e-3), mean squared error
    >>> history = autoencoder.fit(np.ones((8, 4), "float32"), batch_size=4, verbose=0)
    >>> sorted(history.history)
    ['loss', 'reconstruction_loss']
    """

    def __init__(
        self, encoder: keras.Model, decoder: keras.Model, **kwargs: Any
    ) -> None:
        encoder, decoder = self._check_networks(encoder, decoder)
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.has_regularization = _has_regularization(encoder, decoder)
        self.reconstruction_loss_tracker = keras.metrics.Mean(
            name="reconstruction_loss"
        )
        self.regularization_loss_tracker = keras.metrics.Mean(
            name="regularization_loss"
        )
        self.reconstruction_loss = None
        self.built = True

    @classmethod
    def _check_networks(cls, encoder: Any, decoder: Any) -> tuple[Any, Any]:
        encoder = check_network("encoder", encoder)
        decoder = check_network("decoder", decoder)
        if encoder is decoder:
            raise ValueError("`encoder` and `decoder` must be two different models.")
        code = tuple(encoder.outputs[0].shape)[1:]
        cls._check_decoder(encoder, decoder, code)
        return encoder, decoder

    @staticmethod
    def _check_decoder(encoder: Any, decoder: Any, code: tuple) -> None:
        decoder_input = tuple(decoder.inputs[0].shape)[1:]
        if not shapes_match(code, decoder_input):
            raise ValueError(
                f"The decoder's input shape {(None, *decoder_input)} must match "
                f"the encoder's code shape {(None, *code)}."
            )
        data = tuple(encoder.inputs[0].shape)[1:]
        produced = tuple(decoder.outputs[0].shape)[1:]
        if not shapes_match(produced, data):
            raise ValueError(
                f"The decoder's output shape {(None, *produced)} must match the "
                f"encoder's input shape {(None, *data)}: an autoencoder "
                "reconstructs its input."
            )

    # -- configuration --------------------------------------------------------

    def compile(
        self,
        optimizer: keras.optimizers.Optimizer | str | None = None,
        loss: str = "mse",
        run_eagerly: bool = False,
        jit_compile: bool | str = "auto",
        steps_per_execution: int = 1,
    ) -> None:
        """Choose the optimizer and the reconstruction loss.

        Args:
            optimizer: An optimizer or its name. Default: ``Adam(1e-3)``.
            loss: ``"mse"`` (default: any real-valued data, and the measure
                the mean-image baseline is judged by), ``"mae"``, or
                ``"binary_crossentropy"`` (targets in ``[0, 1]`` and a
                decoder ending in a sigmoid).
            run_eagerly: As in ``keras.Model.compile``.
            jit_compile: As in ``keras.Model.compile``.
            steps_per_execution: As in ``keras.Model.compile``.

        Raises:
            ValueError: On an unknown ``loss`` or an argument that is not an
                optimizer.
        """
        self.reconstruction_loss = check_choice("loss", loss, LOSSES)
        self._compile_trainer(
            optimizer, run_eagerly, jit_compile, steps_per_execution, {"loss": loss}
        )

    def _compile_trainer(
        self, optimizer, run_eagerly, jit_compile, steps_per_execution, extra
    ) -> None:
        if optimizer is None:
            optimizer = keras.optimizers.Adam(learning_rate=1e-3)
        elif isinstance(optimizer, str):
            try:
                optimizer = keras.optimizers.get(optimizer)
            except ValueError:
                pass
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise ValueError(
                "`optimizer` must be a keras.optimizers.Optimizer or the name of "
                f"one, got {optimizer!r}."
            )
        super().compile(
            optimizer=optimizer,
            run_eagerly=run_eagerly,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
        )
        self._compile_args = {
            **extra,
            "run_eagerly": run_eagerly,
            "jit_compile": self.jit_compile,
            "steps_per_execution": steps_per_execution,
        }

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        """``loss``, the loss terms (and ``regularization_loss``)."""
        own = self._loss_terms()
        if self.has_regularization:
            own.append(self.regularization_loss_tracker)
        ours = {id(m) for m in self._all_loss_terms()}
        return [m for m in super().metrics if id(m) not in ours] + own

    def _loss_terms(self) -> list[keras.metrics.Metric]:
        return [self.reconstruction_loss_tracker]

    def _all_loss_terms(self) -> list[keras.metrics.Metric]:
        return self._loss_terms() + [self.regularization_loss_tracker]

    def _check_compiled(self, what: str) -> None:
        if not self.compiled or not getattr(self, "_compile_args", None):
            kind = type(self).__name__
            raise ValueError(
                f"{kind}.{what}() needs compile() first: call "
                f"{kind.lower()}.compile() (every argument has a default) "
                f"before {what}()."
            )

    def fit(self, x: Any = None, y: Any = None, **kwargs: Any) -> Any:
        """``keras.Model.fit``; ``y`` defaults to ``x`` (reconstruct the input).

        Args:
            x: Input samples (array, ``tf.data.Dataset``, ``PyDataset``).
            y: Optional targets of the same shape as the reconstruction.
            **kwargs: Other ``keras.Model.fit`` arguments.

        Returns:
            The ``History``.
        """
        self._check_compiled("fit")
        return super().fit(x, y, **kwargs)

    def evaluate(self, x: Any = None, y: Any = None, **kwargs: Any) -> Any:
        """``keras.Model.evaluate``; ``y`` defaults to ``x``.

        Args:
            x: Input samples.
            y: Optional targets.
            **kwargs: Other ``keras.Model.evaluate`` arguments.

        Returns:
            As ``keras.Model.evaluate``.
        """
        self._check_compiled("evaluate")
        return super().evaluate(x, y, **kwargs)

    # -- forward pass and loss -----------------------------------------------

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Reconstruct ``inputs``: ``decoder(encoder(inputs))``."""
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def _reconstruction_per_sample(self, target: Any, prediction: Any) -> Any:
        prediction = _float32(prediction)
        if self.reconstruction_loss == "mse":
            error = ops.square(target - prediction)
        elif self.reconstruction_loss == "mae":
            error = ops.abs(target - prediction)
        else:
            p = ops.clip(prediction, 1e-7, 1.0 - 1e-7)
            error = -(target * ops.log(p) + (1.0 - target) * ops.log(1.0 - p))
        if len(error.shape) < 2:
            return error
        return ops.mean(error, axis=tuple(range(1, len(error.shape))))

    def _regularization(self) -> Any:
        total = ops.zeros((), "float32")
        for loss in self.losses:
            total = total + _float32(loss)
        return total

    def _track(self, tracker: keras.metrics.Metric, value: Any, batch: Any) -> None:
        tracker.update_state(value, sample_weight=batch)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        """Reconstruction loss plus the networks' regularization losses.

        Args:
            x: The input batch.
            y: The target batch, or ``None`` to reconstruct ``x``.
            y_pred: The reconstruction.
            sample_weight: Optional per-sample weights.
            training: Whether in training.

        Returns:
            The float32 scalar loss.
        """
        target = _reconstruction_target(x, y, y_pred)
        batch = _float32(ops.shape(target)[0])
        reconstruction = _weighted_mean(
            self._reconstruction_per_sample(target, y_pred), sample_weight
        )
        regularization = self._regularization()
        self._track(self.reconstruction_loss_tracker, reconstruction, batch)
        if self.has_regularization:
            self._track(self.regularization_loss_tracker, regularization, batch)
        return reconstruction + regularization

    # -- serialization ----------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Both networks (serialized) and the name.

        Returns:
            A JSON-serializable dict.
        """
        return {
            "name": self.name,
            "trainable": self.trainable,
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Any:
        """Rebuild the trainer from ``get_config()``.

        Args:
            config: A dict from ``get_config``.
            custom_objects: Optional custom objects for the networks.

        Returns:
            A new, uncompiled trainer.
        """
        config = copy.deepcopy(config)
        for key in ("encoder", "decoder"):
            config[key] = keras.saving.deserialize_keras_object(
                config[key], custom_objects=custom_objects
            )
        return cls(**config)

    def _seed_states(self) -> list[Any]:
        """Seed states of the random layers (``Dropout``, sampling, ...)."""
        weights = {id(v) for v in self.weights}
        return [v for v in self.variables if id(v) not in weights]

    def save_own_variables(self, store: Any) -> None:
        """Save the seed states too, which Keras does not save.

        Args:
            store: The store ``model.save()`` writes this model's state to.
        """
        super().save_own_variables(store)
        for i, variable in enumerate(self._seed_states()):
            store[f"{_SEED_KEY}_{i}"] = variable

    def load_own_variables(self, store: Any) -> None:
        """Load what :meth:`save_own_variables` saved.

        Args:
            store: The store ``keras.saving.load_model`` reads from.
        """
        own = self._trainable_variables + self._non_trainable_variables
        for i, variable in enumerate(own):
            variable.assign(store[f"{i}"])
        for i, variable in enumerate(self._seed_states()):
            key = f"{_SEED_KEY}_{i}"
            if key in store:
                variable.assign(store[key])

    def after_compile_from_config(self) -> None:
        """Build the optimizer, so Keras can load its saved variables."""
        self.optimizer.build(self.trainable_variables)
