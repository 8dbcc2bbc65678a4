"""Helpers sphinx-gallery calls between examples (referenced by name in conf.py)."""

import random

import numpy as np


def reset_keras(gallery_conf, fname):
    """Clear the Keras session and seed every generator before each example."""
    import keras

    keras.config.set_dtype_policy("float32")
    keras.utils.clear_session(free_memory=True)
    keras.utils.set_random_seed(0)
    random.seed(0)
    np.random.seed(0)
