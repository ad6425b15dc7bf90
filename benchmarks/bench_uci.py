"""UCI regression protocol: skbnn's defaults beside published VI and MC dropout.

For each data set in ``--data-dir`` (the standard splits of Hernandez-Lobato
and Adams, 2015; see ``../shared/data/uci/README.md``) and each of the first
``--splits`` splits (all 20 by default; 3 make a quick run): standardise X on
the training rows, fit ``BayesianMLPRegressor`` with the package's defaults
(``random_state`` = the split), and measure on the test rows the RMSE in the
target's units, the mean Gaussian log-likelihood of the posterior predictive
(its mean and total std) per point, and the share of targets within mean +/- 2
std. Prints mean +/- standard error over the splits beside the published
mean-field VI and MC-dropout figures (Gal and Ghahramani, 2016, Table 1), and
ends with one JSON line. Nothing is tuned per data set.

``--datasets diabetes`` runs the same protocol on scikit-learn's bundled
diabetes data (20 random 90/10 splits), which no default was chosen on: a check
that the defaults carry over. It has no published figures beside it.

Run: ``python benchmarks/bench_uci.py --data-dir ../shared/data/uci [--splits 3]``
"""

import argparse
import functools
import json
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import ShuffleSplit
from sklearn.preprocessing import StandardScaler

from skbnn import BayesianMLPRegressor

DEFAULT_DATA_DIR = Path(__file__).parent.parent.parent / "shared" / "data" / "uci"

# Published test RMSE and log-likelihood: mean-field VI, MC dropout.
PUBLISHED = {
    "concrete": {"rmse": (7.19, 5.23), "ll": (-3.39, -3.04)},
    "energy": {"rmse": (2.65, 1.66), "ll": (-2.39, -1.99)},
    "kin8nm": {"rmse": (0.10, 0.10), "ll": (0.90, 0.95)},
    "yacht": {"rmse": (6.89, 1.11), "ll": (-3.43, -1.55)},
}


def _read_indices(folder, name):
    return np.loadtxt(folder / name, dtype=int, ndmin=1)


def load_split(folder, split):
    """Return X_train, y_train, X_test, y_test of one standard split."""
    data = np.loadtxt(folder / "data.txt")
    features = _read_indices(folder, "index_features.txt")
    target = int(_read_indices(folder, "index_target.txt")[0])
    train = _read_indices(folder, f"index_train_{split}.txt")
    test = _read_indices(folder, f"index_test_{split}.txt")
    X, y = data[:, features], data[:, target]
    return X[train], y[train], X[test], y[test]


# Splits of the data sets outside the standard ones, split at random.
HELD_OUT_SPLITS = 20


def load_diabetes_split(split):
    """Return X_train, y_train, X_test, y_test of one random diabetes split."""
    X, y = load_diabetes(return_X_y=True)
    splitter = ShuffleSplit(HELD_OUT_SPLITS, test_size=0.1, random_state=0)
    train, test = list(splitter.split(X))[split]
    return X[train], y[train], X[test], y[test]


# Data sets no default was chosen on, by name: scikit-learn's bundled data.
HELD_OUT = {"diabetes": load_diabetes_split}


def evaluate_split(X_train, y_train, X_test, y_test, split):
    scaler = StandardScaler().fit(X_train)
    reg = BayesianMLPRegressor(random_state=split)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(scaler.transform(X_train), y_train)
    fit_seconds = time.perf_counter() - start
    mean, std = reg.predict(scaler.transform(X_test), return_std=True)
    residual = y_test - mean
    log_likelihood = -0.5 * np.log(2 * np.pi * std**2) - residual**2 / (2 * std**2)
    return {
        "rmse": float(np.sqrt(np.mean(residual**2))),
        "ll": float(np.mean(log_likelihood)),
        "coverage": float(np.mean(np.abs(residual) <= 2 * std)),
        "fit_seconds": fit_seconds,
    }


def _mean_and_error(values):
    values = np.asarray(values)
    if len(values) < 2:
        return [float(values.mean()), None]  # no standard error from one split
    return [float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))]


def _formatted(mean, standard_error):
    if standard_error is None:
        return f"{mean:.3f}"
    return f"{mean:.3f} +/- {standard_error:.3f}"


def main(data_dir=DEFAULT_DATA_DIR, n_splits=20, datasets=tuple(PUBLISHED)):
    results = {}
    for name in datasets:
        if name in PUBLISHED:
            folder = Path(data_dir) / name
            available = int(np.loadtxt(folder / "n_splits.txt"))
            load = functools.partial(load_split, folder)
        else:
            available, load = HELD_OUT_SPLITS, HELD_OUT[name]
        splits = range(min(n_splits, available))
        runs = [evaluate_split(*load(split), split) for split in splits]
        summary = {
            key: _mean_and_error([run[key] for run in runs])
            for key in ("rmse", "ll", "coverage", "fit_seconds")
        }
        summary["n_splits"] = len(runs)
        rmse, ll = (_formatted(*summary[key]) for key in ("rmse", "ll"))
        published_rmse = published_ll = ""
        if name in PUBLISHED:
            vi_rmse, dropout_rmse = PUBLISHED[name]["rmse"]
            vi_ll, dropout_ll = PUBLISHED[name]["ll"]
            summary["beats_dropout"] = {
                "rmse": summary["rmse"][0] < dropout_rmse,
                "ll": summary["ll"][0] > dropout_ll,
            }
            published_rmse = f" (VI {vi_rmse}, dropout {dropout_rmse})"
            published_ll = f" (VI {vi_ll}, dropout {dropout_ll})"
        results[name] = summary
        print(
            f"{name:9s} ({len(runs)} splits): RMSE {rmse}{published_rmse}; "
            f"LL {ll}{published_ll}; coverage of +/-2 std "
            f"{summary['coverage'][0]:.3f}; fit {summary['fit_seconds'][0]:.1f} s"
        )
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=[*PUBLISHED, *HELD_OUT],
        default=list(PUBLISHED),
    )
    args = parser.parse_args()
    main(args.data_dir, args.splits, tuple(args.datasets))
