"""Real regression tables with text categories and missing entries, 5-fold.

For each table of ``--data-dir`` (``../shared/data/tabular/``: ames,
sacramento, deliveries; see its README) and each of 5 folds (``KFold``,
shuffled, ``random_state=0``), every model sits behind the same scikit-learn
preprocessing, fitted on the training folds: numbers imputed (mean) and
standardised, text imputed (most frequent) and one-hot encoded. The target
stays in its own units. On the held-out fold it measures:

- the test log-likelihood per row under the model's own predictive
  distribution (where it has one), and the CRPS (lower is better);
- the RMSE of the predictive mean (of the median, for quantile boosting);
- the share of targets inside the central 90% interval (nominal 0.90);
- the fit's seconds.

The models, each with its package's defaults:

- ``skbnn``: ``BayesianMLPRegressor()`` (its ``predict_distribution``), or
  with ``--skbnn-params`` (a JSON object of parameters); with a
  ``target_transform`` its point prediction is the predictive median;
- ``ngboost``: ``NGBRegressor()``, Normal (``pip install "skbnn[benchmark]"``);
- ``gp``: ``GaussianProcessRegressor`` with a constant times ARD RBF kernel
  plus white noise, ``normalize_y=True``, where the training folds have at
  most ``GP_MAX_ROWS`` rows (sacramento only);
- ``bayesian_ridge``: ``BayesianRidge()``, Normal;
- ``quantile_boosting``: three ``HistGradientBoostingRegressor(loss=
  "quantile")`` at 0.05, 0.5 and 0.95: an interval and a median, no density.

Prints mean +/- standard error over the folds and ends with one JSON line.
Nothing is tuned per table.

Run: ``python benchmarks/bench_tabular.py --data-dir ../shared/data/tabular``
"""

import argparse
import functools
import json
import runpy
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skbnn import BayesianMLPRegressor

HERE = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = HERE.parent.parent / "shared" / "data" / "tabular"
# The UCI protocol's Normal predictions, summaries and GP size limit.
_UCI = runpy.run_path(str(HERE / "bench_uci.py"))
GP_MAX_ROWS, normal_prediction = _UCI["GP_MAX_ROWS"], _UCI["normal_prediction"]
_formatted, _mean_and_error = _UCI["_formatted"], _UCI["_mean_and_error"]
TABLES = {"ames": "Sale_Price", "sacramento": "price", "deliveries": "time_to_delivery"}
LEVEL = 0.9
N_FOLDS = 5


def load_table(data_dir, name):
    """Return the table's features (a DataFrame) and its target."""
    frame = pd.read_csv(Path(data_dir) / f"{name}.csv")
    target = TABLES[name]
    return frame.drop(columns=target), frame[target].to_numpy(dtype=float)


def preprocessing():
    """Numbers imputed and standardised, text imputed and one-hot encoded."""
    return make_column_transformer(
        (
            make_pipeline(SimpleImputer(), StandardScaler()),
            make_column_selector(dtype_include="number"),
        ),
        (
            make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            ),
            make_column_selector(dtype_exclude="number"),
        ),
    )


def fit_skbnn(Z_train, y_train, Z_test, y_test, seed, params=None):
    reg = BayesianMLPRegressor(random_state=seed, **(params or {}))
    reg.fit(Z_train, y_train)
    distribution = reg.predict_distribution(Z_test)
    # predict's point from the same draws: the mean, or with a target
    # transform the median (no mean need exist).
    transformed = reg.target_transform is not None
    return {
        "mean": distribution.ppf(0.5) if transformed else distribution.mean(),
        "log_density": distribution.logpdf(y_test),
        "interval": distribution.interval,
        "crps": distribution.crps(y_test),
    }


def fit_ngboost(Z_train, y_train, Z_test, y_test, seed):
    from ngboost import NGBRegressor

    reg = NGBRegressor(random_state=seed, verbose=False).fit(Z_train, y_train)
    distribution = reg.pred_dist(Z_test)
    return normal_prediction(distribution.loc, distribution.scale, y_test)


