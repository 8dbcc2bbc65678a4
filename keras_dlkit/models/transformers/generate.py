"""Text generation with a key/value cache for the GPT-like models and T5."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.backends import backend_module
from keras_dlkit.utils.validation import check_float, check_int

SAMPLERS: tuple[str, ...] = ("greedy", "top_k", "top_p", "beam", "random")

# Each model keeps its compiled generate functions, {configuration: (function,
# sampler)}, in this attribute (set past Keras's tracking; the functions hold
# the model, so a table keyed by model would keep every model alive).
_FUNCTIONS_ATTRIBUTE = "_keras_dlkit_generate_functions"


def compiled_functions(model: keras.Model) -> dict:
    """The compiled generate functions a model keeps, by configuration."""
    functions = model.__dict__.get(_FUNCTIONS_ATTRIBUTE)
    if functions is None:
        functions = {}
        object.__setattr__(model, _FUNCTIONS_ATTRIBUTE, functions)
    return functions


# How many times the generation loop was traced (run in Python): on JAX and
# TensorFlow it grows only when a function is compiled, on torch every call.
TRACE_COUNT = 0


def _layer(model: keras.Model, name: str) -> Any:
    try:
        return model.get_layer(name)
    except ValueError:
        return None


def _output_layer(model: keras.Model) -> Any:
    outputs = getattr(model, "outputs", None)
    if not outputs or len(outputs) != 1:
        return None
    history = getattr(outputs[0], "_keras_history", None)
    return None if history is None else history[0]


def _not_supported(model: Any) -> ValueError:
    return ValueError(
        f"`model`={getattr(model, 'name', model)!r} is not supported: generate "
        "takes a keras_dlkit causal language model (`gpt`, `gpt2_*`, `gpt3_*` or "
        '`llama_style` with `head="causal_lm"`) or a text-to-text T5 (`t5`, '
        '`t5_small`, `t5_base` with `head="text_to_text"`), built or reloaded '
        "from `.keras`; backbones (`head=None`), BERT, ViT and other models "
        "have no language-model head to generate from."
    )


class _CausalLM:
    """The layers of a GPT-like model, called one step at a time."""

    def __init__(self, model: keras.Model):
        self.model = model
        self.token_embedding = _layer(model, "token_embedding")
        self.position_embedding = _layer(model, "position_embedding")
        self.embeddings_add = _layer(model, "embeddings_add")
        self.final_norm = _layer(model, "final_norm")
        self.blocks = []
        while (
            block := _layer(model, f"transformer_layer_{len(self.blocks)}")
        ) is not None:
            self.blocks.append(block)
        attention = self.blocks[0].self_attention
        self.kv_heads, self.key_dim = attention.kv_heads, attention.key_dim
        self.context = getattr(self.position_embedding, "sequence_length", None)

    @classmethod
    def matches(cls, model: keras.Model) -> bool:
        embedding = _layer(model, "token_embedding")
        return (
            embedding is not None
            and _layer(model, "transformer_layer_0") is not None
            and _layer(model, "final_norm") is not None
            and _layer(model, "encoder_layer_0") is None
            and _output_layer(model) is embedding
        )

    def empty_cache(self, batch: int, length: int) -> Any:
        shape = (batch, len(self.blocks), 2, length, self.kv_heads, self.key_dim)
        return ops.zeros(shape, dtype=self.blocks[0].compute_dtype)

    def call_with_cache(self, token_ids: Any, cache: Any, index: Any) -> tuple:
        x = self.token_embedding(token_ids)
        if self.position_embedding is not None:
            positions = self.position_embedding(x, start_index=index)
            x = self.embeddings_add([x, positions])
        caches = []
        for i, block in enumerate(self.blocks):
            x, layer_cache = block(
                x,
                self_attention_cache=cache[:, i],
                self_attention_cache_update_index=index,
            )
            caches.append(layer_cache)
        x = self.final_norm(x)
        return self.token_embedding(x, reverse=True), ops.stack(caches, axis=1)

    def logits(self, token_ids: Any) -> Any:
        mask = ops.ones_like(token_ids, dtype="int32")
        return self.model({"token_ids": token_ids, "padding_mask": mask})


class _TextToText:
    """The layers of a T5 model: the encoder once, the decoder step by step."""

    def __init__(self, model: keras.Model):
        self.model = model
        self.token_embedding = _layer(model, "token_embedding")
        self.encoder_bias = _layer(model, "encoder_relative_position_bias")
        self.decoder_bias = _layer(model, "decoder_relative_position_bias")
        self.encoder_norm = _layer(model, "encoder_final_norm")
        self.decoder_norm = _layer(model, "decoder_final_norm")
        self.logits_scale = _layer(model, "logits_scale")
        self.encoder_blocks, self.decoder_blocks = [], []
        for stack, blocks in (
            ("encoder", self.encoder_blocks),
            ("decoder", self.decoder_blocks),
        ):
            while (block := _layer(model, f"{stack}_layer_{len(blocks)}")) is not None:
                blocks.append(block)
        attention = self.decoder_blocks[0].self_attention
        self.kv_heads, self.key_dim = attention.kv_heads, attention.key_dim
        self.context = None

    @classmethod
    def matches(cls, model: keras.Model) -> bool:
        embedding = _layer(model, "token_embedding")
        names = ("encoder_layer_0", "decoder_layer_0", "decoder_final_norm")
        return (
            embedding is not None
            and all(_layer(model, name) is not None for name in names)
            and _output_layer(model) is embedding
        )

    def encode(self, token_ids: Any, padding_mask: Any) -> Any:
        x = self.token_embedding(token_ids)
        bias = self.encoder_bias(x)
        for block in self.encoder_blocks:
            x = block(x, padding_mask=padding_mask, attention_bias=bias)
        return self.encoder_norm(x)

    def cross_cache(self, encoder_outputs: Any) -> Any:
        return ops.stack(
            [
                block.compute_cross_attention_cache(encoder_outputs)
                for block in self.decoder_blocks
            ],
            axis=1,
        )

    def empty_cache(self, batch: int, length: int) -> Any:
        shape = (
            batch,
            len(self.decoder_blocks),
            2,
            length,
            self.kv_heads,
            self.key_dim,
        )
        return ops.zeros(shape, dtype=self.decoder_blocks[0].compute_dtype)

    def call_with_cache(self, token_ids: Any, cache: tuple, index: Any) -> tuple:
        self_cache, cross_cache, encoder_mask = cache
        x = self.token_embedding(token_ids)
        bias = self.decoder_bias(x, self_cache[:, 0, 0], start_index=index)
        caches = []
        for i, block in enumerate(self.decoder_blocks):
            x, layer_cache, _ = block(
                x,
                encoder_padding_mask=encoder_mask,
                attention_bias=bias,
                self_attention_cache=self_cache[:, i],
                self_attention_cache_update_index=index,
                cross_attention_cache=cross_cache[:, i],
            )
            caches.append(layer_cache)
        x = self.decoder_norm(x)
        if self.logits_scale is not None:
            x = self.logits_scale(x)
        logits = self.token_embedding(x, reverse=True)
        return logits, (ops.stack(caches, axis=1), cross_cache, encoder_mask)

    def logits(self, token_ids: Any, encoder_ids: Any, encoder_mask: Any) -> Any:
        return self.model(
            {
                "encoder_token_ids": encoder_ids,
                "encoder_padding_mask": encoder_mask,
                "decoder_token_ids": token_ids,
                "decoder_padding_mask": ops.ones_like(token_ids, dtype="int32"),
            }
        )


def _inspect(model: Any) -> Any:
    if not isinstance(model, keras.Model):
        raise _not_supported(model)
    for kind in (_TextToText, _CausalLM):
        if kind.matches(model):
            return kind(model)
    raise _not_supported(model)


def _make_sampler(sampler, top_k, top_p, temperature, num_beams, seed) -> Any:
    """A keras_hub sampler, and its configuration (the compile-cache key)."""
    import keras_hub

    check_float("temperature", temperature, minimum=0.0, min_inclusive=False)
    if top_k is not None:
        check_int("top_k", top_k, minimum=1)
    if top_p is not None:
        check_float("top_p", top_p, minimum=0.0, maximum=1.0, min_inclusive=False)
    if num_beams is not None:
        check_int("num_beams", num_beams, minimum=1)
    if seed is not None:
        check_int("seed", seed, minimum=0)
    samplers = keras_hub.samplers
    if isinstance(sampler, samplers.Sampler):
        config = (type(sampler).__name__, repr(sorted(sampler.get_config().items())))
        return sampler, config
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise ValueError(
            f"`sampler`={sampler!r} is not known: use one of {SAMPLERS} or a "
            "keras_hub.samplers.Sampler instance."
        )
    if sampler == "top_k" and top_k is None:
        raise ValueError('`sampler="top_k"` needs `top_k` (an integer >= 1).')
    if sampler == "top_p" and top_p is None:
        raise ValueError('`sampler="top_p"` needs `top_p` (a number in (0, 1]).')
    if sampler == "beam" and num_beams is None:
        raise ValueError('`sampler="beam"` needs `num_beams` (an integer >= 1).')
    temperature = float(temperature)
    if sampler == "greedy":
        made = samplers.GreedySampler(temperature=temperature)
    elif sampler == "top_k":
        made = samplers.TopKSampler(k=int(top_k), seed=seed, temperature=temperature)
    elif sampler == "top_p":
        made = samplers.TopPSampler(
            p=float(top_p),
            k=None if top_k is None else int(top_k),
            seed=seed,
            temperature=temperature,
        )
    elif sampler == "beam":
        made = samplers.BeamSampler(num_beams=int(num_beams), temperature=temperature)
    else:
        made = samplers.RandomSampler(seed=seed, temperature=temperature)
    return made, (sampler, top_k, top_p, num_beams, temperature)


def _prompt_lists(prompts: Any) -> list[list[int]]:
    if isinstance(prompts, dict):
        if set(prompts) != {"token_ids", "padding_mask"}:
            raise ValueError(
                "`prompts` as a dict must have exactly the keys 'token_ids' and "
                f"'padding_mask', got {sorted(prompts)}."
            )
        ids = np.asarray(ops.convert_to_numpy(prompts["token_ids"]))
        mask = np.asarray(ops.convert_to_numpy(prompts["padding_mask"])).astype(bool)
        if ids.ndim != 2 or ids.shape != mask.shape:
            raise ValueError(
                "`prompts['token_ids']` and `prompts['padding_mask']` must be "
                f"(batch, length) arrays of one shape, got {ids.shape} and "
                f"{mask.shape}."
            )
        rows = [list(row[m]) for row, m in zip(ids, mask, strict=True)]
    else:
        if isinstance(prompts, np.ndarray) and prompts.ndim == 2:
            prompts = prompts.tolist()
        if not isinstance(prompts, (list, tuple)):
            raise ValueError(
                "`prompts` must be a list of token-id lists or a dict "
                f"{{'token_ids', 'padding_mask'}}, got {type(prompts).__name__}."
            )
        rows = []
        for row in prompts:
            row = np.asarray(row)
            if row.ndim != 1 or (row.size and not np.issubdtype(row.dtype, np.integer)):
                raise ValueError(
                    "`prompts` must be a list of token-id lists (integers), got "
                    f"an element {row.tolist()!r}."
                )
            rows.append(list(row))
    if not rows or any(len(row) == 0 for row in rows):
        raise ValueError(
            "`prompts` must hold at least one prompt, each of at least one token "
            "(empty prompts have no token to continue from)."
        )
    return [[int(t) for t in row] for row in rows]


def _right_pad(rows: list[list[int]], length: int) -> tuple:
    ids = np.zeros((len(rows), length), "int32")
    mask = np.zeros((len(rows), length), bool)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = True
    return ids, mask


def _step_functions(runner: Any, use_cache: bool, text_to_text: bool):
    """``generate_step(inputs, sampler, stop_token_ids)``: prompt buffer -> tokens."""

    def generate_step(inputs, sampler, stop_token_ids):
        global TRACE_COUNT
        TRACE_COUNT += 1
        token_ids, padding_mask = inputs["token_ids"], inputs["padding_mask"]
        batch, length = ops.shape(token_ids)[0], ops.shape(token_ids)[1]
        index = ops.min(ops.sum(ops.cast(padding_mask, "int32"), axis=-1))
        if text_to_text:
            encoder_ids = inputs["encoder_token_ids"]
            encoder_mask = inputs["encoder_padding_mask"]
        if use_cache:
            if text_to_text:
                encoded = runner.encode(encoder_ids, encoder_mask)
                cache = (
                    runner.empty_cache(batch, length),
                    runner.cross_cache(encoded),
                    encoder_mask,
                )
            else:
                cache = runner.empty_cache(batch, length)
            # Fill the cache with one pass over the whole prompt buffer; the
            # entries past a row's prompt are stale and never attended to.
            _, cache = runner.call_with_cache(token_ids, cache, 0)

            def next(prompt, cache, index):
                position = index - 1
                last = ops.slice(prompt, [0, position], [ops.shape(prompt)[0], 1])
                logits, cache = runner.call_with_cache(last, cache, position)
                return ops.squeeze(logits, axis=1), None, cache

        else:
            cache = (encoder_ids, encoder_mask) if text_to_text else ()

            def next(prompt, cache, index):
                if text_to_text:
                    logits = runner.logits(prompt, *cache)
                else:
                    logits = runner.logits(prompt)
                vocabulary = ops.shape(logits)[-1]
                position = index - 1
                logits = ops.slice(
                    logits, [0, position, 0], [ops.shape(prompt)[0], 1, vocabulary]
                )
                return ops.squeeze(logits, axis=1), None, cache

        token_ids = sampler(
            next=next,
            prompt=token_ids,
            cache=cache,
            index=index,
            mask=padding_mask,
            stop_token_ids=stop_token_ids,
            model=runner.model,
        )
        # keras-hub's output mask: true up to and including the end token.
        if stop_token_ids is not None:
            from keras_hub.src.utils.tensor_utils import any_equal

            ends = ops.cast(
                any_equal(token_ids, stop_token_ids, ops.logical_not(padding_mask)),
                "int32",
            )
            after = ops.cumsum(ends, axis=-1) - ends
            padding_mask = ops.logical_not(ops.cast(after, "bool"))
        else:
            padding_mask = ops.ones_like(token_ids, dtype="bool")
        token_ids = ops.where(padding_mask, token_ids, ops.zeros_like(token_ids))
        return {"token_ids": token_ids, "padding_mask": padding_mask}

    return generate_step


def _compile(model: keras.Model, generate_step: Any, sampler: Any) -> Any:
    """keras-hub's ``CausalLM.make_generate_function``, for our models.

    The framework's side (``jax.jit`` through a ``StatelessScope``,
    ``tf.function(jit_compile=True)``, ``torch.no_grad()``) lives in
    ``keras_dlkit.backends.<framework>_generate``; a backend without one
    runs the loop eagerly.
    """
    module = backend_module("generate")
    if module is None:
        return lambda inputs, stop_token_ids: generate_step(
            inputs, sampler, stop_token_ids
        )
    return module.compile_generate(model, generate_step, sampler)


@keras_dlkit_export("keras_dlkit.models.generate")
def generate(
    model: keras.Model,
    prompts: Any,
    max_length: int,
    sampler: Any = "greedy",
    *,
    top_k: int | None = None,
    top_p: float | None = None,
    temperature: float = 1.0,
    num_beams: int | None = None,
    end_token_id: int | None = None,
    seed: int | None = None,
    use_cache: bool = True,
    decoder_start_token_id: int = 0,
) -> dict[str, np.ndarray]:
    """Generate tokens from a causal LM (GPT, GPT-2/3, Llama-style) or a T5.

    keras-hub's ``generate`` for keras_dlkit's transformer models, with
    keras-hub's samplers (``keras_hub.samplers``, imported here, so keras-hub
    must be installed: the ``hub`` extra). Their ``next(prompt, cache,
    index)`` contract is exactly a transformer's key/value cache: a
    fixed-length token buffer, a write index, and the keys/values of every
    past position. The prompts are right-padded into a ``(batch,
    max_length)`` buffer; one pass over it fills the cache (``(batch,
    num_layers, 2, max_length, kv_heads, key_dim)``), then each step runs
    the model on one token per row at the write index, starting at the
    shortest prompt's end; the sampler's ``mask`` keeps each longer row's
    prompt tokens, and the causal mask hides the stale cache entries past
    the write index, so every row continues as if generated alone.

    The loop is compiled as in keras-hub's
    ``CausalLM.make_generate_function``: ``jax.jit`` with the model's and
    the sampler's variables passed as state through ``keras.StatelessScope``
    on JAX, ``tf.function(jit_compile=True)`` on TensorFlow, eager under
    ``torch.no_grad()`` on torch. The compiled function is kept per model
    and sampler configuration: a second call with the same shapes does not
    recompile.

    For T5 (text-to-text), ``prompts`` are the encoder inputs; the encoder
    runs once, each decoder layer's cross-attention keys/values are
    computed once into a read-only cache, and the decoder starts from
    ``decoder_start_token_id``; the output is the decoder sequence.

    Args:
        model: A keras_dlkit ``gpt``, ``gpt2_*``, ``gpt3_*`` or
            ``llama_style`` model with the causal-LM head, or a ``t5``,
            ``t5_small``, ``t5_base`` with the text-to-text head (built, or
            reloaded from ``.keras``), recognised by their layer names.
        prompts: A list of token-id lists (lengths may differ), or a dict
            ``{"token_ids", "padding_mask"}`` of right-padded ``(batch,
            length)`` arrays (keras-hub's input without a preprocessor).
        max_length: Length of the output: prompt plus generated tokens
            (for T5, the decoder sequence with its start token).
        sampler: ``"greedy"``, ``"top_k"``, ``"top_p"``, ``"beam"``,
            ``"random"`` or a ``keras_hub.samplers.Sampler`` instance (then
            ``top_k``, ``top_p``, ``num_beams``, ``temperature``, ``seed``
            are not read).
        top_k: ``k`` of ``"top_k"`` (required there); with ``"top_p"`` it
            first keeps the ``k`` most likely tokens.
        top_p: ``p`` in ``(0, 1]`` of ``"top_p"`` (required there).
        temperature: Divides the logits before the softmax (``> 0``).
        num_beams: Beam width of ``"beam"`` (required there).
        end_token_id: A token that ends a row: later tokens are 0 and
            masked; generation stops when every row has ended.
        seed: Seed of the random samplers (the same seed gives the same
            tokens); ``None``: random.
        use_cache: ``False`` runs the same loop without a cache, each step
            re-running the whole model on the buffer (slower; same tokens).
        decoder_start_token_id: T5's first decoder token (0, the pad id).

    Returns:
        keras-hub's output without a preprocessor: NumPy ``{"token_ids":
        int32 (batch, max_length), "padding_mask": bool (batch,
        max_length)}``, the mask true up to and including the end token.

    Raises:
        ValueError: Naming the argument: an unsupported ``model``, a
            prompt longer than the model's context (``prompts``),
            ``max_length`` beyond the model's context (its learned position
            table) or not longer than the longest prompt, ``top_p`` outside
            ``(0, 1]``, ``top_k < 1``, ``num_beams < 1``, ``temperature <=
            0``, an unknown ``sampler`` or its required argument missing,
            empty ``prompts``.

    Example:

    >>> from keras_dlkit.models import generate, gpt
    >>> model = gpt(vocabulary_size=20, num_layers=1, num_heads=2,
    ...             hidden_dim=8, intermediate_dim=16, max_sequence_length=12)
    >>> out = generate(model, [[3, 4, 5], [6, 7]], max_length=8)
    >>> out["token_ids"].shape, out["padding_mask"].shape
    ((2, 8), (2, 8))
    >>> out["token_ids"][1, :2].tolist()
    [6, 7]
    """
    runner = _inspect(model)
    text_to_text = isinstance(runner, _TextToText)
    sampler_object, sampler_config = _make_sampler(
        sampler, top_k, top_p, temperature, num_beams, seed
    )
    rows = _prompt_lists(prompts)
    check_int("max_length", max_length, minimum=2 if text_to_text else 1)
    max_length = int(max_length)
    longest = max(len(row) for row in rows)
    if runner.context is not None and longest > runner.context:
        raise ValueError(
            f"`prompts` holds a prompt of {longest} tokens, longer than the "
            f"model's context: its learned position table has {runner.context} "
            "rows."
        )
    if runner.context is not None and max_length > runner.context:
        raise ValueError(
            f"`max_length`={max_length} is longer than the model's context: its "
            f"learned position table has {runner.context} rows."
        )
    if text_to_text:
        encoder_ids, encoder_mask = _right_pad(rows, longest)
        decoder = [[int(decoder_start_token_id)]] * len(rows)
        token_ids, padding_mask = _right_pad(decoder, max_length)
        inputs = {
            "token_ids": token_ids,
            "padding_mask": padding_mask,
            "encoder_token_ids": encoder_ids,
            "encoder_padding_mask": encoder_mask.astype("int32"),
        }
    else:
        if max_length <= longest:
            raise ValueError(
                f"`max_length`={max_length} must be longer than the longest "
                f"prompt ({longest} tokens): there would be nothing to generate."
            )
        token_ids, padding_mask = _right_pad(rows, max_length)
        inputs = {"token_ids": token_ids, "padding_mask": padding_mask}
    if end_token_id is not None:
        check_int("end_token_id", end_token_id, minimum=0)
    stop_token_ids = None if end_token_id is None else (int(end_token_id),)

    key = (sampler_config, bool(use_cache))
    if not isinstance(sampler, str):
        key = (*key, id(sampler))
    functions = compiled_functions(model)
    entry = functions.get(key)
    if entry is None or (not isinstance(sampler, str) and entry[1] is not sampler):
        step = _step_functions(runner, bool(use_cache), text_to_text)
        entry = functions[key] = (_compile(model, step, sampler_object), sampler_object)
    function, kept_sampler = entry
    # The compiled function holds the sampler it was traced with: give it the
    # fresh sampler's seed state (the same seed gives the same tokens).
    for kept, fresh in zip(
        kept_sampler.variables, sampler_object.variables, strict=True
    ):
        if kept is not fresh:
            kept.assign(fresh.value)
    inputs = {name: ops.convert_to_tensor(value) for name, value in inputs.items()}
    outputs = function(inputs, stop_token_ids)
    return {
        "token_ids": np.asarray(ops.convert_to_numpy(outputs["token_ids"]), "int32"),
        "padding_mask": np.asarray(ops.convert_to_numpy(outputs["padding_mask"]), bool),
    }
