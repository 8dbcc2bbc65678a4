"""Variants are written out: real docstrings in the source, 0.1.0's signatures."""

import ast
import inspect

import pytest

from keras_dlkit.models import get_model_entry, list_models

RESNETS = [
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnet50v2",
    "resnet101v2",
    "resnet152v2",
]
VGGS = [f"vgg{depth}{bn}" for bn in ("", "_bn") for depth in (11, 13, 16, 19)]
#: keras.applications.EfficientNetB0 ... B7's width and depth coefficients,
#: resolution and dropout rate.
EFFICIENTNETS = {
    "efficientnet_b0": (1.0, 1.0, 224, 0.2),
    "efficientnet_b1": (1.0, 1.1, 240, 0.2),
    "efficientnet_b2": (1.1, 1.2, 260, 0.3),
    "efficientnet_b3": (1.2, 1.4, 300, 0.3),
    "efficientnet_b4": (1.4, 1.8, 380, 0.4),
    "efficientnet_b5": (1.6, 2.2, 456, 0.4),
    "efficientnet_b6": (1.8, 2.6, 528, 0.5),
    "efficientnet_b7": (2.0, 3.1, 600, 0.5),
}
CNN_HEAD = [
    ("input_shape", (224, 224, 3)),
    ("num_classes", 1000),
    ("include_top", True),
    ("pooling", None),
    ("classifier_activation", "softmax"),
    ("weights", None),
]


def parameters(name):
    """``(name, default)`` of each parameter; all but EfficientNet's positional."""
    signature = inspect.signature(get_model_entry(name).builder)
    kinds = {p.kind for p in signature.parameters.values()}
    if not name.startswith("efficientnet"):
        assert kinds == {inspect.Parameter.POSITIONAL_OR_KEYWORD}
    return [(p.name, p.default) for p in signature.parameters.values()]


@pytest.mark.parametrize("name", list_models())
def test_docstring_is_written_in_the_source(name):
    # A docstring made at run time (``__doc__ = ...``, a factory) fails this.
    builder = inspect.unwrap(get_model_entry(name).builder)
    tree = ast.parse(inspect.getsource(inspect.getmodule(builder)))
    definitions = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
        and node.name == builder.__name__
    ]
    assert len(definitions) == 1, f"{name}: no single `def {builder.__name__}`"
    assert ast.get_docstring(definitions[0]) == inspect.getdoc(builder)
    assert "Example:" in inspect.getdoc(builder)


@pytest.mark.parametrize("name", RESNETS)
def test_resnet_signature_is_0_1_0s(name):
    assert parameters(name) == [*CNN_HEAD, ("width_multiplier", 1.0), ("name", name)]


@pytest.mark.parametrize("name", VGGS)
def test_vgg_signature_is_0_1_0s(name):
    assert parameters(name) == [
        *CNN_HEAD,
        ("width_multiplier", 1.0),
        ("dense_units", 4096),
        ("dropout", 0.5),
        ("name", name),
    ]


@pytest.mark.parametrize("name", sorted(EFFICIENTNETS))
def test_efficientnet_signature_is_0_1_0s(name):
    width, depth, resolution, dropout = EFFICIENTNETS[name]
    assert parameters(name) == [
        ("input_shape", (resolution, resolution, 3)),
        *CNN_HEAD[1:],
        ("width_coefficient", width),
        ("depth_coefficient", depth),
        ("dropout", dropout),
        ("drop_connect_rate", 0.2),
        ("include_preprocessing", True),
        ("name", name),
    ]
    signature = inspect.signature(get_model_entry(name).builder)
    keyword_only = [
        p.name
        for p in signature.parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    assert keyword_only[0] == "width_coefficient" and len(keyword_only) == 6
