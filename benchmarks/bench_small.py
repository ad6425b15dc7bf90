"""Measure fit time, prediction time and predictive quality on small problems.

Prints one line per run; asserts nothing. Problems:

- moons: PyMC's tutorial setup (1000 points, noise 0.2, scaled, half held
  out) with its 2x5 tanh network (as in examples/moons.py) and with the
  default network;
- digits: scikit-learn's 8x8 digits (1797 images, half held out), with the
  normal and the hierarchical prior;
- sine: 300 points of sin(2x) + N(0, 0.1^2) on [-2, 2], half held out.

Quality: accuracy, log loss (NLL) and expected calibration error (ECE, 10
bins) for classifiers; R^2, Gaussian NLL and the coverage of +/-2 std for the
regressor. Ends with one JSON line: each problem's figures averaged over the
seeds. Run: ``python benchmarks/bench_small.py [--seeds N]``.
"""

import argparse
import json
import time

import numpy as np
from sklearn.datasets import load_digits, make_moons
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skbnn import BayesianMLPClassifier, BayesianMLPRegressor
from skbnn.metrics import expected_calibration_error


def _split(X, y):
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.5, random_state=0)


def _averaged(runs):
    """Each figure's mean over the seeds, as plain floats for JSON."""
    return {key: float(np.mean([run[key] for run in runs])) for key in runs[0]}


def _timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def classification(name, X, y, seeds, **params):
    X_train, X_test, y_train, y_test = _split(X, y)
    runs = []
    for seed in range(seeds):
        clf = BayesianMLPClassifier(random_state=seed, **params)
        _, fit_seconds = _timed(clf.fit, X_train, y_train)
        proba, predict_seconds = _timed(clf.predict_proba, X_test)
        run = {
            "fit_seconds": fit_seconds,
            "predict_seconds": predict_seconds,
            "epochs": clf.n_iter_,
            "accuracy": np.mean(clf.classes_[proba.argmax(axis=1)] == y_test),
            "nll": log_loss(y_test, proba, labels=clf.classes_),
            "ece": expected_calibration_error(
                y_test, proba, labels=clf.classes_, n_bins=10
            ),
        }
        runs.append(run)
        print(
            f"{name:22s} seed={seed} fit={fit_seconds:6.1f}s "
            f"predict={predict_seconds:5.2f}s epochs={clf.n_iter_:5d} "
            f"accuracy={run['accuracy']:.3f} nll={run['nll']:.3f} "
            f"ece={run['ece']:.3f}",
            flush=True,
        )
    return _averaged(runs)


def regression(name, X, y, seeds, **params):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, random_state=0
    )
    runs = []
    for seed in range(seeds):
        reg = BayesianMLPRegressor(random_state=seed, **params)
        _, fit_seconds = _timed(reg.fit, X_train, y_train)
        (mean, std), predict_seconds = _timed(
            lambda X: reg.predict(X, return_std=True), X_test
        )
        residual = (y_test - mean) / std
        run = {
            "fit_seconds": fit_seconds,
            "predict_seconds": predict_seconds,
            "epochs": reg.n_iter_,
            "r2": reg.score(X_test, y_test),
            "nll": np.mean(np.log(std) + 0.5 * np.log(2 * np.pi) + 0.5 * residual**2),
            "coverage2sd": np.mean(np.abs(residual) < 2),
            "noise": reg.noise_std_[0],
        }
        runs.append(run)
        print(
            f"{name:22s} seed={seed} fit={fit_seconds:6.1f}s "
            f"predict={predict_seconds:5.2f}s epochs={reg.n_iter_:5d} "
            f"r2={run['r2']:.3f} nll={run['nll']:.3f} "
            f"coverage2sd={run['coverage2sd']:.3f} noise={run['noise']:.3f}",
            flush=True,
        )
    return _averaged(runs)


def main(seeds):
    X, y = make_moons(noise=0.2, random_state=0, n_samples=1000)
    results = {}
    results["moons 2x5 tanh"] = classification(
        "moons 2x5 tanh",
        X,
        y,
        seeds,
        hidden_layer_sizes=(5, 5),
        activation="tanh",
        n_iter_no_change=1000,
    )
    results["moons default"] = classification("moons default", X, y, seeds)
    X, y = load_digits(return_X_y=True)
    results["digits normal"] = classification("digits normal", X, y, seeds)
    results["digits hierarchical"] = classification(
        "digits hierarchical", X, y, seeds, prior="hierarchical"
    )
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(300, 1))
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.normal(size=300)
    results["sine"] = regression("sine", X, y, seeds)
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    main(parser.parse_args().seeds)
