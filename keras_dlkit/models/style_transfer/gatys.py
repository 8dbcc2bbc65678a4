"""Neural style transfer by optimisation (Gatys, Ecker and Bethge, CVPR 2016).

The image being optimised is the one trainable weight of a small
``keras.Model`` whose ``compute_loss`` runs a frozen feature network (VGG19
by default) and adds the content, style and total-variation losses of
:mod:`keras_dlkit.losses.style`. ``fit`` on a dummy input then does the
optimisation with any Keras optimizer, on every backend, with no
backend-specific code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.losses.style import (
    content_loss,
    gram_matrix,
    total_variation_loss,
)
from keras_dlkit.models._common import model_inputs
from keras_dlkit.utils.validation import check_float, check_int

CONTENT_LAYERS = ("block5_conv2",)
STYLE_LAYERS = (
    "block1_conv1",
    "block2_conv1",
    "block3_conv1",
    "block4_conv1",
    "block5_conv1",
)
#: Per-channel means of the ImageNet images VGG was trained on, BGR order.
CAFFE_MEAN = (103.939, 116.779, 123.68)
PREPROCESSINGS = ("caffe", None)


class _FeatureTaps(keras.layers.Layer):
    """Calls a feature network and returns ``{name: feature map}``.

    Works for any functional model whose layers carry the names (such as
    ``keras.applications.VGG19``) and for keras_dlkit's VGG builders, whose
    convolutions sit inside ``VGGStage`` blocks ``stage_i``: there
    ``"block{i}_conv{j}"`` is convolution ``j`` of stage ``i``, the name
    keras.applications gives the same layer. The network is tracked (its
    weights are this layer's), and only the layers up to the deepest tap run.
    """

    def __init__(self, model: keras.Model, names: Sequence[str]) -> None:
        super().__init__(name="style_features", trainable=False)
        self.network = model
        self.names = tuple(names)
        self.submodel, self.plan = None, []
        layer_names = {layer.name for layer in model.layers}
        if all(name in layer_names for name in names):
            outputs = {name: model.get_layer(name).output for name in names}
            self.submodel = keras.Model(model_inputs(model), outputs, name="taps")
            return
        stages = [
            layer
            for layer in model.layers
            if layer.name.startswith("stage_") and hasattr(layer, "convs")
        ]
        if not stages:
            raise ValueError(
                f"`feature_model` {model.name!r} has no layers named {list(names)} "
                "and no VGG stages: pass a model whose layers carry those names, "
                "or other `content_layers` / `style_layers`."
            )
        plan, wanted = [], set(names)
        for index, stage in enumerate(stages, start=1):
            for number, conv in enumerate(stage.convs, start=1):
                plan.append((conv, f"block{index}_conv{number}"))
            plan.append((stage.pool, None))
        available = [name for _, name in plan if name is not None]
        missing = [name for name in names if name not in available]
        if missing:
            raise ValueError(
                f"`content_layers`/`style_layers` name {missing}, not layers of "
                f"{model.name!r}; available: {available}."
            )
        last = max(i for i, (_, name) in enumerate(plan) if name in wanted)
        self.plan = plan[: last + 1]

    def call(self, inputs):
        if self.submodel is not None:
            return self.submodel(inputs)
        x, outputs = inputs, {}
        for layer, name in self.plan:
            x = layer(x)
            if name in self.names:
                outputs[name] = x
        return outputs


def _image(name: str, value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 3 or array.shape[-1] != 3:
        raise ValueError(
            f"`{name}` must be an RGB image (height, width, 3), got shape "
            f"{array.shape}."
        )
    if np.issubdtype(array.dtype, np.integer):
        return array.astype("float32") / 255.0
    return np.clip(array.astype("float32"), 0.0, 1.0)


def _names(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise ValueError(
            f"`{name}` must be a non-empty sequence of layer names, got {value!r}."
        )
    return tuple(value)


class _ClipToUnitRange(keras.constraints.Constraint):
    def __call__(self, w):
        return ops.clip(w, 0.0, 1.0)


class _LatestValue(keras.metrics.Metric):
    """The value of the last step (not a running mean), for per-step logs."""

    def __init__(self, name: str) -> None:
        super().__init__(name=name)
        self.value = self.add_variable(shape=(), initializer="zeros", name="value")

    def update_state(self, value):
        self.value.assign(ops.cast(value, self.value.dtype))

    def result(self):
        # A tensor, not the variable itself: JAX's traced train step returns it.
        return ops.convert_to_tensor(self.value)


class _StepHistory(keras.callbacks.Callback):
    """Collects the per-step losses logged by the trackers."""

    KEYS = ("total_loss", "content_loss", "style_loss", "variation_loss")

    def on_train_begin(self, logs=None):
        self.history = {key: [] for key in self.KEYS}

    def on_train_batch_end(self, batch, logs=None):
        for key in self.KEYS:
            self.history[key].append(float(logs[key]))


class _StyleTransferModel(keras.Model):
    """Holds the image as its trainable weight; ``fit`` optimises it."""

    def __init__(self, features, content_targets, style_grams, initial, settings):
        super().__init__(name="style_transfer")
        self.features = features
        self.features.trainable = False
        self.settings = settings
        self.image = self.add_weight(
            shape=initial.shape,
            initializer="zeros",
            constraint=_ClipToUnitRange(),
            name="image",
        )
        self.image.assign(initial)
        self.content_targets, self.style_grams = {}, {}
        for kind, targets, store in (
            ("content", content_targets, self.content_targets),
            ("style", style_grams, self.style_grams),
        ):
            for name, value in targets.items():
                variable = self.add_weight(
                    shape=value.shape,
                    initializer="zeros",
                    trainable=False,
                    name=f"{kind}_{name}",
                )
                variable.assign(value)
                store[name] = variable
        self.trackers = {key: _LatestValue(key) for key in _StepHistory.KEYS}
        self.built = True

    @property
    def metrics(self):
        return [*super().metrics, *self.trackers.values()]

    def call(self, inputs):
        # A tensor, not the variable: JAX's traced train step cannot take a
        # Keras variable as an array operand.
        return ops.convert_to_tensor(self.image)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        image = ops.convert_to_tensor(self.image) if y_pred is None else y_pred
        features = self.features(_preprocess(image, self.settings["preprocessing"]))
        content = sum(
            content_loss(ops.convert_to_tensor(target), features[name])[0]
            for name, target in self.content_targets.items()
        ) / len(self.content_targets)
        style = 0.0
        for name, target in self.style_grams.items():
            gram = gram_matrix(features[name])
            channels = float(gram.shape[-1])
            target = ops.convert_to_tensor(target)
            style = style + ops.sum(ops.square(gram - target)) / (4.0 * channels**2)
        style = style / len(self.style_grams)
        variation = total_variation_loss(image)[0]
        self.trackers["content_loss"].update_state(content)
        self.trackers["style_loss"].update_state(style)
        self.trackers["variation_loss"].update_state(variation)
        total = (
            self.settings["content_weight"] * content
            + self.settings["style_weight"] * style
            + self.settings["total_variation_weight"] * variation
        )
        self.trackers["total_loss"].update_state(total)
        return total


def _preprocess(images, preprocessing):
    """``[0, 1]`` RGB to the network's input (VGG: BGR, 0..255, mean removed)."""
    if preprocessing is None:
        return images
    bgr = ops.flip(images, axis=-1) * 255.0
    return bgr - ops.convert_to_tensor(CAFFE_MEAN, dtype=bgr.dtype)


@keras_dlkit_export("keras_dlkit.models.style_transfer")
def style_transfer(
    content_image: Any,
    style_image: Any,
    feature_model: keras.Model | None = None,
    content_layers: Sequence[str] = CONTENT_LAYERS,
    style_layers: Sequence[str] = STYLE_LAYERS,
    content_weight: float = 1.0,
    style_weight: float = 1e3,
    total_variation_weight: float = 0.0,
    steps: int = 100,
    optimizer: Any = None,
    initial_image: Any = "content",
    preprocessing: str | None = "caffe",
    weights: str | None = None,
    callbacks: Sequence[keras.callbacks.Callback] | None = None,
    verbose: int | str = 0,
) -> tuple[np.ndarray, dict[str, list[float]]]:
    """Paint ``content_image`` in the style of ``style_image`` (Gatys et al., 2016).

    Minimises ``content_weight * L_content + style_weight * L_style +
    total_variation_weight * L_tv`` over the pixels of the image, with
    :func:`keras_dlkit.losses.content_loss` averaged over
    ``content_layers``, :func:`keras_dlkit.losses.style_loss` averaged over
    ``style_layers`` (the paper's equal weights ``w_l``) and
    :func:`keras_dlkit.losses.total_variation_loss`. The defaults are the
    paper's layers and its ratio ``alpha / beta = 1e-3``, with
    ``block5_conv2`` as the content layer as in the keras.io example (the
    paper uses ``conv4_2``). Pixels stay in ``[0, 1]`` (clipped after each
    step).

    The optimisation is ``keras.Model.fit`` on a model that holds the image
    as its only trainable weight (one step per dummy sample), so it runs on
    TensorFlow, JAX and PyTorch and takes Keras callbacks.

    Args:
        content_image: ``(height, width, 3)`` RGB, uint8 in ``0..255`` or
            float in ``[0, 1]``; the result has its size.
        style_image: RGB image of any size, same conventions.
        feature_model: The frozen network whose features define content and
            style; default: keras_dlkit's VGG19 (``include_top=False``,
            ``weights``). Any model whose layers carry the names in
            ``content_layers`` / ``style_layers`` works (e.g.
            ``keras.applications.VGG19``).
        content_layers: Layers for the content loss.
        style_layers: Layers for the style loss.
        content_weight: Weight of the content loss (paper: alpha), >= 0.
        style_weight: Weight of the style loss (paper: beta), >= 0.
        total_variation_weight: Weight of the smoothness term, >= 0.
        steps: Optimisation steps, >= 1.
        optimizer: A Keras optimizer; default
            ``Adam(learning_rate=0.02, beta_1=0.99, epsilon=0.1)``.
        initial_image: ``"content"`` (start from the photo), ``"noise"``
            (the paper's white noise) or an image of the content's shape.
        preprocessing: ``"caffe"`` (what VGG expects: BGR, 0..255, ImageNet
            mean removed) or ``None`` (the model takes ``[0, 1]`` RGB).
        weights: Weights of the default VGG19: ``None`` (random: the losses
            still fall, but the pictures mean little), ``"imagenet"``
            (downloaded by Keras) or a file.
        callbacks: Keras callbacks for ``fit``.
        verbose: ``fit``'s verbosity.

    Returns:
        ``(image, history)``: the stylised image, float32 ``(height, width,
        3)`` in ``[0, 1]``, and a dict of lists with one value per step, each
        measured before that step's update: ``"loss"`` (the weighted total),
        ``"content_loss"``, ``"style_loss"``, ``"variation_loss"``
        (unweighted).

    Raises:
        ValueError: For a bad image, layer name or argument, naming it.

    Example:

    A two-layer feature network keeps the example fast; the default is VGG19.

    >>> import keras, numpy as np
    >>> from keras_dlkit.models import style_transfer
    >>> inputs = keras.Input((None, None, 3))
    >>> x = keras.layers.Conv2D(4, 3, activation="relu", name="low")(inputs)
    >>> x = keras.layers.Conv2D(4, 3, activation="relu", name="high")(x)
    >>> features = keras.Model(inputs, x)
    >>> rng = np.random.default_rng(0)
    >>> photo = rng.integers(0, 256, (16, 16, 3), dtype="uint8")
    >>> painting = rng.integers(0, 256, (20, 20, 3), dtype="uint8")
    >>> image, history = style_transfer(
    ...     photo, painting, feature_model=features, content_layers=["high"],
    ...     style_layers=["low", "high"], preprocessing=None, steps=2)
    >>> image.shape, image.dtype.name, sorted(history)
    ((16, 16, 3), 'float32', ['content_loss', 'loss', 'style_loss', 'variation_loss'])
    """
    content = _image("content_image", content_image)
    style = _image("style_image", style_image)
    content_layers = _names("content_layers", content_layers)
    style_layers = _names("style_layers", style_layers)
    settings = {
        "content_weight": check_float("content_weight", content_weight, minimum=0.0),
        "style_weight": check_float("style_weight", style_weight, minimum=0.0),
        "total_variation_weight": check_float(
            "total_variation_weight", total_variation_weight, minimum=0.0
        ),
        "preprocessing": preprocessing,
    }
    if preprocessing not in PREPROCESSINGS:
        raise ValueError(
            f"`preprocessing` must be one of {PREPROCESSINGS}, got {preprocessing!r}."
        )
    steps = check_int("steps", steps, minimum=1)
    if isinstance(initial_image, str):
        if initial_image == "content":
            initial = content
        elif initial_image == "noise":
            initial = np.random.default_rng(0).uniform(size=content.shape)
        else:
            raise ValueError(
                "`initial_image` must be 'content', 'noise' or an image, got "
                f"{initial_image!r}."
            )
    else:
        initial = _image("initial_image", initial_image)
        if initial.shape != content.shape:
            raise ValueError(
                f"`initial_image` must have the content's shape {content.shape}, "
                f"got {initial.shape}."
            )
    if feature_model is None:
        from keras_dlkit.models.classification.vgg import vgg19

        feature_model = vgg19(
            input_shape=(None, None, 3), include_top=False, weights=weights
        )
    elif not isinstance(feature_model, keras.Model):
        raise ValueError(
            f"`feature_model` must be None or a keras.Model, got {feature_model!r}."
        )
    features = _FeatureTaps(
        feature_model, tuple(dict.fromkeys(content_layers + style_layers))
    )

    def extract(image):
        return features(_preprocess(ops.convert_to_tensor(image[None]), preprocessing))

    # Freeze the network for the optimisation (every layer, whatever the
    # nesting), and give the caller's flag back afterwards.
    was_trainable = feature_model.trainable
    feature_model.trainable = False
    try:
        content_features = extract(content)
        style_features = extract(style)
        model = _StyleTransferModel(
            features,
            {name: content_features[name] for name in content_layers},
            {name: gram_matrix(style_features[name]) for name in style_layers},
            initial[None].astype("float32"),
            settings,
        )
        model.compile(
            optimizer=optimizer
            or keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=0.1)
        )
        steps_history = _StepHistory()
        model.fit(
            np.zeros((steps, 1), "float32"),
            batch_size=1,
            epochs=1,
            shuffle=False,
            callbacks=[steps_history, *(callbacks or [])],
            verbose=verbose,
        )
    finally:
        feature_model.trainable = was_trainable
    history = {
        "loss": steps_history.history["total_loss"],
        **{key: steps_history.history[key] for key in _StepHistory.KEYS[1:]},
    }
    image = np.asarray(ops.convert_to_numpy(model.image)[0], dtype="float32")
    return np.clip(image, 0.0, 1.0), history
