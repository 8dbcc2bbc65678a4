"""Inception modules against the same branches built from plain Keras layers."""

import keras
import numpy as np
import pytest

from keras_dlkit.blocks import (
    InceptionA,
    InceptionB,
    InceptionC,
    InceptionD,
    InceptionE,
    InceptionModule,
)
from keras_dlkit.testing import TestCase


class Reference:
    """keras.applications.inception_v3's ``conv2d_bn``, recording its layers."""

    def __init__(self, batch_norm=True, norm_scale=False):
        self.units = []
        self.batch_norm = batch_norm
        self.norm_scale = norm_scale

    def __call__(self, x, filters, kernel, strides=1, padding="same"):
        conv = keras.layers.Conv2D(
            filters,
            kernel,
            strides=strides,
            padding=padding,
            use_bias=not self.batch_norm,
        )
        x = conv(x)
        bn = None
        if self.batch_norm:
            bn = keras.layers.BatchNormalization(scale=self.norm_scale)
            x = bn(x)
        self.units.append((conv, bn))
        return keras.layers.Activation("relu")(x)


def avg_pool(x):
    return keras.layers.AveragePooling2D(3, strides=1, padding="same")(x)


def concat(tensors):
    return keras.layers.Concatenate()(tensors)


def reference_a(x, u, pool, f1, f5, f3):
    b1 = u(x, f1, 1)
    b5 = u(u(x, f5[0], 1), f5[1], 5)
    b3 = u(u(u(x, f3[0], 1), f3[1], 3), f3[2], 3)
    return concat([b1, b5, b3, u(avg_pool(x), pool, 1)])


def reference_b(x, u, f3, fd):
    b3 = u(x, f3, 3, 2, "valid")
    bd = u(u(u(x, fd[0], 1), fd[1], 3), fd[2], 3, 2, "valid")
    return concat([b3, bd, keras.layers.MaxPooling2D(3, strides=2)(x)])


def reference_c(x, u, c7, f):
    b1 = u(x, f, 1)
    b7 = u(u(u(x, c7, 1), c7, (1, 7)), f, (7, 1))
    bd = u(x, c7, 1)
    for filters, kernel in ((c7, (7, 1)), (c7, (1, 7)), (c7, (7, 1)), (f, (1, 7))):
        bd = u(bd, filters, kernel)
    return concat([b1, b7, bd, u(avg_pool(x), f, 1)])


def reference_d(x, u, f3, f7):
    b3 = u(u(x, f3[0], 1), f3[1], 3, 2, "valid")
    b7 = u(u(u(u(x, f7, 1), f7, (1, 7)), f7, (7, 1)), f7, 3, 2, "valid")
    return concat([b3, b7, keras.layers.MaxPooling2D(3, strides=2)(x)])


def reference_e(x, u, f1, f3, fd, pool):
    b1 = u(x, f1, 1)
    b3 = u(x, f3, 1)
    b3 = concat([u(b3, f3, (1, 3)), u(b3, f3, (3, 1))])
    bd = u(u(x, fd[0], 1), fd[1], 3)
    bd = concat([u(bd, f3, (1, 3)), u(bd, f3, (3, 1))])
    return concat([b1, b3, bd, u(avg_pool(x), pool, 1)])


def reference_googlenet(x, u, f1, f3r, f3, f5r, f5, proj, k5):
    b1 = u(x, f1, 1)
    b3 = u(u(x, f3r, 1), f3, 3)
    b5 = u(u(x, f5r, 1), f5, k5)
    pool = keras.layers.MaxPooling2D(3, strides=1, padding="same")(x)
    return concat([b1, b3, b5, u(pool, proj, 1)])


CASES = [
    # block, its arguments, reference, its arguments, input shape
    (InceptionA, {"pool_filters": 3, "filters_1x1": 4, "filters_5x5": (3, 4),
                  "filters_3x3dbl": (2, 3, 5)},
     reference_a, (3, 4, (3, 4), (2, 3, 5)), (9, 9, 6)),
    (InceptionB, {"filters_3x3": 5, "filters_3x3dbl": (2, 3, 4)},
     reference_b, (5, (2, 3, 4)), (9, 8, 6)),
    (InceptionC, {"filters_7x7": 3, "filters": 4}, reference_c, (3, 4), (9, 9, 6)),
    (InceptionD, {"filters_3x3": (3, 5), "filters_7x7x3": 4},
     reference_d, ((3, 5), 4), (9, 10, 6)),
    (InceptionE, {"filters_1x1": 4, "filters_3x3": 3, "filters_3x3dbl": (5, 3),
                  "pool_filters": 2},
     reference_e, (4, 3, (5, 3), 2), (5, 5, 6)),
]  # fmt: skip


def randomize(layer, rng):
    layer.set_weights(
        [
            rng.uniform(0.5, 1.5, size=w.shape).astype("float32")
            if "variance" in w.path or "gamma" in w.path
            else rng.normal(0.0, 0.3, size=w.shape).astype("float32")
            for w in layer.weights
        ]
    )


