"""The convolutional network on full MNIST, and what its uncertainty shows
=======================================================================

Bayesian convolutional network on full MNIST, and what its uncertainty shows.

PyMC's tutorial fits a Bayesian conv net with ADVI and reaches 98.03% test
accuracy after more than twelve hours (``benchmarks/results/published.json``).
This script fits ``BayesianConvClassifier`` with its defaults (two blocks of
8 and 16 5x5 filters, a dense layer of 128) plus the MNIST-sized settings of
``examples/mnist_mlp.py``: batches of 128 images, an Adam step of 1e-3 and an
epoch budget (``--epochs``). It predicts with 100
posterior draws (``--draws``) and prints:

- test accuracy, negative log-likelihood (NLL), expected calibration error
  (ECE, 15 bins on the top label), fit seconds, steps per second, and the
  seconds for probabilities plus every uncertainty kind on the 10k test
  images;
- the tutorial's demonstration: mutual information (epistemic uncertainty) of
  misclassified against correctly classified test digits, and the AUROC of
  telling them apart by it;
- out-of-distribution AUROC of ``kind="mutual_information"`` against uniform
  noise, a fixed pixel permutation of the test images and inverted images.

It saves a figure (uncertainty histograms and the most uncertain digits) and
ends with one JSON line.

Run: ``python examples/mnist_conv.py --data-dir ../shared/data/mnist``
"""

# The build does not run this example: its card shows a picture of a run.
# sphinx_gallery_thumbnail_path = "images/bench_shift.png"

import argparse
import json
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, roc_auc_score

from skbnn import BayesianConvClassifier
from skbnn.datasets import load_mnist, out_of_distribution_images
from skbnn.metrics import expected_calibration_error

# A notebook has no __file__: its folder stands for the examples' folder.
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
DEFAULT_DATA_DIR = HERE.parent.parent / "shared" / "data" / "mnist"
DEFAULT_OUTPUT_DIR = HERE / "output"


# %%
# Measuring the fit
# -----------------
#
# Besides accuracy and calibration: does the mutual information single out
# the digits the network gets wrong, and the images that are not digits?


def _auroc(inside, outside):
    """AUROC of telling ``outside`` from ``inside`` by larger values."""
    labels = np.r_[np.zeros(len(inside)), np.ones(len(outside))]
    return float(roc_auc_score(labels, np.r_[inside, outside]))


def _misclassified_figures(correct, mutual_information):
    """Mutual information of misclassified vs correct digits.

    The tutorial's demonstration; its figures are None when every digit is
    classified correctly.
    """
    if correct.all():
        return {"count": 0, "mean_mutual_information": None, "auroc": None}
    return {
        "count": int((~correct).sum()),
        "mean_mutual_information": float(mutual_information[~correct].mean()),
        "correct_mean_mutual_information": float(mutual_information[correct].mean()),
        "auroc": float(roc_auc_score(~correct, mutual_information)),
    }


def _save_figure(X_test, correct, uncertainty, ood_uncertainty, path, n=8):
    fig = plt.figure(figsize=(10, 6))
    ax = fig.add_subplot(2, 1, 1)
    bins = np.linspace(0, max(u.max() for u in ood_uncertainty.values()), 60)
    ax.hist(uncertainty[correct], bins, density=True, alpha=0.6, label="correct")
    if not correct.all():
        ax.hist(
            uncertainty[~correct], bins, density=True, alpha=0.6, label="misclassified"
        )
    for name, values in ood_uncertainty.items():
        ax.hist(values, bins, density=True, histtype="step", label=name)
    ax.set_yscale("log")
    ax.set_xlabel("mutual information (nats)")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    most = np.argsort(uncertainty)[-n:][::-1]
    for i, index in enumerate(most):
        digit = fig.add_subplot(2, n, n + i + 1)
        digit.imshow(X_test[index].reshape(28, 28), cmap="gray_r")
        digit.set_title(f"{uncertainty[index]:.2f}", fontsize=8)
        digit.axis("off")
    fig.suptitle(
        "Epistemic uncertainty of test digits and OOD images; "
        "bottom: the most uncertain test digits"
    )
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


