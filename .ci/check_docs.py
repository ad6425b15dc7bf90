"""Open the built documentation in a headless Chromium and check what renders.

For the index, each estimator's API page, the getting-started and
when-to-use pages, the results pages and every gallery page (those the
build ran, the two tutorials among them, with their pictures, and those it
shows without running), it checks that:

- the page Chromium rendered (its DOM after scripts ran) holds the page's
  heading and every picture it should, each an existing PNG of the build;
- a screenshot of the page is not blank (text was drawn), and on the pages
  with plots enough of it is in colour: the pictures were drawn, not just
  linked.

Usage: ``python .ci/check_docs.py docs/_build/html [--screenshots DIR]``.
Exits non-zero, naming the page and what is wrong, when a check fails. Needs
Chromium (Debian's ``chromium`` package) and Pillow and NumPy
(matplotlib's).
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
from PIL import Image

# page: (text its rendered DOM must hold, pictures it must show)
PAGES = {
    "index.html": ("Bayesian neural networks for scikit-learn", 0),
    "getting_started.html": ("Getting started", 1),
    "generated/skbnn.BayesianMLPClassifier.html": ("BayesianMLPClassifier", 0),
    "generated/skbnn.BayesianConvClassifier.html": ("BayesianConvClassifier", 0),
    "generated/skbnn.BayesianMLPRegressor.html": ("BayesianMLPRegressor", 0),
    "when_to_use.html": ("When to use skbnn", 0),
    "results/index.html": ("Benchmark results", 0),
    "results/shift.html": ("Out-of-distribution detection", 1),
    "results/mnist.html": ("The convolutional network", 0),
    "results/regression.html": ("Tabular regression", 0),
    "results/speed.html": ("Small tables", 0),
    "results/small_data.html": ("Small data", 0),
    "auto_examples/tabular_classification.html": ("will a taxi rider tip?", 1),
    "auto_examples/tabular_regression.html": ("houses in Ames, Iowa", 1),
    "auto_examples/moons.html": ("Two moons", 2),
    "auto_examples/regression_1d.html": ("1-D regression", 1),
    "auto_examples/regression_intervals.html": ("Prediction intervals on a table", 1),
    "auto_examples/digits_conv.html": ("convolutional network", 1),
    "auto_examples/digits_shift.html": ("Does it know what it does not know?", 1),
    # The examples the build shows without running them: code, no pictures.
    "auto_examples/regression_conformal.html": ("Guaranteed coverage", 0),
    "auto_examples/mnist_mlp.html": ("The 784-800-800-10 MLP on full MNIST", 0),
    "auto_examples/mnist_conv.html": ("convolutional network on full MNIST", 0),
    "auto_examples/stream.html": ("Fitting on a stream of chunks", 0),
    "auto_examples/index.html": ("Gallery", 0),
}
# Pages with pictures are drawn tall enough for the longest page, so that
# the screenshot holds every picture; the others, one screen's worth.
WIDTH, HEIGHT, TALL_HEIGHT = 1280, 3000, 16000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Pixels of a screenshot that must differ from the background (any page: its
# text), and, on pages with plots, the share of the pictures' own inked
# pixels by which the page must change when Chromium draws images (drawn,
# not just linked).
MIN_INKED_PIXELS, MIN_PICTURE_SHOWN = 40_000, 0.25


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs).get("src", ""))


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    sys.exit("check_docs: no Chromium found (apt-get install chromium)")


def _run_chromium(*args, height=HEIGHT):
    command = [
        _chromium(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={WIDTH},{height}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"Chromium failed: {done.stderr[-500:]}")
    return done.stdout


def _pixels(path):
    return np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3).astype(float)


def _inked(pixels):
    """Pixels unlike the image's most frequent colour (its background)."""
    keys = (pixels.astype(np.int64) * [1 << 16, 1 << 8, 1]).sum(axis=1)
    background = pixels[np.bincount(keys).argmax() == keys][0]
    return int((np.abs(pixels - background).sum(axis=1) > 60).sum())


def _changed(first, second):
    """Pixels that differ between two screenshots of one size."""
    return int((np.abs(first - second).sum(axis=1) > 60).sum())


def check_page(html_dir, page, heading, n_pictures, screenshot):
    """Return the problems of one page (an empty list when it renders)."""
    path = (html_dir / page).resolve()
    if not path.is_file():
        return [f"{page}: not built"]
    dom = _run_chromium("--dump-dom", path.as_uri())
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))
    problems = []
    if heading not in text:
        problems.append(f"{page}: the rendered page lacks {heading!r}")
    parser = _Images()
    parser.feed(dom)
    pictures = [
        (path.parent / src).resolve()
        for src in parser.sources
        if src.endswith(".png") and not src.startswith(("http", "data:"))
    ]
    missing = [p for p in pictures if not p.is_file()]
    broken = [p for p in pictures if p.is_file() and not _is_png(p)]
    shown = [p for p in pictures if "thumb" not in p.name]
    if len(shown) < n_pictures:
        problems.append(f"{page}: {len(shown)} pictures, expected {n_pictures}")
    problems += [f"{page}: picture {p} is missing" for p in missing]
    problems += [f"{page}: picture {p} is not a PNG" for p in broken]
    height = TALL_HEIGHT if n_pictures else HEIGHT
    _run_chromium(f"--screenshot={screenshot}", path.as_uri(), height=height)
    drawn = _pixels(screenshot)
    inked = _inked(drawn)
    message = f"{page}: {len(shown)} pictures, {inked} pixels inked"
    if inked < MIN_INKED_PIXELS:
        problems.append(f"{page}: the screenshot is blank ({inked} pixels inked)")
    if n_pictures:
        with tempfile.TemporaryDirectory() as folder:
            bare = Path(folder) / "without_images.png"
            _run_chromium(
                "--blink-settings=imagesEnabled=false",
                f"--screenshot={bare}",
                path.as_uri(),
                height=height,
            )
            changed = _changed(drawn, _pixels(bare))
        in_pictures = sum(_inked(_pixels(p)) for p in shown if p.is_file())
        message += f", {changed} changed by its pictures (they ink {in_pictures})"
        if changed < MIN_PICTURE_SHOWN * in_pictures:
            problems.append(
                f"{page}: its pictures did not render (images change "
                f"{changed} pixels; the pictures ink {in_pictures})"
            )
    print(message)
    return problems


def _is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG_SIGNATURE


def main():
    """Check every page; exit 1 naming the problems."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("html_dir", type=Path)
    parser.add_argument("--screenshots", type=Path, default=None)
    args = parser.parse_args()
    folder = args.screenshots or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    problems = []
    for page, (heading, n_pictures) in PAGES.items():
        shot = folder / (page.replace("/", "_").removesuffix(".html") + ".png")
        problems += check_page(args.html_dir, page, heading, n_pictures, shot)
    for problem in problems:
        print(problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