class InceptionModulesTest(TestCase):
    def check_against_reference(self, block, reference_fn, args, shape, reference):
        rng = np.random.default_rng(0)
        inputs = keras.Input(shape)
        model = keras.Model(inputs, reference_fn(inputs, reference, *args))
        block.build((None, *shape))
        units = block.units()
        self.assertEqual(len(units), len(reference.units))
        for (conv, bn), (ref_conv, ref_bn) in zip(units, reference.units, strict=True):
            randomize(ref_conv, rng)
            conv.set_weights(ref_conv.get_weights())
            if ref_bn is not None:
                randomize(ref_bn, rng)
                bn.set_weights(ref_bn.get_weights())
        x = rng.normal(size=(2, *shape)).astype("float32")
        self.assertAllClose(block(x), model(x), atol=1e-5, rtol=1e-5)
        self.assertEqual(
            tuple(block.compute_output_shape((2, *shape))), tuple(model(x).shape)
        )

    def test_v3_modules_equal_keras_applications_branches(self):
        for cls, kwargs, reference_fn, args, shape in CASES:
            with self.subTest(cls.__name__):
                self.check_against_reference(
                    cls(**kwargs), reference_fn, args, shape, Reference()
                )

    def test_googlenet_module_equals_plain_layers(self):
        args = (4, 3, 5, 2, 3, 2)
        for batch_norm, k5 in ((False, 5), (True, 3)):
            block = InceptionModule(*args, kernel_size_5x5=k5, batch_norm=batch_norm)
            self.check_against_reference(
                block,
                reference_googlenet,
                (*args, k5),
                (7, 7, 5),
                Reference(batch_norm=batch_norm, norm_scale=True),
            )

    def test_harness_v3_modules(self):
        for cls, kwargs, _, _, shape in CASES:
            with self.subTest(cls.__name__):
                block = cls(**kwargs)
                self.run_layer_test(
                    cls,
                    kwargs,
                    input_shape=(2, *shape),
                    expected_output_shape=block.compute_output_shape((2, *shape)),
                    # Conv kernel, BN beta: trainable; BN moving mean, variance.
                    expected_num_trainable_weights=2 * len(block.unit_names),
                    expected_num_non_trainable_weights=2 * len(block.unit_names),
                    run_precision_check=cls is InceptionE,
                    run_saving_check=cls is InceptionE,
                )

    def test_harness_googlenet_module(self):
        self.run_layer_test(
            InceptionModule,
            {
                "filters_1x1": 2,
                "filters_3x3_reduce": 2,
                "filters_3x3": 3,
                "filters_5x5_reduce": 2,
                "filters_5x5": 3,
                "pool_proj": 2,
                "batch_norm": False,
            },
            input_shape=(2, 6, 6, 4),
            expected_output_shape=(2, 6, 6, 10),
            expected_num_trainable_weights=12,
            expected_num_non_trainable_weights=0,
        )

    def test_keras_applications_widths(self):
        # mixed0 ... mixed10 output channels of keras.applications.InceptionV3.
        shapes = [
            (InceptionA(32), (None, 35, 35, 192), (None, 35, 35, 256)),
            (InceptionA(64), (None, 35, 35, 256), (None, 35, 35, 288)),
            (InceptionB(), (None, 35, 35, 288), (None, 17, 17, 768)),
            (InceptionC(128), (None, 17, 17, 768), (None, 17, 17, 768)),
            (InceptionD(), (None, 17, 17, 768), (None, 8, 8, 1280)),
            (InceptionE(), (None, 8, 8, 1280), (None, 8, 8, 2048)),
        ]
        for block, input_shape, output_shape in shapes:
            self.assertEqual(
                tuple(block.compute_output_shape(input_shape)), output_shape
            )

    def test_weight_names(self):
        block = InceptionA(32, name="mixed0")
        block.build((None, 35, 35, 192))
        self.assertEqual(
            [w.path for w in block.weights[:3]],
            ["mixed0/branch1x1_conv/kernel", "mixed0/branch1x1_bn/beta",
             "mixed0/branch1x1_bn/moving_mean"],
        )  # fmt: skip


@pytest.mark.parametrize(
    "cls, kwargs, argument",
    [
        (InceptionA, {"pool_filters": 0}, "pool_filters"),
        (InceptionA, {"pool_filters": 32, "filters_5x5": (48,)}, "filters_5x5"),
        (InceptionB, {"filters_3x3dbl": (64, 96, 0)}, "filters_3x3dbl"),
        (InceptionC, {"filters_7x7": 2.5}, "filters_7x7"),
        (InceptionD, {"filters_7x7x3": -1}, "filters_7x7x3"),
        (InceptionE, {"norm_epsilon": 0.0}, "norm_epsilon"),
        (InceptionE, {"batch_norm": "yes"}, "batch_norm"),
        (InceptionC, {"filters_7x7": 8, "kernel_initializer": "nope"}, "kernel_initializer"),
        (InceptionModule, {"filters_1x1": 1, "filters_3x3_reduce": 1, "filters_3x3": 1,
                           "filters_5x5_reduce": 1, "filters_5x5": 1, "pool_proj": 0},
         "pool_proj"),
    ],
)  # fmt: skip
def test_bad_arguments(cls, kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        cls(**kwargs)


def test_rejects_non_4d_input():
    with pytest.raises(ValueError, match="`input_shape`.*4D"):
        InceptionB().build((None, 10, 8))
