"""StyleGAN's per-layer styles: style mixing, the tracked mean ``w``, truncation."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_float, check_int


@keras_dlkit_export("keras_dlkit.layers.StyleMixing")
class StyleMixing(keras.layers.Layer):
    """Broadcast ``w`` to every synthesis layer, with style mixing and truncation.

    Inputs ``[w, w_mix]``, two latents of shape ``(batch, w_dim)`` (the
    mapping network's outputs for two latent codes); output ``ws`` of shape
    ``(batch, num_ws, w_dim)``, one style per synthesis layer.

    In training (``training=True``):

    * the tracked average ``w_avg`` (a non-trainable weight, zeros at first)
      moves towards the batch mean of ``w``:
      ``w_avg <- beta * w_avg + (1 - beta) * mean(w)``, ``beta = w_avg_beta``;
    * style mixing (Karras et al., 2019, section 3.1): with probability
      ``style_mixing_prob`` one crossover point ``k`` is drawn uniformly from
      ``1 .. num_ws - 1`` for the batch, and layers ``k ..`` take their style
      from ``w_mix`` instead of ``w``, as in the official code. The draws come
      from the layer's ``SeedGenerator``.

    At inference ``ws`` is ``w`` on every layer, truncated with the layer's
    ``truncation_psi`` (the truncation trick, Karras et al., 2019, section
    5.1): ``w_avg + psi * (w - w_avg)`` on the first ``truncation_cutoff``
    layers (all when ``None``). ``psi=1`` leaves ``w`` unchanged, ``psi=0``
    gives ``w_avg`` for every input. :meth:`truncate` applies any ``psi``.

    Args:
        num_ws: Number of styles (synthesis layers), >= 1.
        style_mixing_prob: Probability in ``[0, 1]`` of mixing a batch.
        w_avg_beta: Decay in ``[0, 1]`` of the ``w_avg`` moving average.
        truncation_psi: ``psi`` used at inference by ``call`` (finite).
        truncation_cutoff: Number of leading styles truncated, or ``None``
            for all.
        seed: Seed of the mixing draws; ``None`` draws one from Python's
            global RNG.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:

    >>> import numpy as np, keras
    >>> from keras_dlkit.layers import StyleMixing
    >>> layer = StyleMixing(num_ws=6, style_mixing_prob=1.0, seed=0)
    >>> w, w_mix = np.zeros((2, 3), "float32"), np.ones((2, 3), "float32")
    >>> tuple(layer([w, w_mix]).shape)
    (2, 6, 3)
    >>> ws = keras.ops.convert_to_numpy(layer([w, w_mix], training=True))
    >>> mixed = ws[0, :, 0].tolist()  # zeros up to the crossover, then ones
    >>> mixed == sorted(mixed) and 0.0 in mixed and 1.0 in mixed
    True
    """

    def __init__(
        self,
        num_ws: int,
        style_mixing_prob: float = 0.9,
        w_avg_beta: float = 0.995,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_ws = check_int("num_ws", num_ws, minimum=1)
        self.style_mixing_prob = check_float(
            "style_mixing_prob", style_mixing_prob, minimum=0.0, maximum=1.0
        )
        self.w_avg_beta = check_float(
            "w_avg_beta", w_avg_beta, minimum=0.0, maximum=1.0
        )
        self.truncation_psi = check_float("truncation_psi", truncation_psi)
        if truncation_cutoff is not None:
            truncation_cutoff = check_int(
                "truncation_cutoff", truncation_cutoff, minimum=0
            )
        self.truncation_cutoff = truncation_cutoff
        if seed is not None:
            seed = check_int("seed", seed, minimum=0)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="mixing_seed")

    @staticmethod
    def _split_shapes(input_shape: Any) -> tuple[tuple, tuple]:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError(
                f"StyleMixing expects inputs [w, w_mix], got input shape {input_shape}."
            )
        w_shape, mix_shape = (tuple(s) for s in input_shape)
        if (
            len(w_shape) != 2
            or w_shape[-1] is None
            or tuple(mix_shape[1:]) != tuple(w_shape[1:])
        ):
            raise ValueError(
                "StyleMixing expects w and w_mix of the same shape (batch, w_dim), "
                f"got {w_shape} and {mix_shape}."
            )
        return w_shape, mix_shape

    def build(self, input_shape: Any) -> None:
        w_shape, _ = self._split_shapes(input_shape)
        self.w_avg = self.add_weight(
            name="w_avg", shape=(w_shape[-1],), initializer="zeros", trainable=False
        )

    def truncate(self, ws: Any, psi: float, cutoff: int | None = None) -> Any:
        """``w_avg + psi * (ws - w_avg)`` on the first ``cutoff`` styles.

        Args:
            ws: Styles of shape ``(batch, num_ws, w_dim)``.
            psi: The truncation ``psi`` (1 leaves ``ws`` unchanged).
            cutoff: Number of leading styles to truncate; ``None`` for all.

        Returns:
            The truncated styles, same shape and dtype.
        """
        ws = ops.convert_to_tensor(ws)
        average = ops.cast(self.w_avg, ws.dtype)
        truncated = average + (ws - average) * psi
        if cutoff is None or cutoff >= self.num_ws:
            return truncated
        keep = ops.arange(self.num_ws) < cutoff
        return ops.where(keep[None, :, None], truncated, ws)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        w, w_mix = inputs
        ws = ops.repeat(w[:, None, :], self.num_ws, axis=1)
        if not training:
            if self.truncation_psi != 1.0:
                ws = self.truncate(ws, self.truncation_psi, self.truncation_cutoff)
            return ws
        batch_mean = ops.stop_gradient(ops.mean(ops.cast(w, "float32"), axis=0))
        self.w_avg.assign(batch_mean + (self.w_avg - batch_mean) * self.w_avg_beta)
        if self.style_mixing_prob > 0.0 and self.num_ws > 1:
            # One draw of two uniforms: the crossover point, uniform in
            # 1 .. num_ws - 1, and whether to mix at all.
            draws = keras.random.uniform(
                (2,), dtype="float32", seed=self.seed_generator
            )
            cutoff = ops.cast(ops.floor(draws[0] * (self.num_ws - 1)), "int32") + 1
            cutoff = ops.minimum(cutoff, self.num_ws - 1)
            cutoff = ops.where(draws[1] < self.style_mixing_prob, cutoff, self.num_ws)
            keep = ops.arange(self.num_ws, dtype="int32") < cutoff
            mixed = ops.repeat(
                ops.cast(w_mix, ws.dtype)[:, None, :], self.num_ws, axis=1
            )
            ws = ops.where(keep[None, :, None], ws, mixed)
        return ws

    def compute_output_shape(self, input_shape: Any) -> tuple:
        w_shape, _ = self._split_shapes(input_shape)
        return (w_shape[0], self.num_ws, w_shape[1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_ws": self.num_ws,
            "style_mixing_prob": self.style_mixing_prob,
            "w_avg_beta": self.w_avg_beta,
            "truncation_psi": self.truncation_psi,
            "truncation_cutoff": self.truncation_cutoff,
            "seed": self.seed,
        }
