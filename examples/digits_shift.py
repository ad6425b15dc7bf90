"""
Does it know what it does not know? Rotated and unfamiliar digits
=================================================================

:class:`~skbnn.BayesianMLPClassifier` and scikit-learn's ``MLPClassifier``,
each with its defaults, fitted on half of scikit-learn's 8x8 digits, then
shown images they were not trained on: the held-out digits rotated by 0 to
180 degrees, and images that are not digits at all. The MNIST-sized
protocol, against a deep ensemble too, is ``benchmarks/bench_shift.py``.
"""

# %%
# Two networks
# ------------
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.ndimage import rotate
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from skbnn import BayesianMLPClassifier
from skbnn.metrics import expected_calibration_error

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=0.5, random_state=0
)
bayesian = BayesianMLPClassifier(random_state=0)
plain = MLPClassifier(max_iter=1000, random_state=0)
fit_seconds = {}
for name, model in [("skbnn", bayesian), ("MLPClassifier", plain)]:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    fit_seconds[name] = time.perf_counter() - start

# %%
# What each is shown
# ------------------
# - the held-out digits rotated by 0 to 180 degrees: accuracy falls for
#   both, and a well-calibrated model's confidence falls with it (the
#   top-label calibration error, ECE, stays low);
# - uniform noise, the held-out digits under one fixed permutation of their
#   pixels, and inverted digits. The AUROC says how well each model's
#   uncertainty tells them from the held-out digits (``1``: perfectly,
#   ``0.5``: not at all): the predictive entropy for both, and for skbnn also the mutual
#   information, the part of the uncertainty that comes from the posterior
#   draws disagreeing.
ANGLES = np.arange(0, 181, 15)


def rotated(X, angle):
    """Rows of 8x8 images in [0, 1], rotated by ``angle`` degrees."""
    images = rotate(X.reshape(-1, 8, 8), angle, axes=(1, 2), reshape=False, order=1)
    return np.clip(images, 0, 1).reshape(len(X), -1)


def entropy(proba):
    """Entropy of each row of probabilities, in nats."""
    return -np.sum(proba * np.log(np.clip(proba, 1e-12, None)), axis=1)


def not_digits(X, seed=0):
    """Uniform noise, permuted pixels and inverted digits, as many as ``X``."""
    rng = np.random.default_rng(seed)
    return {
        "uniform noise": rng.uniform(size=X.shape),
        "permuted pixels": X[:, rng.permutation(X.shape[1])],
        "inverted": 1 - X,
    }


def _auroc(inside, outside):
    labels = np.r_[np.zeros(len(inside)), np.ones(len(outside))]
    return float(roc_auc_score(labels, np.r_[inside, outside]))


def measure(predict, X_test, y_test):
    """Accuracy and ECE by angle, AUROCs by uncertainty kind and image set.

    ``predict(X)`` returns the probabilities and a dict of uncertainties.
    """
    accuracy, ece = [], []
    for angle in ANGLES:
        proba, _ = predict(rotated(X_test, angle))
        accuracy.append(float(np.mean(proba.argmax(axis=1) == y_test)))
        ece.append(expected_calibration_error(y_test, proba))
    _, inside = predict(X_test)
    auroc = {
        name: {kind: _auroc(inside[kind], values) for kind, values in outside.items()}
        for name, outside in (
            (name, predict(X_ood)[1]) for name, X_ood in not_digits(X_test).items()
        )
    }
    return {"accuracy": accuracy, "ece": ece, "auroc": auroc}


def predict_bayesian(X_):
    kinds, proba = bayesian.predict_uncertainty(X_, kind="all", return_proba=True)
    return proba, {
        "entropy": kinds["entropy"],
        "mutual information": kinds["mutual_information"],
    }


def predict_plain(X_):
    proba = plain.predict_proba(X_)
    return proba, {"entropy": entropy(proba)}


results = {
    "skbnn BayesianMLPClassifier": measure(predict_bayesian, X_test, y_test),
    "MLPClassifier": measure(predict_plain, X_test, y_test),
}
for (name, result), seconds in zip(results.items(), fit_seconds.values(), strict=True):
    result["fit_seconds"] = seconds
    print(f"{name} (fit {seconds:.1f} s)")
    for figure in ("accuracy", "ece"):
        by_angle = zip(ANGLES, result[figure], strict=True)
        print(
            f"  {figure} by rotation: " + " ".join(f"{a}:{v:.2f}" for a, v in by_angle)
        )
    for image_set, by_kind in result["auroc"].items():
        cells = ", ".join(f"{kind} {value:.3f}" for kind, value in by_kind.items())
        print(f"  AUROC against {image_set}: {cells}")

# %%
# The pictures
# ------------
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
for name, result in results.items():
    axes[0].plot(ANGLES, result["accuracy"], "o-", label=name)
    axes[1].plot(ANGLES, result["ece"], "o-", label=name)
axes[0].set(xlabel="rotation (degrees)", ylabel="accuracy", title="Accuracy")
axes[1].set(xlabel="rotation (degrees)", ylabel="ECE", title="Calibration error")
axes[0].legend()
bars = [
    (f"{name.split()[0]}, {kind}", results[name]["auroc"])
    for name in results
    for kind in next(iter(results[name]["auroc"].values()))
]
sets = list(next(iter(results.values()))["auroc"])
width = 0.8 / len(bars)
for i, (label, auroc) in enumerate(bars):
    kind = label.split(", ")[1]
    values = [auroc[s][kind] for s in sets]
    axes[2].bar(np.arange(len(sets)) + i * width, values, width, label=label)
axes[2].set_xticks(np.arange(len(sets)) + width * (len(bars) - 1) / 2, sets)
axes[2].set(ylim=(0.5, 1), ylabel="AUROC", title="Telling digits from the rest")
axes[2].legend(fontsize=8, loc="lower right")
fig.tight_layout()

# sphinx_gallery_start_ignore
# Command-line runs save the picture and print the figures as one JSON line.
if "__file__" in globals():
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Rotated and unfamiliar digits.")
    parser.add_argument(
        "--output-dir", type=Path, default=Path(__file__).parent / "output"
    )
    output_dir = parser.parse_known_args()[0].output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(output_dir / "digits_shift.png", dpi=100)
    print(f"saved {output_dir / 'digits_shift.png'}")
    print(json.dumps(results))
# sphinx_gallery_end_ignore
