"""Feature extraction: a builder's named stage outputs, as a dict with strides.

Every CNN builder names the output of its stem ``"stem"`` and of each stage
``"stage_1"``, ``"stage_2"``, ... (like timm's ``feature_info`` and
keras-hub's ``pyramid_outputs``). :func:`feature_info` lists them with their
strides and channels; :func:`feature_extractor` turns a model into one that
returns them as a dict, which is what a U-Net decoder or a detector head
consumes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._common import model_inputs

STAGE_NAME = re.compile(r"^(stem|stage_\d+)$")
_PROBE_SIZE = 224


def _stage_layers(model: keras.Model) -> list[keras.layers.Layer]:
    layers = [layer for layer in model.layers if STAGE_NAME.match(layer.name)]
    if not layers:
        raise ValueError(
            f"`model` {model.name!r} has no stage outputs: feature extraction "
            "needs layers named 'stem' or 'stage_<i>' (every keras_dlkit CNN "
            "builder names them)."
        )
    return layers


def _spatial(shape: Sequence[Any]) -> tuple[Any, Any]:
    return tuple(shape[1:3])


@keras_dlkit_export("keras_dlkit.models.feature_info")
def feature_info(model: keras.Model) -> list[dict[str, Any]]:
    """The stage outputs of a builder's model: name, stride and channels.

    The stride is the input size over the stage's output size. When the
    model's input size is unknown, it is measured on a 224x224 input.

    Args:
        model: A model from a keras_dlkit CNN builder (or any functional
            model with layers named ``"stem"`` / ``"stage_<i>"``).

    Returns:
        A list of ``{"name", "stride", "channels"}`` dicts, shallowest first.

    Raises:
        ValueError: If ``model`` has no stage outputs.

    Example:

    >>> import keras
    >>> from keras_dlkit.models import feature_info
    >>> inputs = keras.Input((32, 32, 3))
    >>> x = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="stem")(inputs)
    >>> x = keras.layers.Conv2D(16, 3, strides=2, padding="same", name="stage_1")(x)
    >>> feature_info(keras.Model(inputs, x))
    [{'name': 'stem', 'stride': 2, 'channels': 8}, {'name': 'stage_1', 'stride': 4, 'channels': 16}]
    """
    layers = _stage_layers(model)
    input_shape = tuple(model.inputs[0].shape)
    height = input_shape[1]
    shapes = [tuple(layer.output.shape) for layer in layers]
    if height is None or any(_spatial(s)[0] is None for s in shapes):
        probe = keras.Model(model_inputs(model), [layer.output for layer in layers])
        spec = keras.KerasTensor((1, _PROBE_SIZE, _PROBE_SIZE, input_shape[3]))
        outputs = probe.compute_output_spec(spec)
        shapes = [tuple(o.shape) for o in outputs]
        height = _PROBE_SIZE
    info = []
    for layer, shape in zip(layers, shapes, strict=True):
        info.append(
            {
                "name": layer.name,
                "stride": int(round(height / shape[1])),
                "channels": int(shape[-1]),
            }
        )
    return info


@keras_dlkit_export("keras_dlkit.models.feature_extractor")
def feature_extractor(
    model: keras.Model, stages: Sequence[str] | None = None, name: str | None = None
) -> keras.Model:
    """A model returning ``{stage name: feature map}`` for the chosen stages.

    The new model shares the layers (and weights) of ``model``: training it
    trains ``model``. Use :func:`feature_info` for the strides.

    Args:
        model: A model from a keras_dlkit CNN builder, usually built with
            ``include_top=False``.
        stages: Names of the stage outputs to return, e.g.
            ``("stage_2", "stage_3", "stage_4")``; ``None`` returns all.
        name: Name of the new model (default ``"<model>_features"``).

    Returns:
        A functional ``keras.Model`` whose output is a dict.

    Raises:
        ValueError: If ``model`` has no stage outputs or a name in ``stages``
            is not one of them.

    Example:

    >>> import keras
    >>> from keras_dlkit.models import feature_extractor
    >>> inputs = keras.Input((32, 32, 3))
    >>> x = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="stem")(inputs)
    >>> x = keras.layers.Conv2D(16, 3, strides=2, padding="same", name="stage_1")(x)
    >>> features = feature_extractor(keras.Model(inputs, x))
    >>> maps = features(keras.ops.zeros((1, 32, 32, 3)))
    >>> sorted(maps)
    ['stage_1', 'stem']
    >>> tuple(maps["stem"].shape), tuple(maps["stage_1"].shape)
    ((1, 16, 16, 8), (1, 8, 8, 16))
    """
    layers = {layer.name: layer for layer in _stage_layers(model)}
    if stages is None:
        stages = list(layers)
    if isinstance(stages, str) or not all(isinstance(s, str) for s in stages):
        raise ValueError(f"`stages` must be a sequence of stage names, got {stages!r}.")
    unknown = [s for s in stages if s not in layers]
    if unknown or not stages:
        raise ValueError(
            f"`stages` must name stage outputs of {model.name!r}, one or more of "
            f"{list(layers)}, got {list(stages)!r}."
        )
    outputs = {stage: layers[stage].output for stage in stages}
    return keras.Model(
        model_inputs(model), outputs, name=name or f"{model.name}_features"
    )
