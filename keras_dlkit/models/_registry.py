"""Model registry: ``register_model``, ``create_model``, ``list_models``.

Modelled on timm's registry: builders register under a name and are created
by name with keyword overrides. Each entry also records the smallest
configuration the builder supports, which the shared parametrized test uses
to build, run, train and round-trip every registered model.

The registry is passive: it imports no builder. ``keras_dlkit.models``
imports every family package, whose builders register themselves; and since
this module sits inside that package, importing it imports them all first.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
from collections.abc import Callable, Mapping
from typing import Any

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_bool


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """One registered builder.

    Attributes:
        name: Registry name, e.g. ``"mlp"``.
        builder: The function that returns the model.
        family: Curriculum family, e.g. ``"fundamentals"`` or ``"cnn"``.
        test_config: Keyword arguments that build the smallest useful model;
            the registry test builds every model with them.
        test_input_shape: Shape of one sample (no batch axis) for that config.
        large: Whether the registry test runs this model only in the
            ``large`` set (once, on TensorFlow, in CI): a deeper variant
            whose code path a cheaper sibling already runs on every backend.
        test_inputs: ``None`` (the test feeds uniform floats of
            ``test_input_shape``), or a function ``(rng, batch_size) ->
            inputs`` for models whose inputs are not one float array: token
            ids (integers, 0 for padding), or several inputs as a list or
            dict. ``rng`` is a ``numpy.random.Generator``.
        count_params: ``None``, or a function taking the builder's keyword
            arguments and returning the parameter count from the
            configuration alone, without creating a weight (see
            :func:`count_params`).
        size_only: Whether the model is too large to build in the test
            suite (its float32 weights take gigabytes): the registry test
            does not build it; :func:`count_params` sizes it, and its
            family's tests build a shrunk configuration of the same builder.

    Example:

    >>> from keras_dlkit.models import get_model_entry
    >>> entry = get_model_entry("mlp")
    >>> entry.builder(**entry.test_config).input_shape == (None, *entry.test_input_shape)
    True
    """

    name: str
    builder: Callable[..., Any]
    family: str
    test_config: Mapping[str, Any]
    test_input_shape: tuple[int, ...]
    large: bool = False
    test_inputs: Callable[[Any, int], Any] | None = None
    count_params: Callable[..., int] | None = None
    size_only: bool = False

    def make_test_inputs(self, rng: Any, batch_size: int = 2) -> Any:
        """A batch of inputs for ``test_config``, drawn from ``rng``.

        Args:
            rng: A ``numpy.random.Generator``.
            batch_size: Number of samples.

        Returns:
            ``test_inputs(rng, batch_size)`` when the entry has one, else
            uniform float32 data of shape ``(batch_size, *test_input_shape)``.

        Example:

        >>> import numpy as np
        >>> from keras_dlkit.models import get_model_entry
        >>> x = get_model_entry("mlp").make_test_inputs(np.random.default_rng(0), 3)
        >>> x.shape, x.dtype
        ((3, 6), dtype('float32'))
        """
        if self.test_inputs is not None:
            return self.test_inputs(rng, batch_size)
        return rng.uniform(size=(batch_size, *self.test_input_shape)).astype("float32")


_REGISTRY: dict[str, ModelEntry] = {}


@keras_dlkit_export("keras_dlkit.models.register_model")
def register_model(
    name: str | None = None,
    *,
    family: str,
    test_config: Mapping[str, Any],
    test_input_shape: tuple[int, ...],
    large: bool = False,
    test_inputs: Callable[[Any, int], Any] | None = None,
    count_params: Callable[..., int] | None = None,
    size_only: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a model builder under ``name`` (default: the function name).

    Args:
        name: Registry name. Defaults to the decorated function's ``__name__``.
        family: Curriculum family the model belongs to.
        test_config: Smallest configuration, used by the registry test.
        test_input_shape: Shape of one input sample for ``test_config``.
        large: Mark the model ``large`` in the registry test (see
            :class:`ModelEntry`).
        test_inputs: Optional ``(rng, batch_size) -> inputs`` for models fed
            token ids or several inputs (see :class:`ModelEntry`).

    Returns:
        A decorator that registers and returns the builder unchanged.

    Example:

    >>> import keras
    >>> from keras_dlkit.models import register_model, create_model
    >>> @register_model(
    ...     "doc_tiny_dense", family="fundamentals",
    ...     test_config={"units": 2}, test_input_shape=(3,))
    ... def doc_tiny_dense(units=4):
    ...     inputs = keras.Input((3,))
    ...     return keras.Model(inputs, keras.layers.Dense(units)(inputs))
    >>> create_model("doc_tiny_dense", units=5).output_shape
    (None, 5)
    """
    if name is not None and (not isinstance(name, str) or not name):
        raise ValueError(f"`name` must be a non-empty string or None, got {name!r}.")
    if not isinstance(family, str) or not family:
        raise ValueError(f"`family` must be a non-empty string, got {family!r}.")
    if not isinstance(test_config, Mapping):
        raise ValueError(f"`test_config` must be a mapping, got {test_config!r}.")
    check_bool("large", large)
    if test_inputs is not None and not callable(test_inputs):
        raise ValueError(
            f"`test_inputs` must be None or a function (rng, batch_size) -> "
            f"inputs, got {test_inputs!r}."
        )
    if count_params is not None and not callable(count_params):
        raise ValueError(
            f"`count_params` must be None or a function of the builder's "
            f"keyword arguments, got {count_params!r}."
        )
    check_bool("size_only", size_only)
    if size_only and count_params is None:
        raise ValueError(
            "`size_only` is True but `count_params` is None: a model the tests "
            "never build must be sized from its configuration."
        )

    def decorator(builder: Callable[..., Any]) -> Callable[..., Any]:
        key = name or builder.__name__
        existing = _REGISTRY.get(key)
        if (
            existing is not None
            and existing.builder.__qualname__ != builder.__qualname__
        ):
            raise ValueError(
                f"`name` {key!r} is already registered to {existing.builder!r}."
            )
        _REGISTRY[key] = ModelEntry(
            name=key,
            builder=builder,
            family=family,
            test_config=dict(test_config),
            test_input_shape=tuple(test_input_shape),
            large=large,
            test_inputs=test_inputs,
            count_params=count_params,
            size_only=size_only,
        )
        return builder

    return decorator


