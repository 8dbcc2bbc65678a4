"""Tests of the public test harness ``keras_dlkit.testing.TestCase``.

A harness that cannot fail is worthless, so next to a well-behaved layer that
passes every check, each check is shown failing on a layer broken on purpose
for exactly that reason.
"""

import ast
import doctest
import importlib
import pathlib

import keras
import numpy as np
import pytest
from keras import ops

import keras_dlkit.testing.test_case as test_case_module
import keras_dlkit.testing.trainer_checks as trainer_checks_module
from keras_dlkit.testing import TestCase
from keras_dlkit.training import GAN, Autoencoder

PACKAGE = "dlkit_tests"

HARNESS_MODULES = (
    "_base",
    "layer_checks",
    "precision_checks",
    "saving_checks",
    "model_checks",
    "trainer_checks",
    "test_case",
)


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


@keras.saving.register_keras_serializable(package=PACKAGE)
class LateWeightDense(keras.layers.Layer):
    """Broken: ``build`` does not build the sublayer, whose weights ``call`` makes.

    (Keras itself refuses ``add_weight`` in ``call`` once a layer is built;
    an unbuilt sublayer is how weights still appear at call time.)
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.proj = keras.layers.Dense(units, dtype=self.dtype_policy, name="proj")

    def build(self, input_shape):
        pass  # Should be: self.proj.build(input_shape)

    def call(self, x):
        return self.proj(x)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class NeverBuiltDense(ScaledDense):
    """Broken: replaces Keras's wrapped ``build``, so ``built`` is never set."""

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.build = self._create_weights

    def _create_weights(self, input_shape):
        ScaledDense.build(self, input_shape)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SpecShapeDense(ScaledDense):
    """Broken: its symbolic output spec has one unit too many."""

    compute_output_shape = keras.layers.Layer.compute_output_shape

    def compute_output_spec(self, x):
        return keras.KerasTensor(
            (*x.shape[:-1], self.units + 1), dtype=self.compute_dtype
        )


@keras.saving.register_keras_serializable(package=PACKAGE)
class SpecDtypeDense(ScaledDense):
    """Broken: its symbolic output spec claims float16."""

    compute_output_shape = keras.layers.Layer.compute_output_shape

    def compute_output_spec(self, x):
        return keras.KerasTensor((*x.shape[:-1], self.units), dtype="float16")


@keras.saving.register_keras_serializable(package=PACKAGE)
class ComputeDtypeWeightDense(ScaledDense):
    """Broken under mixed precision: forces its weights to the compute dtype."""

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(input_shape[-1], self.units), dtype=self.compute_dtype
        )
        self.bias = self.add_weight(
            name="bias",
            shape=(self.units,),
            initializer="zeros",
            dtype=self.compute_dtype,
        )


@keras.saving.register_keras_serializable(package=PACKAGE)
class OverflowingSquare(keras.layers.Layer):
    """Broken under float16: squares a large value in the compute dtype."""

    def call(self, x):
        return ops.square(x * 1000.0)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package=PACKAGE)
class DtypeSwallowingDense(ScaledDense):
    """Broken: keeps ``dtype`` from ``super().__init__``."""

    def __init__(self, units, **kwargs):
        kwargs.pop("dtype", None)
        super().__init__(units, **kwargs)