# %%
# The experiment
# --------------


def main(
    data_dir=DEFAULT_DATA_DIR,
    output_dir=DEFAULT_OUTPUT_DIR,
    *,
    epochs=30,
    batch_size=128,
    n_posterior_draws=100,
    device="cpu",
    gradient_estimator="weights",
    random_state=0,
):
    X, y = load_mnist(data_dir, "train")
    X_test, y_test = load_mnist(data_dir, "test")
    ood_sets = out_of_distribution_images(X_test)
    clf = BayesianConvClassifier(
        input_shape=(28, 28),
        batch_size=batch_size,
        learning_rate_init=1e-3,
        max_iter=epochs,
        n_posterior_draws=n_posterior_draws,
        gradient_estimator=gradient_estimator,
        device=device,
        random_state=random_state,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        # A fixed epoch budget ends before the ELBO stops improving.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    fit_seconds = time.perf_counter() - start
    steps_per_epoch = -(-X.shape[0] // batch_size)

    start = time.perf_counter()
    kinds, proba = clf.predict_uncertainty(X_test, kind="all", return_proba=True)
    predict_seconds = time.perf_counter() - start
    mutual_information = kinds["mutual_information"]
    correct = proba.argmax(axis=1) == y_test

    ood_uncertainty = {
        name: clf.predict_uncertainty(X_ood, kind="mutual_information")
        for name, X_ood in ood_sets.items()
    }
    figures = {
        "accuracy": float(correct.mean()),
        "nll": float(log_loss(y_test, proba, labels=np.arange(10))),
        "ece": expected_calibration_error(y_test, proba),
        "fit_seconds": fit_seconds,
        "steps_per_second": clf.n_iter_ * steps_per_epoch / fit_seconds,
        "predict_seconds": predict_seconds,
        "misclassified": _misclassified_figures(correct, mutual_information),
        "auroc": {
            name: _auroc(mutual_information, values)
            for name, values in ood_uncertainty.items()
        },
        "n_posterior_draws": n_posterior_draws,
        "epochs": clf.n_iter_,
        "device": device,
        "gradient_estimator": gradient_estimator,
    }
    print(
        f"skbnn BayesianConvClassifier: accuracy {figures['accuracy']:.2%}, "
        f"NLL {figures['nll']:.4f}, ECE {figures['ece']:.4f}, fit "
        f"{fit_seconds:.0f} s, {figures['steps_per_second']:.1f} steps/s, "
        f"proba + every uncertainty kind on {len(X_test)} images with "
        f"{n_posterior_draws} draws {predict_seconds:.1f} s"
    )
    mis = figures["misclassified"]
    if mis["count"]:
        print(
            f"  {mis['count']} misclassified test digits: mean mutual information "
            f"{mis['mean_mutual_information']:.3f} vs "
            f"{mis['correct_mean_mutual_information']:.4f} for the correct ones "
            f"(AUROC {mis['auroc']:.3f})"
        )
    print(
        "  OOD AUROC: " + ", ".join(f"{k} {v:.4f}" for k, v in figures["auroc"].items())
    )
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    _save_figure(
        X_test,
        correct,
        mutual_information,
        ood_uncertainty,
        output_dir / "mnist_conv_uncertainty.png",
    )
    print(json.dumps(figures))
    return figures


# %%
# Run as a script, or as a notebook with its default arguments (MNIST's four
# files in ``--data-dir``).

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--device", choices=["cpu", "gpu", "auto"], default="cpu")
    parser.add_argument(
        "--gradient-estimator", choices=["weights", "local"], default="weights"
    )
    args = parser.parse_known_args()[0]
    try:
        main(
            args.data_dir,
            args.output_dir,
            epochs=args.epochs,
            batch_size=args.batch_size,
            n_posterior_draws=args.draws,
            device=args.device,
            gradient_estimator=args.gradient_estimator,
        )
    except FileNotFoundError as error:
        parser.exit(2, f"error: {error}\n")
