"""``get_layout_map``: the transformer family's weights shard over a device mesh.

The sharded run needs several devices: JAX on a CPU makes four with
``XLA_FLAGS=--xla_force_host_platform_device_count=4``, which must be set
before JAX starts, so that check runs in a fresh interpreter (on the JAX
suite only: it forces the JAX backend whatever the suite's).
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_dlkit.models import (
    get_model_entry,
    list_models,
    transformer_layout_map,
)


def _mesh(shape=(2, 2)):
    devices = np.array([f"cpu:{i}" for i in range(int(np.prod(shape)))])
    return keras.distribution.DeviceMesh(shape, ("batch", "model"), devices)


def test_every_transformer_builder_offers_the_layout_map():
    names = list_models(family="transformers")
    assert {"gpt", "gpt2_small", "bert_base", "t5_small", "vit_b16"} <= set(names)
    for name in names:
        builder = get_model_entry(name).builder
        assert builder.get_layout_map is transformer_layout_map, name


def test_the_patterns_shard_attention_heads_and_feed_forward_columns():
    model = get_model_entry("gpt").builder(**get_model_entry("gpt").test_config)
    layout_map = transformer_layout_map(_mesh())
    axes = {w.path: getattr(layout_map[w.path], "axes", None) for w in model.weights}
    kinds = {
        "self_attention/query/kernel": ("batch", "model", None),
        "self_attention/key/kernel": ("batch", "model", None),
        "self_attention/value/kernel": ("batch", "model", None),
        "self_attention/attention_output/kernel": ("model", None, "batch"),
        "feed_forward/intermediate/kernel": ("batch", "model"),
        "feed_forward/output/kernel": ("model", "batch"),
        "token_embedding/embeddings": (None, "model"),
    }
    for suffix, expected in kinds.items():
        matched = [path for path in axes if path.endswith(suffix)]
        assert matched, f"no weight path ends in {suffix}: {sorted(axes)}"
        assert all(axes[path] == expected for path in matched), (suffix, matched)
    replicated = [p for p in axes if p.endswith(("/gamma", "/beta", "/bias"))]
    assert replicated and all(axes[p] is None for p in replicated)


def test_the_layout_map_rejects_a_bad_mesh():
    with pytest.raises(ValueError, match="`device_mesh`"):
        transformer_layout_map("2x2")
    with pytest.raises(ValueError, match="`model_parallel_dim_name` 'tensor'"):
        transformer_layout_map(_mesh(), model_parallel_dim_name="tensor")
    with pytest.raises(ValueError, match="`data_parallel_dim_name` 'data'"):
        transformer_layout_map(_mesh(), data_parallel_dim_name="data")


_SHARDED_RUN = r"""
import json
import numpy as np
import keras
from keras_dlkit.models import get_model_entry

def run(name, inputs):
    entry = get_model_entry(name)
    keras.utils.set_random_seed(0)
    model = entry.builder(**entry.test_config)
    expected = keras.tree.map_structure(keras.ops.convert_to_numpy, model(inputs))
    devices = keras.distribution.list_devices()
    mesh = keras.distribution.DeviceMesh((2, 2), ("batch", "model"), devices)
    distribution = keras.distribution.ModelParallel(
        layout_map=entry.builder.get_layout_map(mesh), batch_dim_name="batch")
    with distribution.scope():
        sharded = entry.builder(**entry.test_config)
        sharded.set_weights(model.get_weights())
        got = keras.tree.map_structure(keras.ops.convert_to_numpy, sharded(inputs))
    specs = {w.path: str(w.value.sharding.spec) for w in sharded.weights}
    error = max(
        float(np.max(np.abs(g - e)) / max(np.max(np.abs(e)), 1e-12))
        for g, e in zip(keras.tree.flatten(got), keras.tree.flatten(expected)))
    return {"devices": len(devices), "error": error, "specs": specs}

rng = np.random.default_rng(0)
out = {}
for name in ("gpt", "vit"):
    out[name] = run(name, get_model_entry(name).make_test_inputs(rng, 4))
print(json.dumps(out))
"""


@pytest.mark.subprocess
def test_a_small_gpt_and_vit_sharded_over_a_2x2_mesh_give_the_unsharded_outputs():
    if keras.backend.backend() != "jax":
        pytest.skip(
            "keras.distribution's ModelParallel runs on JAX; the JAX suite runs it"
        )
    env = dict(os.environ, KERAS_BACKEND="jax")
    env["XLA_FLAGS"] = (
        env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
    ).strip()
    root = os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    )
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run(
        [sys.executable, "-c", _SHARDED_RUN],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for name, run in result.items():
        assert run["devices"] == 4, name
        assert run["error"] < 1e-5, (name, run["error"])
        query = [s for p, s in run["specs"].items() if p.endswith("query/kernel")]
        assert query and all("'batch', 'model'" in s for s in query), (name, query)
        ffn = [s for p, s in run["specs"].items() if p.endswith("intermediate/kernel")]
        assert ffn and all("'batch', 'model'" in s for s in ffn), (name, ffn)
