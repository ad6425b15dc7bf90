"""Open the built documentation in a headless Chromium and check what renders.

For the index, each estimator's API page, the getting-started page and one
gallery page, it checks that:

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
    "auto_examples/moons.html": ("Two moons", 2),
}
WINDOW = (1280, 3000)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Share of a screenshot's pixels that must differ from the background (any
# page: its text) and be in colour (pages with plots).
MIN_INKED, MIN_COLOURED = 0.01, 0.02


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


def _run_chromium(*args):
    command = [
        _chromium(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"Chromium failed: {done.stderr[-500:]}")
    return done.stdout


def _screenshot_shares(path):
    """Shares of pixels unlike the background, and of coloured pixels."""
    pixels = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)
    keys = (pixels.astype(np.int64) * [1 << 16, 1 << 8, 1]).sum(axis=1)
    background = pixels[np.bincount(keys).argmax() == keys][0].astype(float)
    pixels = pixels.astype(float)
    inked = np.abs(pixels - background).sum(axis=1) > 60
    brightest, darkest = pixels.max(axis=1), pixels.min(axis=1)
    saturation = (brightest - darkest) / np.maximum(brightest, 1)
    coloured = (saturation > 0.35) & (brightest > 0.2 * 255)
    return float(inked.mean()), float(coloured.mean())


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
    _run_chromium(f"--screenshot={screenshot}", path.as_uri())
    inked, coloured = _screenshot_shares(screenshot)
    print(f"{page}: {len(shown)} pictures, {inked:.1%} inked, {coloured:.1%} in colour")
    if inked < MIN_INKED:
        problems.append(f"{page}: the screenshot is blank ({inked:.2%} inked)")
    if n_pictures and coloured < MIN_COLOURED:
        problems.append(
            f"{page}: its pictures did not render ({coloured:.2%} of the "
            "screenshot in colour)"
        )
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
