"""Sphinx configuration for the keras_dlkit documentation and gallery."""

import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for sg_utils
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from api_reference import write_api_pages  # noqa: E402

import keras_dlkit  # noqa: E402

project = "keras_dlkit"
author = "keras_dlkit developers"
copyright = "2026, keras_dlkit developers"
release = keras_dlkit.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
    "sphinx_gallery.gen_gallery",
]

write_api_pages(HERE / "api")
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# Keras layers document their `call` arguments in their own section.
napoleon_custom_sections = [("Call arguments", "params_style")]
intersphinx_mapping = {}
nitpicky = False

exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/**/*.ipynb"]
html_theme = "pydata_sphinx_theme"
html_title = f"keras_dlkit {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}

sphinx_gallery_conf = {
    "examples_dirs": ["../gallery"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "reset_modules": ("sg_utils.reset_keras", "matplotlib"),
    "reset_modules_order": "before",
    # Sections in the order of the curriculum; a new family's folder lands at
    # "*" (before the generative models) until it is listed here.
    "subsection_order": [
        "../gallery/fundamentals",
        "../gallery/cnn",
        "../gallery/rnn",
        "../gallery/transformers",
        "*",
        "../gallery/generative",
    ],
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "matplotlib_animations": False,
    "min_reported_time": 1,
    "plot_gallery": "True",
}