@keras_dlkit_export("keras_dlkit.models.list_models")
def list_models(pattern: str = "*", family: str | None = None) -> list[str]:
    """Names of registered models matching an fnmatch ``pattern``, sorted.

    Args:
        pattern: Shell-style pattern, e.g. ``"resnet*"``.
        family: Only models of this family, if given.

    Returns:
        Sorted list of names.

    Example:

    >>> from keras_dlkit.models import list_models
    >>> "mlp" in list_models("ml*")
    True
    """
    if not isinstance(pattern, str):
        raise ValueError(f"`pattern` must be a string, got {pattern!r}.")
    return sorted(
        name
        for name, entry in _REGISTRY.items()
        if fnmatch.fnmatchcase(name, pattern)
        and (family is None or entry.family == family)
    )


@keras_dlkit_export("keras_dlkit.models.get_model_entry")
def get_model_entry(name: str) -> ModelEntry:
    """The registry entry of ``name``.

    Args:
        name: A registered model name.

    Returns:
        The :class:`ModelEntry`.

    Raises:
        ValueError: If ``name`` is not registered; the message names close
            matches.

    Example:

    >>> from keras_dlkit.models import get_model_entry
    >>> get_model_entry("mlp").family
    'fundamentals'
    """
    if name in _REGISTRY:
        return _REGISTRY[name]
    close = difflib.get_close_matches(str(name), list(_REGISTRY), n=5, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise ValueError(
        f"`name` {name!r} is not a registered model.{hint} "
        "See keras_dlkit.models.list_models() for all names."
    )


@keras_dlkit_export("keras_dlkit.models.create_model")
def create_model(name: str, /, **overrides: Any):
    """Build the registered model ``name`` with keyword ``overrides``.

    Args:
        name: A registered model name (see :func:`list_models`).
        **overrides: Keyword arguments for the builder.

    Returns:
        Whatever the builder returns, usually a ``keras.Model``.

    Example:

    >>> from keras_dlkit.models import create_model
    >>> model = create_model("mlp", input_shape=(8,), num_classes=2)
    >>> model.output_shape
    (None, 2)
    """
    return get_model_entry(name).builder(**overrides)


@keras_dlkit_export("keras_dlkit.models.count_params")
def count_params(name: str, /, **overrides: Any) -> int:
    """Parameter count of ``create_model(name, **overrides)``, without building it.

    The count comes from the builder's configuration by a closed-form rule,
    so no weight is created: ``count_params("gpt3_175b")`` runs on a laptop.
    For every builder that has one, the rule equals the built model's
    ``count_params()`` (the tests check it on configurations small enough to
    build).

    Args:
        name: A registered model name with a closed-form count (the
            transformer family's builders).
        **overrides: Keyword arguments for the builder, as for
            :func:`create_model`.

    Returns:
        The number of parameters (trainable and not) as a Python ``int``.

    Raises:
        ValueError: If ``name`` is not registered, or its builder has no
            closed-form count.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("gpt3_175b") > 174_000_000_000
    True
    """
    entry = get_model_entry(name)
    if entry.count_params is None:
        with_count = sorted(n for n, e in _REGISTRY.items() if e.count_params)
        raise ValueError(
            f"`name` {name!r} has no closed-form parameter count; build it "
            f"and call `count_params()` on the model. Models with one: "
            f"{with_count}."
        )
    return int(entry.count_params(**overrides))
