"""Sphinx configuration of skbnn's documentation site."""

import sys
from pathlib import Path

import skbnn

sys.path.insert(0, str(Path(__file__).parent / "sphinxext"))
from gallery_hooks import EXAMPLES_RUN  # noqa: E402

project = "skbnn"
author = "The skbnn developers"
copyright = "2026, The skbnn developers"
release = version = skbnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "results_figures",
]
exclude_patterns = ["_build"]
default_role = "literal"
templates_path = ["_templates"]
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
numpydoc_show_class_members = False
# Docstrings refer to types in words ("array-like", "int") as numpydoc allows.
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"skbnn {version}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []
html_show_sourcelink = False

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/(" + "|".join(EXAMPLES_RUN) + r")\.py$",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "gallery_hooks.ExampleOrder",
    # Named, not passed, so that Sphinx can cache the configuration.
    # The tutorials leave their figures open; the older examples save them.
    "image_scrapers": ("matplotlib", "gallery_hooks.saved_png_scraper"),
    "reset_argv": "gallery_hooks.example_output_argv",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
}


def setup(app):
    """Connect the hook that plains scikit-learn's cross-references."""
    from gallery_hooks import plain_foreign_roles

    app.connect("autodoc-process-docstring", plain_foreign_roles)
