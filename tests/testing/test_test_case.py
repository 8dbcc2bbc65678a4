"""Tests of the public test harness ``keras_dlkit.testing.TestCase``.

A harness that cannot fail is worthless, so next to a well-behaved layer that
passes every check, each check is shown failing on a layer broken on purpose
for exactly that reason.
"""

import ast
import doctest
import pathlib

import keras
import numpy as np
from keras import ops

import keras_dlkit.testing.test_case as test_case_module
from keras_dlkit.testing import TestCase

PACKAGE = "dlkit_tests"


@keras.saving.register_keras_serializable(package=PACKAGE)
class ScaledDense(keras.layers.Layer):
    """A dense layer whose output is multiplied by ``scale``: well behaved."""

    def __init__(self, units, scale=1.0, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(input_shape[-1], self.units)
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.units,), initializer="zeros"
        )

    def call(self, x):
        y = self.activation(ops.matmul(x, self.kernel) + self.bias)
        return y * ops.cast(self.scale, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "scale": self.scale,
            "activation": keras.activations.serialize(self.activation),
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class ForgetfulDense(ScaledDense):
    """Broken: the constructor argument ``scale`` is missing from get_config."""

    def get_config(self):
        config = super().get_config()
        del config["scale"]
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class DenseWithLambda(keras.layers.Layer):
    """Broken: holds a ``keras.layers.Lambda`` sublayer."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units, dtype=self.dtype_policy, name="dense")
        self.doubler = keras.layers.Lambda(lambda x: x * 2.0, name="double")

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, x):
        return self.doubler(self.dense(x))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Float32ConstantDense(ScaledDense):
    """Broken under mixed precision: multiplies by a float32 constant."""

    def call(self, x):
        y = ops.matmul(x, self.kernel) + self.bias
        return ops.multiply(y, ops.full((self.units,), 0.5, dtype="float32"))


@keras.saving.register_keras_serializable(package=PACKAGE)
class WrongShapeDense(ScaledDense):
    """Broken: compute_output_shape disagrees with call."""

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units + 1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class DeadWeightDense(ScaledDense):
    """Broken: a trainable weight that never reaches the output."""

    def build(self, input_shape):
        super().build(input_shape)
        self.unused = self.add_weight(name="unused", shape=(self.units,))


class UnregisteredDense(ScaledDense):
    """Broken: not registered with Keras, so a .keras file cannot load it."""


def _mlp(with_lambda=False):
    inputs = keras.Input(shape=(4,), name="features")
    x = ScaledDense(8, activation="relu", name="hidden")(inputs)
    if with_lambda:
        x = keras.layers.Lambda(lambda t: t + 1.0, name="shift")(x)
    outputs = keras.layers.Dense(3, name="head")(x)
    return keras.Model(inputs, outputs, name="mlp")


def _data(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype("float32")


class HarnessTest(TestCase):
    # ------------------------------------------------------------ good layer

    def test_good_layer_passes_every_check(self):
        self.run_layer_test(
            ScaledDense,
            {"units": 3, "scale": 2.0, "activation": "tanh"},
            input_shape=(2, 4),
            expected_output_shape=(2, 3),
            expected_output_dtype="float32",
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )

    def test_good_layer_with_input_data_and_rank_3(self):
        self.run_layer_test(
            ScaledDense,
            {"units": 5},
            input_data=_data(2, 3, 4),
            expected_output_shape=(None, 3, 5),
            run_precision_check=False,
            run_saving_check=False,
        )

    def test_setup_resets_dtype_policy_and_seed(self):
        self.assertEqual(keras.config.dtype_policy().name, "float32")
        first = ops.convert_to_numpy(keras.random.normal((3,)))
        keras.utils.set_random_seed(1337)
        second = ops.convert_to_numpy(keras.random.normal((3,)))
        self.assertAllClose(first, second)

    # --------------------------------------------------------- broken layers

    def test_argument_missing_from_get_config_fails(self):
        with self.assertRaises(AssertionError) as context:
            self.run_layer_test(
                ForgetfulDense,
                {"units": 3, "scale": 2.0},
                input_shape=(2, 4),
                run_training_check=False,
                run_precision_check=False,
                run_saving_check=False,
            )
        message = str(context.exception)
        self.assertIn("get_config", message)
        self.assertIn("'scale'", message)

    def test_config_exempt_skips_the_argument(self):
        # Exempting `scale` gets past the key check, but the round trip
        # still notices that from_config() builds a different layer.
        with self.assertRaises(AssertionError) as context:
            self.run_layer_test(
                ForgetfulDense,
                {"units": 3, "scale": 2.0},
                input_shape=(2, 4),
                config_exempt=("scale",),
                run_training_check=False,
                run_precision_check=False,
                run_saving_check=False,
            )
        self.assertIn("from_config", str(context.exception))
        self.assertIn("different outputs", str(context.exception))

    def test_lambda_inside_a_layer_fails_layer_test(self):
        with self.assertRaises(AssertionError) as context:
            self.run_layer_test(DenseWithLambda, {"units": 3}, input_shape=(2, 4))
        # The class name mentions "Lambda" too: match the check's own words.
        self.assertIn(
            "contains Lambda layer(s): Lambda 'double'", str(context.exception)
        )

    def test_lambda_inside_a_layer_fails_saving_test(self):
        with self.assertRaises(AssertionError) as context:
            self.run_saving_test(DenseWithLambda(3), _data(2, 4))
        # The layer rebuilds its Lambda in code, so loading succeeds; the
        # harness still refuses the Lambda it finds in the loaded model.
        self.assertIn("contains Lambda layer(s)", str(context.exception))

    def test_lambda_in_a_model_fails_to_load_with_safe_mode(self):
        with self.assertRaises(AssertionError) as context:
            self.run_saving_test(_mlp(with_lambda=True), _data(2, 4))
        message = str(context.exception)
        self.assertIn("could not be loaded back with safe_mode=True", message)
        self.assertIn("Lambda 'shift'", message)

    def test_float32_constant_fails_precision_test(self):
        # Correct in float32: every other check passes ...
        self.run_layer_test(
            Float32ConstantDense,
            {"units": 3},
            input_shape=(2, 4),
            run_precision_check=False,
            run_training_check=False,
            run_saving_check=False,
        )
        # ... but mixed precision promotes the output to float32.
        with self.assertRaises(AssertionError) as context:
            self.run_precision_test(Float32ConstantDense, {"units": 3}, (2, 4))
        message = str(context.exception)
        self.assertIn("under dtype policy 'mixed_float16'", message)
        self.assertIn("has dtype 'float32', expected the compute dtype", message)

    def test_float32_constant_fails_under_bfloat16_too(self):
        with self.assertRaises(AssertionError) as context:
            self.run_precision_test(
                Float32ConstantDense,
                {"units": 3},
                input_shape=(2, 4),
                policies=("mixed_bfloat16",),
            )
        self.assertIn("compute dtype 'bfloat16'", str(context.exception))

    def test_good_layer_passes_precision_test(self):
        self.run_precision_test(ScaledDense, {"units": 3}, input_data=_data(2, 4))

    def test_wrong_compute_output_shape_fails(self):
        with self.assertRaises(AssertionError) as context:
            self.run_layer_test(
                WrongShapeDense,
                {"units": 3},
                input_shape=(2, 4),
                run_training_check=False,
                run_precision_check=False,
                run_saving_check=False,
            )
        self.assertIn("compute_output_shape", str(context.exception))

    def test_wrong_expectations_fail(self):
        cases = {
            "output shape": {"expected_output_shape": (2, 4)},
            "dtype": {"expected_output_dtype": "float16"},
            "trainable weight": {"expected_num_trainable_weights": 1},
            "non-trainable": {"expected_num_non_trainable_weights": 1},
        }
        for reason, kwargs in cases.items():
            with self.subTest(reason=reason):
                with self.assertRaises(AssertionError) as context:
                    self.run_layer_test(
                        ScaledDense,
                        {"units": 3},
                        input_shape=(2, 4),
                        run_training_check=False,
                        run_precision_check=False,
                        run_saving_check=False,
                        **kwargs,
                    )
                self.assertIn(reason, str(context.exception))

    def test_weight_that_does_not_train_fails(self):
        with self.assertRaises(AssertionError) as context:
            self.run_layer_test(
                DeadWeightDense,
                {"units": 3},
                input_shape=(2, 4),
                run_precision_check=False,
                run_saving_check=False,
            )
        message = str(context.exception)
        self.assertIn("did not change", message)
        self.assertIn("unused", message)

    def test_unregistered_layer_fails_saving_test(self):
        with self.assertRaises(AssertionError) as context:
            self.run_saving_test(UnregisteredDense(3), _data(2, 4))
        message = str(context.exception)
        self.assertIn("safe_mode=True", message)
        self.assertIn("not registered with Keras: UnregisteredDense", message)

    def test_constructor_error_is_a_failure(self):
        with self.assertRaises(AssertionError) as context:
            self.run_layer_test(ScaledDense, {"unitz": 3}, input_shape=(2, 4))
        self.assertIn("unitz", str(context.exception))

    # ---------------------------------------------------------------- models

    def test_model_test_passes_and_returns_loaded_model(self):
        model = _mlp()
        self.run_model_test(model, _data(5, 4), expected_output_shape=(None, 3))
        loaded = self.run_saving_test(model, _data(5, 4))
        self.assertIsInstance(loaded, keras.Model)
        self.assertIsInstance(loaded.get_layer("hidden"), ScaledDense)

    def test_model_test_with_classification_target(self):
        model = _mlp()
        self.run_model_test(
            model,
            _data(6, 4),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            target=np.array([0, 1, 2, 0, 1, 2]),
            run_saving_check=False,
        )

    def test_model_test_fails_on_output_shape_mismatch(self):
        with self.assertRaises(AssertionError) as context:
            self.run_model_test(
                _mlp(),
                _data(5, 4),
                expected_output_shape=(None, 4),
                run_training_check=False,
                run_saving_check=False,
            )
        message = str(context.exception)
        self.assertIn("output shape", message)
        self.assertIn("(5, 3)", message)

    # ------------------------------------------------------------ assertions

    def test_assert_all_close(self):
        self.assertAllClose(ops.ones((2, 2)), np.ones((2, 2)))
        self.assertAllClose([ops.zeros((1,)), 1.0], [np.zeros(1), 1.0])
        with self.assertRaises(AssertionError):
            self.assertAllClose(ops.ones((2,)), np.ones((2,)) + 1e-3)
        with self.assertRaises(AssertionError) as context:
            self.assertAllClose(ops.ones((2,)), np.ones((3,)))
        self.assertIn("shapes differ", str(context.exception))

    def test_assert_dtype_equal(self):
        self.assertDTypeEqual(ops.ones((2,), dtype="float16"), "float16")
        self.assertDTypeEqual(np.zeros(2, "int32"), np.int32)
        with self.assertRaises(AssertionError):
            self.assertDTypeEqual(ops.ones((2,)), "float16")


def test_docstring_examples_run():
    results = doctest.testmod(
        test_case_module, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert results.attempted > 0
    assert results.failed == 0


def test_harness_imports_no_backend_framework():
    forbidden = {"tensorflow", "jax", "torch"}
    folder = pathlib.Path(test_case_module.__file__).parent
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name}: {name}"


def test_public_api():
    import keras_dlkit.testing

    assert keras_dlkit.testing.__all__ == ["TestCase"]
    assert keras_dlkit.testing.TestCase._keras_dlkit_path == (
        "keras_dlkit.testing.TestCase"
    )
