"""UCI regression protocol: skbnn beside NGBoost, a GP and published figures.

For each data set in ``--data-dir`` (the standard splits of Hernandez-Lobato
and Adams, 2015; see ``../shared/data/uci/README.md``) and each of the first
``--splits`` splits (all 20 by default; 3 make a quick run): standardise X on
the training rows, fit each model of ``--models`` on the same rows and measure
on the test rows the RMSE in the target's units, the mean log-likelihood per
point under each model's own predictive distribution ("LL": for skbnn
``log_predictive_density``, the average over posterior draws of the
likelihood, as the MC dropout figures are computed; NGBoost's and the GP's
are Normal), the same under a Normal of the predictive mean and std
("Gaussian LL", equal to LL for NGBoost and the GP), the CRPS (lower is
better; skbnn's estimated from 1,000 samples of its predictive distribution,
the Normal ones' in closed form), the share of targets inside the central
50/80/90/95% intervals of each model's own distribution (skbnn's
``predict_distribution(X).interval``, quantiles of its mixture), the share
within mean +/- 2 std, and the fit's seconds.

The models, each with its package's defaults and ``random_state`` = the split:

- ``skbnn``: ``BayesianMLPRegressor()``, or with ``--skbnn-params`` (a JSON
  object of parameters, to measure one idea against the defaults);
- ``ngboost``: ``NGBRegressor()`` (``pip install "skbnn[benchmark]"``);
- ``gp``: scikit-learn's ``GaussianProcessRegressor`` with a constant times
  ARD RBF kernel (one length scale per feature) plus white noise and
  ``normalize_y=True``, on training sets of at most ``GP_MAX_ROWS`` rows
  (an exact GP's fit grows with the cube of the rows);
- ``bayesian_ridge``: scikit-learn's ``BayesianRidge()``, a linear model with
  a Normal predictive distribution.

With ``--skbnn-params '{"target_transform": "yeo-johnson"}'`` skbnn's point
prediction is its predictive median and it has no predictive std (a
power-transformed Student-t need not have one): its Gaussian LL and +/- 2 std
coverage are not measured.

Prints mean +/- standard error over the splits beside the published figures of
PBP, MC dropout, tuned MC dropout, deep ensembles and NGBoost, and ends with
one JSON line. Nothing is tuned per data set.

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
from joblib import Parallel, delayed
from scipy.stats import norm
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import ShuffleSplit
from sklearn.preprocessing import StandardScaler

from skbnn import BayesianMLPRegressor

DEFAULT_DATA_DIR = Path(__file__).parent.parent.parent / "shared" / "data" / "uci"

# Published test RMSE and log-likelihood per point on these splits, by method:
# PBP (Hernandez-Lobato and Adams 2015, Table 2), MC dropout (Gal and
# Ghahramani 2016, Table 1), MC dropout tuned by grid search with 10x the
# epochs (DropoutUncertaintyExps README, experiment 1), deep ensembles
# (Lakshminarayanan et al. 2017, Table 1) and NGBoost (Duan et al. 2020,
# Table 1, whose NLL is the negative of this LL).
PUBLISHED = {
    "concrete": {
        "pbp": (5.67, -3.16),
        "dropout": (5.23, -3.04),
        "tuned_dropout": (4.82, -2.93),
        "deep_ensembles": (6.03, -3.06),
        "ngboost": (5.06, -3.04),
    },
    "energy": {
        "pbp": (1.80, -2.04),
        "dropout": (1.66, -1.99),
        "tuned_dropout": (0.54, -1.21),
        "deep_ensembles": (2.09, -1.38),
        "ngboost": (0.46, -0.60),
    },
    "kin8nm": {
        "pbp": (0.10, 0.90),
        "dropout": (0.10, 0.95),
        "tuned_dropout": (0.08, 1.14),
        "deep_ensembles": (0.09, 1.20),
        "ngboost": (0.16, 0.49),
    },
    "yacht": {
        "pbp": (1.02, -1.63),
        "dropout": (1.11, -1.55),
        "tuned_dropout": (0.67, -1.25),
        "deep_ensembles": (1.58, -1.18),
        "ngboost": (0.50, -0.20),
    },
}

# An exact GP's fit costs O(n^3) per optimiser step: kin8nm's 7,373 training
# rows would take hours per split.
GP_MAX_ROWS = 2000


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


def normal_crps(y, mean, std):
    """CRPS of Normal predictions (Gneiting and Raftery, 2007)."""
    z = (y - mean) / std
    return std * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))


def normal_prediction(mean, std, y_test):
    """What a Normal predictive distribution gives the protocol."""
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    return {
        "mean": mean,
        "std": std,
        "log_density": norm.logpdf(y_test, mean, std),
        "interval": lambda level: norm.interval(level, mean, std),
        "crps": normal_crps(y_test, mean, std),
    }


def fit_skbnn(X_train, y_train, X_test, y_test, seed, params):
    reg = BayesianMLPRegressor(random_state=seed, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X_train, y_train)
    distribution = reg.predict_distribution(X_test)
    if reg.target_transform is None:
        mean, std = reg.predict(X_test, return_std=True)
    else:
        # predict's median, from the draws already made; no std need exist.
        mean, std = distribution.ppf(0.5), None
    return {
        "mean": mean,
        "std": std,
        "log_density": distribution.logpdf(y_test),
        "interval": distribution.interval,
        "crps": distribution.crps(y_test),
    }


def fit_ngboost(X_train, y_train, X_test, y_test, seed, params):
    from ngboost import NGBRegressor

    reg = NGBRegressor(random_state=seed, verbose=False).fit(X_train, y_train)
    distribution = reg.pred_dist(X_test)
    return normal_prediction(distribution.loc, distribution.scale, y_test)


def fit_gp(X_train, y_train, X_test, y_test, seed, params):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    if len(X_train) > GP_MAX_ROWS:
        return None
    kernel = ConstantKernel() * RBF(np.ones(X_train.shape[1])) + WhiteKernel()
    gp = GaussianProcessRegressor(kernel, normalize_y=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(X_train, y_train)
    # return_std includes the white-noise kernel: a predictive, not latent, std.
    return normal_prediction(*gp.predict(X_test, return_std=True), y_test)


def fit_bayesian_ridge(X_train, y_train, X_test, y_test, seed, params):
    from sklearn.linear_model import BayesianRidge

    reg = BayesianRidge().fit(X_train, y_train)
    # return_std includes the learned noise: a predictive std.
    return normal_prediction(*reg.predict(X_test, return_std=True), y_test)


MODELS = {
    "skbnn": fit_skbnn,
    "ngboost": fit_ngboost,
    "gp": fit_gp,
    "bayesian_ridge": fit_bayesian_ridge,
}

# The central intervals whose coverage is measured.
LEVELS = (0.5, 0.8, 0.9, 0.95)


def evaluate_split(X_train, y_train, X_test, y_test, split, model="skbnn", params=None):
    """Fit one model on one split; its test figures, or None if it does not fit."""
    scaler = StandardScaler().fit(X_train)
    start = time.perf_counter()
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    prediction = MODELS[model](X_train, y_train, X_test, y_test, split, params or {})
    fit_seconds = time.perf_counter() - start
    if prediction is None:
        return None
    mean, std = prediction["mean"], prediction["std"]
    residual = y_test - mean
    figures = {
        "rmse": float(np.sqrt(np.mean(residual**2))),
        "ll": float(np.mean(prediction["log_density"])),
        "crps": float(np.mean(prediction["crps"])),
        "fit_seconds": fit_seconds,
    }
    if std is not None:
        figures["gaussian_ll"] = float(np.mean(norm.logpdf(y_test, mean, std)))
        figures["coverage"] = float(np.mean(np.abs(residual) <= 2 * std))
    for level in LEVELS:
        lower, upper = prediction["interval"](level)
        inside = (lower <= y_test) & (y_test <= upper)
        figures[f"coverage_{round(100 * level)}"] = float(np.mean(inside))
    return figures


def _mean_and_error(values):
    values = np.asarray(values)
    if len(values) < 2:
        return [float(values.mean()), None]  # no standard error from one split
    return [float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))]


def _formatted(mean, standard_error):
    if standard_error is None:
        return f"{mean:.3f}"
    return f"{mean:.3f} +/- {standard_error:.3f}"


SUMMARISED = (
    "rmse",
    "ll",
    "gaussian_ll",
    "crps",
    "coverage",
    *(f"coverage_{round(100 * level)}" for level in LEVELS),
    "fit_seconds",
)


def _summary(runs):
    summary = {
        key: _mean_and_error([run[key] for run in runs])
        for key in SUMMARISED
        if key in runs[0]  # no Gaussian figures without a predictive std
    }
    summary["n_splits"] = len(runs)
    summary["ll_by_split"] = [run["ll"] for run in runs]
    return summary


def _published_line(name):
    figures = ", ".join(
        f"{method} {rmse} / {ll}" for method, (rmse, ll) in PUBLISHED[name].items()
    )
    return f"  published RMSE / LL: {figures}"


def main(
    data_dir=DEFAULT_DATA_DIR,
    n_splits=20,
    datasets=tuple(PUBLISHED),
    models=("skbnn",),
    skbnn_params=None,
    n_jobs=1,
):
    results = {}
    for name in datasets:
        if name in PUBLISHED:
            folder = Path(data_dir) / name
            available = int(np.loadtxt(folder / "n_splits.txt"))
            load = functools.partial(load_split, folder)
        else:
            available, load = HELD_OUT_SPLITS, HELD_OUT[name]
        splits = range(min(n_splits, available))
        results[name] = {}
        print(f"{name} ({len(splits)} splits)")
        for model in models:
            params = skbnn_params if model == "skbnn" else None
            runs = Parallel(n_jobs=n_jobs)(
                delayed(evaluate_split)(*load(split), split, model, params)
                for split in splits
            )
            if any(run is None for run in runs):
                print(f"  {model:8s} not fitted: more than {GP_MAX_ROWS} training rows")
                continue
            summary = results[name][model] = _summary(runs)
            rmse, ll, crps = (
                _formatted(*summary[key]) for key in ("rmse", "ll", "crps")
            )
            coverages = ", ".join(
                f"{summary[f'coverage_{round(100 * level)}'][0]:.3f}"
                for level in LEVELS
            )
            gaussian = (
                f" (Gaussian {summary['gaussian_ll'][0]:.3f})"
                if "gaussian_ll" in summary
                else ""
            )
            two_std = (
                f" (+/-2 std {summary['coverage'][0]:.3f})"
                if "coverage" in summary
                else ""
            )
            print(
                f"  {model:8s} RMSE {rmse}; LL {ll}{gaussian}; CRPS {crps}; "
                f"coverage of the central "
                f"{', '.join(f'{round(100 * v)}' for v in LEVELS)}% intervals "
                f"{coverages}{two_std}; fit {summary['fit_seconds'][0]:.1f} s"
            )
        if name in PUBLISHED:
            print(_published_line(name))
            results[name]["published"] = PUBLISHED[name]
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
    parser.add_argument(
        "--models", nargs="+", choices=list(MODELS), default=list(MODELS)
    )
    parser.add_argument(
        "--skbnn-params",
        type=json.loads,
        default={},
        help="BayesianMLPRegressor's parameters as JSON, e.g. '{\"ensemble_size\": 3}'",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="splits fitted at once (fit times are per fit, on a shared machine)",
    )
    args = parser.parse_args()
    main(
        args.data_dir,
        args.splits,
        tuple(args.datasets),
        tuple(args.models),
        args.skbnn_params,
        args.n_jobs,
    )
