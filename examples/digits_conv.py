"""A Bayesian convolutional network on scikit-learn's digits
==========================================================

``BayesianConvClassifier`` on the 8x8 digits that scikit-learn ships: one
block of eight 3x3 kernels, 2x2 max-pooling and a dense layer of 32 units,
every kernel, weight and bias with a ``Normal(0, 1)`` prior, fitted with the
package's other defaults on half the images. The script prints the test
accuracy, log loss and top-label calibration error, and how well the mutual
information (the posterior draws' disagreement) picks out the misclassified
test digits (AUROC). It saves ``digits_conv.png``: the test digits the
network is least and most unsure of, with the predicted class and its
probability. The MNIST-sized version of this network is
``examples/mnist_conv.py``.

Run: ``python examples/digits_conv.py [--output-dir DIR]``
"""

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.metrics import log_loss, roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skbnn import BayesianConvClassifier  # noqa: E402
from skbnn.metrics import expected_calibration_error  # noqa: E402

# The documentation's gallery runs each example in its folder, without __file__.
HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()
DEFAULT_OUTPUT_DIR = HERE / "output"


def _plot_digits(images, mutual_information, proba, path, n=8):
    order = np.argsort(mutual_information)
    fig, axes = plt.subplots(2, n, figsize=(1.3 * n, 3.4))
    rows = [(order[:n], "least unsure"), (order[-n:][::-1], "most unsure")]
    for row, (indices, label) in enumerate(rows):
        for ax, index in zip(axes[row], indices, strict=True):
            ax.imshow(images[index], cmap="gray_r")
            predicted = proba[index].argmax()
            ax.set_title(
                f"{predicted} ({proba[index, predicted]:.2f})\n"
                f"MI {mutual_information[index]:.2f}",
                fontsize=8,
            )
            ax.axis("off")
        axes[row, 0].text(-6, 3.5, label, fontsize=9, ha="right", va="center")
    fig.suptitle("Test digits by mutual information: prediction (probability)")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def main(output_dir=DEFAULT_OUTPUT_DIR):
    """Fit, evaluate and plot; return the figures printed in the JSON line."""
    digits = load_digits()
    images = digits.images / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.5, random_state=0
    )
    clf = BayesianConvClassifier(
        conv_layers=((8, 3),), hidden_layer_sizes=(32,), random_state=0
    )
    start = time.perf_counter()
    clf.fit(X_train, y_train)  # images of shape (n, 8, 8): the shape is read
    fit_seconds = time.perf_counter() - start
    mutual_information, proba = clf.predict_uncertainty(
        X_test, kind="mutual_information", return_proba=True
    )
    wrong = proba.argmax(axis=1) != y_test
    figures = {
        "test_accuracy": float(1 - wrong.mean()),
        "test_log_loss": float(log_loss(y_test, proba, labels=clf.classes_)),
        "test_ece": expected_calibration_error(y_test, proba),
        "misclassified_auroc": float(roc_auc_score(wrong, mutual_information)),
        "fit_seconds": fit_seconds,
        "epochs": clf.n_iter_,
    }
    print(
        f"test accuracy {figures['test_accuracy']:.1%}, log loss "
        f"{figures['test_log_loss']:.3f}, ECE {figures['test_ece']:.3f}"
    )
    print(
        "mutual information picks out the misclassified test digits with "
        f"AUROC {figures['misclassified_auroc']:.3f}"
    )
    print(f"fit time: {fit_seconds:.1f} s ({clf.n_iter_} epochs)")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / "digits_conv.png"
    _plot_digits(X_test, mutual_information, proba, path)
    print(f"saved {path}")
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    main(parser.parse_known_args()[0].output_dir)
