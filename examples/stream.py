"""Fitting on a stream of chunks read from disk, with partial_fit
==============================================================

Fit a Bayesian MLP on a stream of chunks read from disk, with partial_fit.

The script writes a generated classification problem (``make_classification``:
3 classes, 20 features, standardised) to an ``np.memmap`` file under the
output folder, as data too large for memory would lie on disk. It then reads
the training rows back one chunk at a time and hands each chunk to
``BayesianMLPClassifier.partial_fit``: one epoch of ADVI over the chunk,
continuing from the previous call. The passes go over the same rows, so the
estimator is told their number (``total_size``), which each call's ELBO
scales its chunk to; a stream that never repeats would leave it at None.
After each pass over the stream it prints the held-out accuracy and log loss,
and at the end it prints the same figures of ``fit`` on the whole training
set beside them, and draws the log loss by pass (``stream.png``). Ends with
one JSON line of its figures.

Run: ``python examples/stream.py [--output-dir DIR] [--passes N]``
"""

# The build does not run this example: its card shows a picture of a run.
# sphinx_gallery_thumbnail_path = "images/stream.png"

import argparse
import json
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from skbnn import BayesianMLPClassifier

# A notebook has no __file__: its folder stands for the examples' folder.
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
DEFAULT_OUTPUT_DIR = HERE / "output"


# %%
# Data on disk
# ------------
#
# A memory-mapped file stands for data too large for memory: only the chunk
# being fitted is read.


def write_memmap(path, n_samples, seed=0):
    """Write a standardised classification problem to ``path``; return y."""
    X, y = make_classification(
        n_samples=n_samples,
        n_features=20,
        n_informative=10,
        n_classes=3,
        random_state=seed,
    )
    on_disk = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=X.shape
    )
    on_disk[:] = StandardScaler().fit_transform(X)
    on_disk.flush()
    return y


# %%
# One pass after another
# ----------------------
#
# Each ``partial_fit`` call is one epoch of ADVI over its chunk, continuing
# from the last; ``total_size`` scales each chunk's ELBO to the whole stream.


def main(output_dir=DEFAULT_OUTPUT_DIR, n_samples=20_000, chunk_rows=2_000, passes=40):
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / "stream.npy"
    y = write_memmap(path, n_samples)
    X = np.load(path, mmap_mode="r")
    n_test = n_samples // 5
    X_test, y_test = np.asarray(X[:n_test]), y[:n_test]
    classes = np.unique(y)

    streamed = BayesianMLPClassifier(total_size=n_samples - n_test, random_state=0)
    losses = []
    start = time.perf_counter()
    for n_pass in range(1, passes + 1):
        for first in range(n_test, n_samples, chunk_rows):
            rows = slice(first, min(first + chunk_rows, n_samples))
            streamed.partial_fit(X[rows], y[rows], classes=classes)
        accuracy = streamed.score(X_test, y_test)
        loss = log_loss(y_test, streamed.predict_proba(X_test))
        losses.append(loss)
        print(f"pass {n_pass}: test accuracy {accuracy:.3f}, log loss {loss:.3f}")
    stream_seconds = time.perf_counter() - start

    start = time.perf_counter()
    whole = BayesianMLPClassifier(random_state=0).fit(X[n_test:], y[n_test:])
    fit_seconds = time.perf_counter() - start
    figures = {
        "stream_accuracy": accuracy,
        "stream_log_loss": loss,
        "stream_seconds": stream_seconds,
        "stream_calls": streamed.n_iter_,
        "fit_accuracy": whole.score(X_test, y_test),
        "fit_log_loss": log_loss(y_test, whole.predict_proba(X_test)),
        "fit_seconds": fit_seconds,
        "fit_epochs": whole.n_iter_,
    }
    print(
        f"fit on the whole: test accuracy {figures['fit_accuracy']:.3f}, "
        f"log loss {figures['fit_log_loss']:.3f} "
        f"({fit_seconds:.1f} s, {whole.n_iter_} epochs; the stream took "
        f"{stream_seconds:.1f} s for {streamed.n_iter_} calls)"
    )
    _plot_losses(losses, figures["fit_log_loss"], output_dir / "stream.png")
    print(json.dumps(figures))
    return figures


def _plot_losses(losses, fit_loss, path):
    """Held-out log loss after each pass over the stream, beside ``fit``'s."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(np.arange(1, len(losses) + 1), losses, marker=".", label="partial_fit")
    ax.axhline(fit_loss, color="black", linestyle="--", label="fit on the whole")
    ax.set(xlabel="passes over the stream", ylabel="held-out log loss")
    ax.legend()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


# %%
# Run as a script, or as a notebook with its default arguments.

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--passes", type=int, default=40)
    args = parser.parse_known_args()[0]
    main(args.output_dir, passes=args.passes)
