"""Public ``keras_dlkit.generation`` namespace: decoding tokens from a step function.

Every autoregressive model plugs in through one interface, a *step
function*::

    step_fn(tokens, state) -> (logits, new_state)

``tokens`` is an int32 tensor ``(batch,)``, the last token of each sequence;
``state`` is any nest (list, tuple, dict) of tensors whose leading axis is
the batch: the recurrent state(s) of an RNN, plus whatever passes through
unchanged (the encoder outputs of a seq2seq model); ``logits`` is a float
tensor ``(batch, vocabulary_size)``, unnormalized. :func:`greedy_search`,
:func:`sample` and :func:`beam_search` drive such a function one step at a
time in a Python loop (each step runs eagerly), with ``keras.ops`` and
``keras.random`` only, so they run on every backend.

Why not keras-hub's samplers: keras-hub (``keras_hub.samplers``: greedy,
top-k, top-p, beam, contrastive) drives a fixed-length prompt buffer with a
write index and a key/value cache, through a ``next(prompt, cache, index)``
contract. That fits a transformer, whose cache is the keys and values of
every past position, indexed by position. A recurrent model carries a state
from one step to the next instead: the step needs the last token and the
state, not a buffer and an index, and beam search must reorder an arbitrary
nest of states along with the beams. Fitting RNNs to that contract would
mean a padded buffer and a dummy index per step, and it would make keras-hub
a dependency of the whole RNN family (it is an optional extra here). So the
RNN family decodes with this small package. The transformer family does use
keras-hub's samplers: :func:`keras_dlkit.models.generate` drives them with
the key/value cache of our transformer layers (keras-hub's cache layout),
compiled as keras-hub's ``CausalLM.generate`` is.

Example:

>>> import numpy as np
>>> from keras import ops
>>> from keras_dlkit.generation import greedy_search
>>> table = ops.convert_to_tensor(np.eye(4, k=1, dtype="float32") * 5.0)
>>> def step_fn(tokens, state):  # a chain 0 -> 1 -> 2 -> 3 -> 0
...     return ops.take(table, tokens, axis=0), state
>>> ops.convert_to_numpy(greedy_search(step_fn, (), [0, 2], max_length=3))
array([[1, 2, 3],
       [3, 0, 1]], dtype=int32)
"""

from keras_dlkit.generation.beam import beam_search
from keras_dlkit.generation.greedy import greedy_search
from keras_dlkit.generation.sampling import sample

__all__: list[str] = ["beam_search", "greedy_search", "sample"]
