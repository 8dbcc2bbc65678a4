"""Every registered transformer under mixed precision, at its test configuration.

The layers and blocks pass the shared harness's precision check one by one;
this holds the assembled builders to it: built with ``dtype="mixed_float16"``
or ``"mixed_bfloat16"`` they keep float32 variables, compute in the half
type, give the float32 model's outputs (same weights) to within the half
type's precision, relative to the scale of the whole output, and under
``mixed_float16`` take one finite training step through Keras's loss-scale
optimizer (``mixed_bfloat16`` needs no loss scale: its step is the float32
step's code path).

One model per builder function: the named sizes (``bert_tiny``,
``vit_ti16``, ...) are the same code with other numbers, and each build is
costly on JAX, which compiles per shape and dtype.
"""

import keras
import numpy as np
import pytest
from keras import ops

from keras_dlkit.models import create_model, get_model_entry

# The largest difference seen between the float32 and the mixed outputs,
# relative to the largest float32 output, was 0.0016 (float16: 10 bits of
# mantissa) and 0.017 (bfloat16: 7 bits) over the three backends: a
# tolerance with room for other CPUs' summation orders. A broken cast (a
# float32 mask constant overflowing float16, a softmax in half precision)
# gives NaN or errors of order 1.
TOLERANCE = {"mixed_float16": 1e-2, "mixed_bfloat16": 6e-2}

NAMES = ["bert", "gpt", "llama_style", "t5", "vit"]


def test_the_models_are_small_registered_transformers():
    for name in NAMES:
        entry = get_model_entry(name)
        assert entry.family == "transformers"
        assert not (entry.large or entry.size_only)
        assert entry.builder.__name__ == name


@pytest.mark.parametrize("policy", sorted(TOLERANCE))
@pytest.mark.parametrize("name", NAMES)
def test_builder_under_mixed_precision(name, policy):
    entry = get_model_entry(name)
    x = entry.make_test_inputs(np.random.default_rng(0), batch_size=2)
    reference = create_model(name, **entry.test_config)
    expected = ops.convert_to_numpy(reference(x))

    model = create_model(name, **entry.test_config, dtype=policy)
    model.set_weights(reference.get_weights())
    compute_dtype = keras.DTypePolicy(policy).compute_dtype
    assert {v.dtype for v in model.weights} == {"float32"}
    output = model(x)
    assert keras.backend.standardize_dtype(output.dtype) == compute_dtype
    actual = ops.convert_to_numpy(ops.cast(output, "float32"))
    assert np.isfinite(actual).all()
    scale = np.abs(expected).max()
    assert np.abs(actual - expected).max() <= TOLERANCE[policy] * scale

    if policy != "mixed_float16":
        return
    # One training step: finite loss, every float32 weight still finite, and
    # the weights move (the float16 loss scale must not skip the step).
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=lambda y_true, y_pred: ops.mean(
            ops.square(ops.cast(y_pred, "float32") - y_true)
        ),
    )
    before = [ops.convert_to_numpy(w) for w in model.trainable_weights]
    loss = model.train_on_batch(x, np.ones(actual.shape, "float32"))
    assert np.isfinite(loss)
    after = [ops.convert_to_numpy(w) for w in model.trainable_weights]
    assert all(np.isfinite(w).all() for w in after)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
