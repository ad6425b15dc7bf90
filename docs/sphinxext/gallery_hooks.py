"""Hooks of the documentation build: the gallery's pictures, foreign roles."""

import os
import re
import shutil
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst

EXAMPLE_OUTPUT = Path(__file__).parent.parent / "_build" / "example_output"
# The gallery's examples in the order of its page: those the build runs, on
# the tables bundled with skbnn and scikit-learn, then those shown without
# being run: those that need full MNIST and minutes, and the conformal one (a
# minute of fits, which the tests run).
EXAMPLES_RUN = [
    "tabular_classification",
    "tabular_regression",
    "moons",
    "regression_1d",
    "regression_intervals",
    "digits_conv",
    "digits_shift",
]
EXAMPLES_SHOWN = ["regression_conformal", "mnist_mlp", "mnist_conv", "stream"]

# scikit-learn's docstrings, inherited by the estimators (score,
# set_fit_request, ...), refer to labels and glossary terms of scikit-learn's
# own site, which this offline build cannot resolve.
_FOREIGN_ROLE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<([^>]*)>)?`")


def example_output_argv(gallery_conf, script_vars):
    """Make each example write its pictures where the scraper finds them."""
    name = Path(script_vars["src_file"]).stem
    return ["--output-dir", str(EXAMPLE_OUTPUT / name)]


def saved_png_scraper(block, block_vars, gallery_conf):
    """Put the PNGs an example saved (it closes its figures) on its page."""
    folder = EXAMPLE_OUTPUT / Path(block_vars["src_file"]).stem
    images = []
    for png in sorted(folder.glob("*.png"), key=os.path.getmtime):
        target = next(block_vars["image_path_iterator"])
        shutil.move(png, target)
        images.append(target)
    return figure_rst(images, gallery_conf["src_dir"])


class ExampleOrder:
    """Sort key of the gallery: the order of the lists above."""

    def __init__(self, src_dir):
        self.order = EXAMPLES_RUN + EXAMPLES_SHOWN

    def __call__(self, filename):
        """Place ``filename`` by its example's position in the lists."""
        stem = Path(filename).stem
        return self.order.index(stem) if stem in self.order else len(self.order)


def plain_foreign_roles(app, what, name, obj, options, lines):
    """Write scikit-learn's cross-references in inherited docstrings as text."""
    if (getattr(obj, "__module__", None) or "").startswith("skbnn"):
        return
    lines[:] = [
        _FOREIGN_ROLE.sub(lambda m: m.group(1) or m.group(2), line) for line in lines
    ]
