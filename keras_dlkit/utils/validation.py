"""Argument validation shared by every public constructor.

Each helper raises a ``ValueError`` that names the argument, shows the value
received and says what is allowed. Nothing is coerced: ``True`` is not an
integer here and ``2.0`` is not a count.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export


def is_int(value: Any) -> bool:
    """True for an integer that is not a bool (``numbers.Integral``)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@keras_dlkit_export("keras_dlkit.utils.check_int")
def check_int(
    name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Check that ``value`` is an integer in ``[minimum, maximum]``.

    Args:
        name: Argument name, used in the error message.
        value: The value to check.
        minimum: Smallest allowed value, or ``None``.
        maximum: Largest allowed value, or ``None``.

    Returns:
        ``value`` as a Python ``int``.

    Example:

    >>> from keras_dlkit.utils import check_int
    >>> check_int("units", 3, minimum=1)
    3
    >>> check_int("units", 0, minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: `units` must be an integer >= 1, got 0.
    """
    bounds = []
    if minimum is not None:
        bounds.append(f">= {minimum}")
    if maximum is not None:
        bounds.append(f"<= {maximum}")
    allowed = "an integer" + (" " + " and ".join(bounds) if bounds else "")
    if not is_int(value):
        raise ValueError(f"`{name}` must be {allowed}, got {value!r}.")
    if (minimum is not None and value < minimum) or (
        maximum is not None and value > maximum
    ):
        raise ValueError(f"`{name}` must be {allowed}, got {value!r}.")
    return int(value)


@keras_dlkit_export("keras_dlkit.utils.check_float")
def check_float(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
) -> float:
    """Check that ``value`` is a finite real number inside the given bounds.

    Args:
        name: Argument name, used in the error message.
        value: The value to check.
        minimum: Lower bound, or ``None``.
        maximum: Upper bound, or ``None``.
        min_inclusive: Whether ``minimum`` itself is allowed.
        max_inclusive: Whether ``maximum`` itself is allowed.

    Returns:
        ``value`` as a Python ``float``.

    Example:

    >>> from keras_dlkit.utils import check_float
    >>> check_float("rate", 0.5, minimum=0.0, maximum=1.0, max_inclusive=False)
    0.5
    >>> check_float("rate", 1.0, minimum=0.0, maximum=1.0, max_inclusive=False)
    Traceback (most recent call last):
    ...
    ValueError: `rate` must be a finite number in [0.0, 1.0), got 1.0.
    """
    lo = (
        "(-inf"
        if minimum is None
        else ("[" if min_inclusive else "(") + repr(float(minimum))
    )
    hi = (
        "inf)"
        if maximum is None
        else repr(float(maximum)) + ("]" if max_inclusive else ")")
    )
    allowed = f"a finite number in {lo}, {hi}"
    if not _is_real(value) or not math.isfinite(float(value)):
        raise ValueError(f"`{name}` must be {allowed}, got {value!r}.")
    v = float(value)
    if minimum is not None and (v < minimum or (not min_inclusive and v == minimum)):
        raise ValueError(f"`{name}` must be {allowed}, got {value!r}.")
    if maximum is not None and (v > maximum or (not max_inclusive and v == maximum)):
        raise ValueError(f"`{name}` must be {allowed}, got {value!r}.")
    return v


@keras_dlkit_export("keras_dlkit.utils.check_bool")
def check_bool(name: str, value: Any) -> bool:
    """Check that ``value`` is ``True`` or ``False`` (not ``0``, ``1`` or ``None``).

    Args:
        name: Argument name, used in the error message.
        value: The value to check.

    Returns:
        ``value`` unchanged.

    Example:

    >>> from keras_dlkit.utils import check_bool
    >>> check_bool("batch_norm", True)
    True
    >>> check_bool("batch_norm", 1)
    Traceback (most recent call last):
    ...
    ValueError: `batch_norm` must be True or False, got 1.
    """
    if not isinstance(value, bool):
        raise ValueError(f"`{name}` must be True or False, got {value!r}.")
    return value


@keras_dlkit_export("keras_dlkit.utils.check_choice")
def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``choices``.

    Args:
        name: Argument name, used in the error message.
        value: The value to check.
        choices: Allowed values.

    Returns:
        ``value`` unchanged.

    Example:

    >>> from keras_dlkit.utils import check_choice
    >>> check_choice("mode", "max", ("min", "max"))
    'max'
    >>> check_choice("mode", "avg", ("min", "max"))
    Traceback (most recent call last):
    ...
    ValueError: `mode` must be one of 'min', 'max', got 'avg'.
    """
    choices = tuple(choices)
    for choice in choices:
        if value is choice or (type(value) is type(choice) and value == choice):
            return value
    allowed = ", ".join(repr(c) for c in choices)
    raise ValueError(f"`{name}` must be one of {allowed}, got {value!r}.")


@keras_dlkit_export("keras_dlkit.utils.check_shape")
def check_shape(
    name: str, value: Any, *, ndim: int | None = None, allow_none: bool = False
) -> tuple[int | None, ...]:
    """Check that ``value`` is a tuple or list of positive integers.

    Args:
        name: Argument name, used in the error message.
        value: The shape to check (without the batch axis).
        ndim: Required number of dimensions, or ``None`` for any (>= 1).
        allow_none: Whether ``None`` entries (unknown sizes) are allowed.

    Returns:
        The shape as a tuple.

    Example:

    >>> from keras_dlkit.utils import check_shape
    >>> check_shape("input_shape", [28, 28, 1])
    (28, 28, 1)
    >>> check_shape("input_shape", (28, -1))
    Traceback (most recent call last):
    ...
    ValueError: `input_shape` must be a tuple of positive integers, got (28, -1).
    """
    what = "a tuple of positive integers" + (" or None" if allow_none else "")
    if ndim is not None:
        what += f" of length {ndim}"
    if not isinstance(value, (tuple, list)) or len(value) == 0:
        raise ValueError(f"`{name}` must be {what}, got {value!r}.")
    for dim in value:
        if dim is None and allow_none:
            continue
        if not is_int(dim) or dim < 1:
            raise ValueError(f"`{name}` must be {what}, got {value!r}.")
    if ndim is not None and len(value) != ndim:
        raise ValueError(f"`{name}` must be {what}, got {value!r}.")
    return tuple(None if d is None else int(d) for d in value)


def _identifier_error(name: str, kind: str, value: Any, allowed: str, error=None):
    detail = f" ({error})" if error is not None else ""
    return ValueError(
        f"`{name}` must be {allowed}a Keras {kind} name, config dict or "
        f"callable, got {value!r}{detail}."
    )


def check_activation(name: str, value: Any, *, passthrough: Iterable[Any] = ()) -> Any:
    """Check an activation identifier and return it unchanged.

    ``None`` and the names in ``passthrough`` (activations a layer applies
    itself, such as StyleGAN's ``"lrelu"``) are accepted as they are; any
    other value must be something ``keras.activations.get`` resolves. The
    identifier is returned unchanged so a layer's config keeps the name.

    Args:
        name: Argument name, for the error message.
        value: The activation identifier.
        passthrough: Extra names accepted without resolving.

    Returns:
        ``value``.

    Raises:
        ValueError: If ``value`` is not an activation identifier.
    """
    resolve_activation(name, value, passthrough=passthrough)
    return value


def resolve_activation(
    name: str, value: Any, *, passthrough: Iterable[Any] = ()
) -> Any:
    """``keras.activations.get(value)``, with a ``ValueError`` naming the argument.

    ``None`` and the names in ``passthrough`` are returned as they are.

    Args:
        name: Argument name, for the error message.
        value: An activation name, config dict or callable, or ``None``.
        passthrough: Extra names returned unresolved (e.g. ``("lrelu",)``).

    Returns:
        The activation function, ``None`` or a passthrough name.

    Raises:
        ValueError: If ``value`` is not an activation identifier.
    """
    passthrough = tuple(passthrough)
    if value is None or (isinstance(value, str) and value in passthrough):
        return value
    extra = "".join(f"{p!r}, " for p in passthrough)
    allowed = f"None, {extra}or "
    if isinstance(value, bool) or not (
        isinstance(value, (str, dict)) or callable(value)
    ):
        raise _identifier_error(name, "activation", value, allowed)
    try:
        return keras.activations.get(value)
    except (ValueError, TypeError) as error:
        raise _identifier_error(name, "activation", value, allowed, error) from None


def resolve_initializer(name: str, value: Any) -> Any:
    """``keras.initializers.get(value)``, with a ``ValueError`` naming the argument.

    Args:
        name: Argument name, for the error message.
        value: An initializer name, config dict or instance (not ``None``).

    Returns:
        The initializer object.

    Raises:
        ValueError: If ``value`` is not an initializer identifier.
    """
    if isinstance(value, bool) or value is None:
        raise _identifier_error(name, "initializer", value, "")
    try:
        return keras.initializers.get(value)
    except (ValueError, TypeError) as error:
        raise _identifier_error(name, "initializer", value, "", error) from None


def check_network(
    name: str,
    model: Any,
    *,
    num_inputs: int = 1,
    num_outputs: Iterable[int] = (1,),
    inputs_hint: str = "",
) -> Any:
    """Check that ``model`` is a functional or Sequential ``keras.Model``; return it.

    Trainers take their networks through this check: each must be built on
    ``keras.Input`` (so its input and output shapes are known) and have
    ``num_inputs`` inputs and one of ``num_outputs`` outputs.

    Args:
        name: Argument name, for the error message.
        model: The network.
        num_inputs: How many inputs it must have.
        num_outputs: The allowed numbers of outputs.
        inputs_hint: Said after the number of inputs in the message, e.g.
            ``" ([noise, labels])"``.

    Returns:
        ``model``.

    Raises:
        ValueError: If ``model`` is not such a model.

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.validation import check_network
    >>> inputs = keras.Input((3,))
    >>> net = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    >>> check_network("encoder", net) is net
    True
    """
    num_outputs = tuple(num_outputs)
    if not isinstance(model, keras.Model):
        raise ValueError(
            f"`{name}` must be a keras.Model (functional or Sequential, built "
            f"on a keras.Input), got {model!r}."
        )
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):
        inputs = outputs = None
    if not inputs or not outputs:
        raise ValueError(
            f"`{name}` must be a functional or Sequential keras.Model built on "
            f"a keras.Input (its input and output shapes must be known), got "
            f"{model!r}."
        )
    if len(inputs) != num_inputs or len(outputs) not in num_outputs:
        expected = "one input" if num_inputs == 1 else f"{num_inputs} inputs"
        allowed = (
            "one output"
            if num_outputs == (1,)
            else " or ".join(str(n) for n in num_outputs) + " output(s)"
        )
        raise ValueError(
            f"`{name}` must have exactly {expected}{inputs_hint} and {allowed}, "
            f"got {len(inputs)} input(s) and {len(outputs)} output(s)."
        )
    return model


def shapes_match(a: Sequence[Any], b: Sequence[Any]) -> bool:
    """Whether two shapes agree, ``None`` on either side matching any size.

    Example:

    >>> from keras_dlkit.utils.validation import shapes_match
    >>> shapes_match((None, 8, 3), (2, 8, None)), shapes_match((2, 8), (2, 9))
    (True, False)
    """
    return len(a) == len(b) and all(
        x is None or y is None or x == y for x, y in zip(a, b, strict=True)
    )