def fit_gp(Z_train, y_train, Z_test, y_test, seed):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    if len(Z_train) > GP_MAX_ROWS:
        return None
    kernel = ConstantKernel() * RBF(np.ones(Z_train.shape[1])) + WhiteKernel()
    gp = GaussianProcessRegressor(kernel, normalize_y=True, random_state=seed)
    gp.fit(Z_train, y_train)
    return normal_prediction(*gp.predict(Z_test, return_std=True), y_test)


def fit_bayesian_ridge(Z_train, y_train, Z_test, y_test, seed):
    from sklearn.linear_model import BayesianRidge

    reg = BayesianRidge().fit(Z_train, y_train)
    return normal_prediction(*reg.predict(Z_test, return_std=True), y_test)


def fit_quantile_boosting(Z_train, y_train, Z_test, y_test, seed):
    from sklearn.ensemble import HistGradientBoostingRegressor

    alpha = (1 - LEVEL) / 2
    predictions = {
        q: HistGradientBoostingRegressor(loss="quantile", quantile=q, random_state=seed)
        .fit(Z_train, y_train)
        .predict(Z_test)
        for q in (alpha, 0.5, 1 - alpha)
    }
    return {
        "mean": predictions[0.5],
        "interval": lambda level: (predictions[alpha], predictions[1 - alpha]),
    }


MODELS = {
    "skbnn": fit_skbnn,
    "ngboost": fit_ngboost,
    "gp": fit_gp,
    "bayesian_ridge": fit_bayesian_ridge,
    "quantile_boosting": fit_quantile_boosting,
}


def evaluate_fold(X_train, y_train, X_test, y_test, fold, model, params=None):
    """Fit one model on one fold; its held-out figures, or None if not fitted."""
    start = time.perf_counter()
    transform = preprocessing().fit(X_train)
    Z_train, Z_test = transform.transform(X_train), transform.transform(X_test)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = MODELS[model]
        if params:
            fit = functools.partial(fit, params=params)
        prediction = fit(Z_train, y_train, Z_test, y_test, fold)
    fit_seconds = time.perf_counter() - start
    if prediction is None:
        return None
    lower, upper = prediction["interval"](LEVEL)
    figures = {
        "rmse": float(np.sqrt(np.mean((y_test - prediction["mean"]) ** 2))),
        "coverage_90": float(np.mean((lower <= y_test) & (y_test <= upper))),
        "fit_seconds": fit_seconds,
    }
    if "log_density" in prediction:
        figures["ll"] = float(np.mean(prediction["log_density"]))
        figures["crps"] = float(np.mean(prediction["crps"]))
    return figures


def main(
    data_dir=DEFAULT_DATA_DIR,
    tables=tuple(TABLES),
    models=tuple(MODELS),
    skbnn_params=None,
):
    results = {}
    for name in tables:
        X, y = load_table(data_dir, name)
        folds = list(KFold(N_FOLDS, shuffle=True, random_state=0).split(X))
        results[name] = {}
        print(f"{name} ({len(X)} rows, {N_FOLDS} folds)")
        for model in models:
            params = skbnn_params if model == "skbnn" else None
            runs = [
                evaluate_fold(
                    X.iloc[fit], y[fit], X.iloc[test], y[test], fold, model, params
                )
                for fold, (fit, test) in enumerate(folds)
            ]
            if any(run is None for run in runs):
                print(f"  {model:18s} not fitted: more than {GP_MAX_ROWS} rows")
                continue
            summary = results[name][model] = {
                key: _mean_and_error([run[key] for run in runs]) for key in runs[0]
            }
            cells = "; ".join(
                f"{key} {_formatted(*summary[key])}"
                for key in ("ll", "crps", "rmse", "coverage_90", "fit_seconds")
                if key in summary
            )
            print(f"  {model:18s} {cells}", flush=True)
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--tables", nargs="+", default=list(TABLES), choices=TABLES)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument(
        "--skbnn-params",
        type=json.loads,
        default={},
        help="BayesianMLPRegressor's parameters as JSON, e.g. "
        '\'{"target_transform": "yeo-johnson"}\'',
    )
    args = parser.parse_args()
    main(args.data_dir, args.tables, args.models, args.skbnn_params)
