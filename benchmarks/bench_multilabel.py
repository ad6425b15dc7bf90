"""Multilabel classification beside scikit-learn's MLPClassifier, in one run.

A generated problem (``make_multilabel_classification``: 2000 samples, 20
features, 5 labels, standardised, half held out), fitted by
``BayesianMLPClassifier`` and ``MLPClassifier`` with their defaults, and
``MLPClassifier`` with ``max_iter=2000`` so that it converges, one seed after
another. Figures on the held-out half: subset accuracy, Hamming loss,
the mean per-label log loss and the mean per-label expected calibration
error (ECE, 10 bins of each label's probability), and fit seconds.

Prints one line per model and seed; ends with one JSON line of each model's
figures averaged over the seeds. Asserts nothing. Run:
``python benchmarks/bench_multilabel.py [--seeds N]``
"""

import argparse
import json
import time
import warnings

import numpy as np
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, hamming_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skbnn import BayesianMLPClassifier


def label_log_loss(Y, proba):
    """Mean over labels of each label's binary log loss."""
    proba = np.clip(proba, 1e-15, 1 - 1e-15)
    return float(-np.mean(Y * np.log(proba) + (1 - Y) * np.log1p(-proba)))


def label_calibration_error(Y, proba, n_bins=10):
    """Mean over labels of the ECE of each label's probability of being 1."""
    errors = []
    for label in range(Y.shape[1]):
        p, y = proba[:, label], Y[:, label]
        bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
        errors.append(
            sum(
                abs(p[bins == b].mean() - y[bins == b].mean()) * np.mean(bins == b)
                for b in range(n_bins)
                if np.any(bins == b)
            )
        )
    return float(np.mean(errors))


def evaluate(model, X_train, Y_train, X_test, Y_test):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, Y_train)
    seconds = time.perf_counter() - start
    proba = model.predict_proba(X_test)
    predicted = model.predict(X_test)
    return {
        "subset_accuracy": float(accuracy_score(Y_test, predicted)),
        "hamming_loss": float(hamming_loss(Y_test, predicted)),
        "label_log_loss": label_log_loss(Y_test, proba),
        "label_ece": label_calibration_error(Y_test, proba),
        "fit_seconds": seconds,
    }


def main(n_seeds=3, n_samples=2000):
    models = {
        "skbnn": lambda seed: BayesianMLPClassifier(random_state=seed),
        "MLPClassifier": lambda seed: MLPClassifier(random_state=seed),
        "MLPClassifier_2000": lambda seed: MLPClassifier(
            max_iter=2000, random_state=seed
        ),
    }
    runs = {name: [] for name in models}
    for seed in range(n_seeds):
        X, Y = make_multilabel_classification(
            n_samples=n_samples, n_features=20, n_classes=5, random_state=seed
        )
        X = StandardScaler().fit_transform(X)
        split = train_test_split(X, Y, test_size=0.5, random_state=seed)
        X_train, X_test, Y_train, Y_test = split
        for name, make in models.items():
            figures = evaluate(make(seed), X_train, Y_train, X_test, Y_test)
            runs[name].append(figures)
            print(
                f"{name:>18} seed {seed}: subset accuracy "
                f"{figures['subset_accuracy']:.3f}, Hamming loss "
                f"{figures['hamming_loss']:.3f}, label log loss "
                f"{figures['label_log_loss']:.3f}, label ECE "
                f"{figures['label_ece']:.3f}, fit {figures['fit_seconds']:.1f} s"
            )
    summary = {
        name: {key: float(np.mean([run[key] for run in seeds])) for key in seeds[0]}
        for name, seeds in runs.items()
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    main(parser.parse_args().seeds)