@keras.saving.register_keras_serializable(package=PACKAGE)
class Float32SublayerDense(keras.layers.Layer):
    """Broken: its sublayer is not given ``dtype=self.dtype_policy``."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.proj = keras.layers.Dense(units, name="proj")

    def build(self, input_shape):
        self.proj.build(input_shape)

    def call(self, x):
        return self.proj(x)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class HalvingConfigDense(ScaledDense):
    """Broken: stores ``scale`` in its config as half the argument."""

    def get_config(self):
        return {**super().get_config(), "scale": self.scale / 2}


@keras.saving.register_keras_serializable(package=PACKAGE)
class DriftingConfigDense(ScaledDense):
    """Broken: doubles ``scale`` in ``__init__``, so each round trip doubles it."""

    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(units, scale=scale * 2, **kwargs)


@keras.saving.register_keras_serializable(package=PACKAGE)
class BiasNotLoadedDense(ScaledDense):
    """Broken: ``load_own_variables`` restores the kernel but not the bias."""

    def load_own_variables(self, store):
        self.kernel.assign(store["0"])


@keras.saving.register_keras_serializable(package=PACKAGE)
class NaNDense(ScaledDense):
    """Broken: every output is NaN."""

    def call(self, x):
        return super().call(x) * ops.cast(float("nan"), self.compute_dtype)


@keras.saving.register_keras_serializable(package=PACKAGE)
class ForgottenOptimizerAutoencoder(Autoencoder):
    """Broken: compile() makes a second optimizer that no step applies."""

    def compile(self, **kwargs):
        super().compile(**kwargs)
        self.decoder_optimizer = keras.optimizers.Adam()
        self.decoder_optimizer.build(self.decoder.trainable_variables)


def _autoencoder(dead_code=False):
    layers = [keras.Input((4,)), keras.layers.Dense(2, name="code")]
    if dead_code:
        # Codes clipped to 0: nothing before or right after gets a gradient.
        layers.append(keras.layers.ReLU(max_value=0.0, name="dead"))
    encoder = keras.Sequential(layers, name="encoder")
    decoder = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(4, name="pixels")], name="decoder"
    )
    return encoder, decoder


def _gan():
    generator = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(3, name="g_dense")], name="generator"
    )
    discriminator = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(1, name="d_dense")],
        name="discriminator",
    )
    return GAN(generator, discriminator, seed=0)


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

    # ---------------------------------------------- every branch, proven to fire

    def _layer_failure(self, layer_cls, init_kwargs, **kwargs):
        """The failure message of run_layer_test on (2, 4) inputs."""
        options = {
            "input_shape": (2, 4),
            "run_training_check": False,
            "run_precision_check": False,
            "run_saving_check": False,
        }
        options.update(kwargs)
        with self.assertRaises(AssertionError) as context:
            self.run_layer_test(layer_cls, init_kwargs, **options)
        return str(context.exception)

    def test_weight_created_in_call_fails(self):
        message = self._layer_failure(LateWeightDense, {"units": 3})
        self.assertIn(
            "LateWeightDense has 0 weight(s) after build() but 2 after the first "
            "call: create every weight (and build every sublayer) in build().",
            message,
        )

    def test_build_that_does_not_set_built_fails(self):
        message = self._layer_failure(NeverBuiltDense, {"units": 3})
        self.assertIn(
            "NeverBuiltDense.build() did not mark the layer as built", message
        )

    def test_symbolic_and_eager_shapes_disagreeing_fail(self):
        message = self._layer_failure(SpecShapeDense, {"units": 3})
        self.assertIn(
            "SpecShapeDense: the symbolic and the eager call disagree on the shape "
            "of output 0: (2, 4) and (2, 3).",
            message,
        )

    def test_symbolic_and_eager_dtypes_disagreeing_fail(self):
        message = self._layer_failure(SpecDtypeDense, {"units": 3})
        self.assertIn(
            "SpecDtypeDense: the symbolic and the eager call disagree on the dtype "
            "of output 0: 'float16' and 'float32'.",
            message,
        )

    def test_wrong_variable_dtype_fails_precision_test(self):
        with self.assertRaises(AssertionError) as context:
            self.run_precision_test(
                ComputeDtypeWeightDense,
                {"units": 3},
                input_shape=(2, 4),
                policies=("mixed_float16",),
            )
        message = str(context.exception)
        self.assertIn("variable dtype must be 'float32'", message)
        self.assertIn("kernel (float16)", message)
        self.assertIn("bias (float16)", message)

    def test_overflow_under_float16_fails_precision_test(self):
        # Finite in float32 and bfloat16 (float32's range) ...
        self.run_precision_test(
            OverflowingSquare, {}, input_shape=(2, 4), policies=("mixed_bfloat16",)
        )
        # ... but 1e6 and more is inf in float16.
        with self.assertRaises(AssertionError) as context:
            self.run_precision_test(
                OverflowingSquare, {}, input_shape=(2, 4), policies=("mixed_float16",)
            )
        self.assertIn(
            "OverflowingSquare under dtype policy 'mixed_float16': output 0 holds "
            "inf or nan",
            str(context.exception),
        )

    def test_dtype_not_passed_to_super_fails_precision_test(self):
        with self.assertRaises(AssertionError) as context:
            self.run_precision_test(DtypeSwallowingDense, {"units": 3}, (2, 4))
        self.assertIn(
            "the layer's dtype policy is 'float32'; pass **kwargs (with `dtype`) "
            "on to super().__init__()",
            str(context.exception),
        )

    def test_dtype_not_passed_to_a_sublayer_fails_precision_test(self):
        with self.assertRaises(AssertionError) as context:
            self.run_precision_test(
                Float32SublayerDense,
                {"units": 3},
                input_shape=(2, 4),
                policies=("mixed_float16",),
            )
        message = str(context.exception)
        self.assertIn(
            "has dtype 'float32', expected the compute dtype 'float16'", message
        )
        self.assertIn(
            "Sublayer(s) with another dtype policy: Dense 'proj' (float32)", message
        )

    def test_config_value_stored_differently_fails(self):
        message = self._layer_failure(HalvingConfigDense, {"units": 3, "scale": 2.0})
        self.assertIn(
            "HalvingConfigDense.get_config() stores scale=1.0, but the layer was "
            "constructed with scale=2.0.",
            message,
        )

    def test_config_changing_across_from_config_fails(self):
        # `scale` is not passed, so the stored-value check has nothing to
        # compare; the round trip still shows the config drifting.
        message = self._layer_failure(DriftingConfigDense, {"units": 3})
        self.assertIn(
            "DriftingConfigDense.from_config(get_config()) gives a different config "
            "(scale: 2.0 -> 4.0).",
            message,
        )

    def test_weight_not_restored_after_loading_fails(self):
        # The bias starts at zeros: only the randomized weights expose it.
        with self.assertRaises(AssertionError) as context:
            self.run_saving_test(BiasNotLoadedDense(3), _data(2, 4))
        self.assertIn(
            "gives different outputs after the .keras round trip",
            str(context.exception),
        )
        # Without the randomization a fresh layer passes: the reason for it.
        self.run_saving_test(
            BiasNotLoadedDense(3), _data(2, 4), randomize_weights=False
        )

    def test_weight_not_restored_fails_layer_test(self):
        with self.assertRaises(AssertionError) as context:
            self.run_layer_test(
                BiasNotLoadedDense,
                {"units": 3},
                input_shape=(2, 4),
                run_training_check=False,
                run_precision_check=False,
            )
        self.assertIn(
            "gives different outputs after the .keras round trip",
            str(context.exception),
        )

    def test_randomized_weights_change_every_float_weight(self):
        layer = keras.layers.BatchNormalization()
        layer.build((2, 4))
        before = [ops.convert_to_numpy(w) for w in layer.weights]
        self._randomize_weights(layer)
        for weight, old in zip(layer.weights, before, strict=True):
            new = ops.convert_to_numpy(weight)
            self.assertFalse(np.any(new == old), weight.path)
        # Non-negative weights (the moving variance) stay non-negative.
        self.assertTrue(np.all(ops.convert_to_numpy(layer.moving_variance) > 0))

    def test_randomized_weights_refresh_cached_state(self):
        # Normalization caches mean and variance computed from its adapted
        # weights; the perturbed weights must reach them, as after loading.
        inputs = keras.Input((3,))
        norm = keras.layers.Normalization(axis=-1, name="norm")
        norm.adapt(_data(8, 3))
        model = keras.Model(inputs, norm(inputs))
        self.run_saving_test(model, _data(2, 3))

    def test_nan_output_fails_from_config_comparison(self):
        message = self._layer_failure(NaNDense, {"units": 3})
        self.assertIn("NaNDense (eager call): output 0 holds 6 NaN or inf", message)

    def test_nan_output_fails_saving_test(self):
        with self.assertRaises(AssertionError) as context:
            self.run_saving_test(NaNDense(3), _data(2, 4))
        self.assertIn(
            "before saving: output 0 holds 6 NaN or inf", str(context.exception)
        )

    # -------------------------------------------------------------- trainers

    def test_trainer_test_passes_on_a_gan_and_returns_the_loaded_trainer(self):
        gan = _gan()
        loaded = self.run_trainer_test(
            gan, _data(4, 3), expected_generation_shape=(2, 3)
        )
        self.assertIsInstance(loaded, GAN)
        # Both inner optimizers advanced (and were restored).
        self.assertEqual(int(gan.generator_optimizer.iterations), 1)
        self.assertEqual(int(gan.discriminator_optimizer.iterations), 1)
        self.assertEqual(int(loaded.generator_optimizer.iterations), 1)

    def test_trainer_test_finds_every_inner_optimizer(self):
        gan = _gan()
        gan.compile()
        labels = [label for label, _ in trainer_checks_module._optimizers(gan)]
        self.assertEqual(
            labels,
            ["discriminator_optimizer", "generator_optimizer", "optimizer"],
        )

    def test_optimizer_that_does_not_advance_fails_trainer_test(self):
        trainer = ForgottenOptimizerAutoencoder(*_autoencoder())
        with self.assertRaises(AssertionError) as context:
            self.run_trainer_test(trainer, _data(4, 4), run_saving_check=False)
        self.assertIn(
            "did not advance the iterations of optimizer(s) decoder_optimizer "
            "(Adam, iterations 0)",
            str(context.exception),
        )

    def test_weight_that_does_not_train_fails_trainer_test(self):
        trainer = Autoencoder(*_autoencoder(dead_code=True))
        with self.assertRaises(AssertionError) as context:
            self.run_trainer_test(trainer, _data(4, 4), run_saving_check=False)
        message = str(context.exception)
        self.assertIn("did not change the trainable weight(s)", message)
        self.assertIn("code/kernel", message)

    def test_wrong_generation_shape_fails_trainer_test(self):
        trainer = Autoencoder(*_autoencoder())
        with self.assertRaises(AssertionError) as context:
            self.run_trainer_test(
                trainer,
                _data(4, 4),
                expected_generation_shape=(2, 5),
                run_saving_check=False,
            )
        self.assertIn(
            "generates samples of shape (2, 4), expected (2, 5)", str(context.exception)
        )

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


@pytest.mark.parametrize("module", HARNESS_MODULES)
def test_docstring_examples_run(module):
    results = doctest.testmod(
        importlib.import_module(f"keras_dlkit.testing.{module}"),
        optionflags=doctest.ELLIPSIS,
        verbose=False,
    )
    assert results.attempted > 0
    assert results.failed == 0


def test_test_case_composes_every_check():
    for module in HARNESS_MODULES[1:-1]:
        mixin = importlib.import_module(f"keras_dlkit.testing.{module}")
        for name in mixin.__all__:
            symbol = getattr(mixin, name)
            if isinstance(symbol, type):
                assert issubclass(TestCase, symbol), name


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
