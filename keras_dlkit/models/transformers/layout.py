"""Sharding of the transformer family's weights for ``keras.distribution``.

Every transformer builder of this family names its sublayers the same way
(``token_embedding``; ``self_attention`` / ``cross_attention`` with
``query``, ``key``, ``value`` and ``attention_output``; ``feed_forward``
with ``intermediate``, ``gate`` and ``output``), so one set of path
patterns shards all of them. Each builder offers it as
``builder.get_layout_map(device_mesh)``, as keras-hub's backbones do.
"""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export


@keras_dlkit_export("keras_dlkit.models.transformer_layout_map")
def transformer_layout_map(
    device_mesh: Any,
    model_parallel_dim_name: str = "model",
    data_parallel_dim_name: str = "batch",
) -> Any:
    """A ``keras.distribution.LayoutMap`` for this family's transformer models.

    Megatron-style tensor parallelism over the ``model`` axis of the mesh,
    with the other axis of each kernel sharded over the ``batch`` axis (the
    weights are not replicated across data-parallel replicas either):

    ========================================  ============================
    weight (path pattern)                     sharding (axis per dimension)
    ========================================  ============================
    ``token_embedding/embeddings``            ``(None, model)``: hidden axis
    ``attention/(query|key|value)/kernel``    ``(batch, model, None)``: heads
    ``attention/attention_output/kernel``     ``(model, None, batch)``: heads
    ``feed_forward/(intermediate|gate)/...``  ``(batch, model)``: columns
    ``feed_forward/output/kernel``            ``(model, batch)``: rows
    ========================================  ============================

    Patterns match a weight's whole path (``keras.distribution.LayoutMap``
    uses ``re.fullmatch``), so each starts with ``.*``.

    The number of heads (query and key/value heads), the feed-forward width
    and the hidden size must be divisible by the size of the mesh axis they
    are sharded over; the vocabulary is not sharded (GPT-2's 50,257 tokens
    divide by nothing). Every other weight (norms, biases, position
    embeddings, heads) is replicated.

    Args:
        device_mesh: A ``keras.distribution.DeviceMesh`` with the two axes.
        model_parallel_dim_name: The mesh axis the kernels are split over.
        data_parallel_dim_name: The mesh axis the batch is split over.

    Returns:
        A ``keras.distribution.LayoutMap`` for
        ``keras.distribution.ModelParallel(layout_map=..., batch_dim_name=...)``.

    Raises:
        ValueError: If ``device_mesh`` is not a ``DeviceMesh`` or lacks one of
            the two axis names.

    Example:

    Every transformer builder offers it. Distributing needs a backend with
    ``keras.distribution.list_devices()`` (JAX; TensorFlow in part)::

        mesh = keras.distribution.DeviceMesh(
            (2, 4), ("batch", "model"), keras.distribution.list_devices())
        distribution = keras.distribution.ModelParallel(
            layout_map=gpt2_small.get_layout_map(mesh), batch_dim_name="batch")
        with distribution.scope():
            model = gpt2_small()

    >>> from keras_dlkit.models import gpt2_small, transformer_layout_map
    >>> gpt2_small.get_layout_map is transformer_layout_map
    True
    """
    if not isinstance(device_mesh, keras.distribution.DeviceMesh):
        raise ValueError(
            f"`device_mesh` must be a keras.distribution.DeviceMesh, got "
            f"{device_mesh!r}."
        )
    for argument, axis in (
        ("model_parallel_dim_name", model_parallel_dim_name),
        ("data_parallel_dim_name", data_parallel_dim_name),
    ):
        if axis not in device_mesh.axis_names:
            raise ValueError(
                f"`{argument}` {axis!r} is not an axis of the device mesh; its "
                f"axes are {list(device_mesh.axis_names)}."
            )
    model, data = model_parallel_dim_name, data_parallel_dim_name
    layout_map = keras.distribution.LayoutMap(device_mesh)
    layout_map[".*token_embedding/embeddings"] = (None, model)
    layout_map[".*attention/(query|key|value)/kernel"] = (data, model, None)
    layout_map[".*attention/attention_output/kernel"] = (model, None, data)
    layout_map[".*feed_forward/(intermediate|gate)/kernel"] = (data, model)
    layout_map[".*feed_forward/output/kernel"] = (model, data)
    return layout_map
