"""Small tables at gradient-boosting speed: skbnn's fit time beside its peers'.

Every figure is a ratio measured in this one run, on one core (the process
is pinned to one CPU and JAX, OpenMP and BLAS use one thread):

- ``warm``: the second and later fits in a process of ``BayesianMLPRegressor()``
  against ``NGBRegressor()`` on diabetes (90/10 splits) and on each UCI set in
  ``--data-dir`` (splits 0 to ``--splits`` - 1), and of
  ``BayesianMLPClassifier()`` against ``HistGradientBoostingClassifier()`` on
  scikit-learn's breast cancer and wine (75/25 splits) and on ``taxi`` and
  ``cells`` from ``--tabular-dir``, each model behind the same one-hot and
  scaling ``ColumnTransformer``. Each fit is timed after one untimed fit of
  the same estimator on the same set, which compiles what the set needs;
  a classification table's time is the median of five fits.
  Beside the times: each model's test log-likelihood per point (regression:
  skbnn's ``log_predictive_density``, NGBoost's Normal) or log loss.
- ``cold``: the first fit of each on diabetes in a fresh Python process,
  after the imports (and the imports' seconds); the median of
  ``--cold-repeats`` processes of each, run in turn.
- ``grid``: ``GridSearchCV`` of 12 candidates x 5 folds on diabetes, skbnn's
  (``hidden_layer_sizes`` x ``alpha``-like ``prior_scale`` x
  ``learning_rate_init``) against NGBoost's (``n_estimators`` x
  ``learning_rate`` x ``minibatch_frac``), ``n_jobs=1``.

Ends with one JSON line. Needs ``pip install "skbnn[benchmark]"`` (NGBoost).
Run: ``python benchmarks/bench_speed.py --data-dir ../shared/data/uci
--tabular-dir ../shared/data/tabular [--splits 5] [--parts warm,cold,grid]``
(``warm`` is ``warm_regression,warm_classification``)
"""

import os

# One core and one thread each, before numpy, JAX or OpenMP start.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "")
    + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_UCI = HERE.parent.parent / "shared" / "data" / "uci"
DEFAULT_TABULAR = HERE.parent.parent / "shared" / "data" / "tabular"
CLASSIFICATION_TABLES = {"taxi": "tip", "cells": "class"}


def _pin_to_one_core():
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def _timed(fit, repeats=1):
    """The fitted model and the median seconds of ``repeats`` fits."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fitted = fit()
        seconds.append(time.perf_counter() - start)
    return fitted, float(np.median(seconds))


def _regression_sets(uci_dir, n_splits):
    sys.path.insert(0, str(HERE))
    from bench_uci import load_diabetes_split, load_split

    yield "diabetes", [load_diabetes_split(split) for split in range(n_splits)]
    for folder in sorted(Path(uci_dir).iterdir()):
        if folder.is_dir():
            yield folder.name, [load_split(folder, s) for s in range(n_splits)]


def _regression_models():
    from ngboost import NGBRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skbnn import BayesianMLPRegressor

    return {
        "skbnn": lambda seed: make_pipeline(
            StandardScaler(), BayesianMLPRegressor(random_state=seed)
        ),
        "ngboost": lambda seed: make_pipeline(
            StandardScaler(), NGBRegressor(random_state=seed, verbose=False)
        ),
    }


def _regression_ll(name, model, X_test, y_test):
    from scipy.stats import norm

    scaled = model[:-1].transform(X_test)
    if name == "skbnn":
        return float(np.mean(model[-1].log_predictive_density(scaled, y_test)))
    dist = model[-1].pred_dist(scaled)
    return float(np.mean(norm.logpdf(y_test, dist.loc, dist.scale)))


def _warm_regression(uci_dir, n_splits):
    models = _regression_models()
    rows = []
    for data_name, splits in _regression_sets(uci_dir, n_splits):
        for name, make in models.items():
            X_train, y_train, _, _ = splits[0]
            make(0).fit(X_train, y_train)  # compiles what this set needs
            for split, (X_train, y_train, X_test, y_test) in enumerate(splits):
                model, seconds = _timed(lambda: make(split).fit(X_train, y_train))  # noqa: B023
                ll = _regression_ll(name, model, X_test, y_test)
                rows.append((data_name, name, split, seconds, ll))
                print(
                    f"{data_name:10s} {name:8s} split {split}: "
                    f"{seconds:6.2f} s, LL {ll:.3f}"
                )
    return rows


def _classification_sets(tabular_dir):
    import pandas as pd
    from sklearn.datasets import load_breast_cancer, load_wine
    from sklearn.model_selection import train_test_split

    for name, loader in (("breast_cancer", load_breast_cancer), ("wine", load_wine)):
        X, y = loader(return_X_y=True, as_frame=True)
        yield name, train_test_split(X, y, random_state=0, stratify=y)
    for name, target in CLASSIFICATION_TABLES.items():
        table = pd.read_csv(Path(tabular_dir) / f"{name}.csv")
        X, y = table.drop(columns=target), table[target]
        yield name, train_test_split(X, y, random_state=0, stratify=y)


def _preprocessing(X):
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = make_column_selector(dtype_include="number")
    others = make_column_selector(dtype_exclude="number")
    return ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(), StandardScaler()), numbers),
            (
                "categories",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                others,
            ),
        ]
    )


def _warm_classification(tabular_dir):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import log_loss
    from sklearn.pipeline import make_pipeline

    from skbnn import BayesianMLPClassifier

    makers = {
        "skbnn": lambda: BayesianMLPClassifier(random_state=0),
        "hgb": lambda: HistGradientBoostingClassifier(random_state=0),
    }
    rows = []
    for data_name, (X_train, X_test, y_train, y_test) in _classification_sets(
        tabular_dir
    ):
        for name, make in makers.items():

            def fit(make=make):
                return make_pipeline(_preprocessing(X_train), make()).fit(
                    X_train, y_train
                )

            fit()  # compiles what this set needs
            # Fits of a second or less: the median of five, against the noise.
            model, seconds = _timed(fit, repeats=5)
            loss = log_loss(y_test, model.predict_proba(X_test), labels=model.classes_)
            rows.append((data_name, name, 0, seconds, -loss))
            print(f"{data_name:14s} {name:6s}: {seconds:6.2f} s, log loss {loss:.4f}")
    return rows


COLD_SCRIPT = """
import time
start = time.perf_counter()
import warnings
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler
{imports}
imported = time.perf_counter()
X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    fit_start = time.perf_counter()
    {model}.fit(X, y)
print(imported - start, time.perf_counter() - fit_start)
"""
COLD_MODELS = {
    "skbnn": ("from skbnn import BayesianMLPRegressor", "BayesianMLPRegressor()"),
    "ngboost": ("from ngboost import NGBRegressor", "NGBRegressor(verbose=False)"),
}


def _cold(repeats):
    """Each model's first fit in fresh processes, the two in turn; medians."""
    runs = {name: [] for name in COLD_MODELS}
    for _ in range(repeats):
        for name, (imports, model) in COLD_MODELS.items():
            script = COLD_SCRIPT.format(imports=imports, model=model)
            out = subprocess.run(
                [sys.executable, "-c", script],
                capture_output=True,
                text=True,
                check=True,
            )
            runs[name].append(tuple(map(float, out.stdout.split())))
    figures = {}
    for name, pairs in runs.items():
        import_seconds, fit_seconds = np.median(np.array(pairs), axis=0)
        figures[name] = {
            "import_s": float(import_seconds),
            "first_fit_s": float(fit_seconds),
            "runs": len(pairs),
        }
        print(
            f"cold {name:8s}: imports {import_seconds:.2f} s, "
            f"first fit {fit_seconds:.2f} s (medians of {len(pairs)} processes)"
        )
    return figures


def _grid():
    from ngboost import NGBRegressor
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from skbnn import BayesianMLPRegressor

    X, y = load_diabetes(return_X_y=True)
    searches = {
        "skbnn": (
            BayesianMLPRegressor(random_state=0),
            {
                "model__hidden_layer_sizes": [(16,), (16, 16)],
                "model__prior_scale": [0.5, 1.0, 2.0],
                "model__learning_rate_init": [0.003, 0.01],
            },
        ),
        "ngboost": (
            NGBRegressor(random_state=0, verbose=False),
            {
                "model__n_estimators": [250, 500],
                "model__learning_rate": [0.003, 0.01, 0.03],
                "model__minibatch_frac": [0.5, 1.0],
            },
        ),
    }
    figures = {}
    for name, (model, grid) in searches.items():
        search = GridSearchCV(
            Pipeline([("scale", StandardScaler()), ("model", model)]),
            grid,
            cv=5,
            scoring="r2",  # NGBoost's own score is its log-likelihood
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, seconds = _timed(lambda search=search: search.fit(X, y))
        figures[name] = {"seconds": seconds, "best_r2": float(search.best_score_)}
        print(f"grid {name:8s}: {seconds:.1f} s, best CV R^2 {search.best_score_:.3f}")
    return figures


def _summarise(rows, baseline):
    """Per data set: mean seconds and figure of each model, and the time ratio."""
    summary = {}
    for data_name in dict.fromkeys(row[0] for row in rows):
        entry = {}
        for name in dict.fromkeys(row[1] for row in rows if row[0] == data_name):
            mine = [row for row in rows if row[:2] == (data_name, name)]
            entry[f"{name}_s"] = float(np.mean([row[3] for row in mine]))
            entry[f"{name}_score"] = float(np.mean([row[4] for row in mine]))
        entry["ratio"] = entry["skbnn_s"] / entry[f"{baseline}_s"]
        summary[data_name] = entry
        print(
            f"{data_name:14s} skbnn / {baseline}: {entry['ratio']:.2f} "
            f"({entry['skbnn_s']:.2f} s / {entry[f'{baseline}_s']:.2f} s)"
        )
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(DEFAULT_UCI))
    parser.add_argument("--tabular-dir", default=str(DEFAULT_TABULAR))
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--parts", default="warm,cold,grid")
    parser.add_argument(
        "--cold-repeats", type=int, default=5, help="fresh processes per model"
    )
    args = parser.parse_args()
    parts = args.parts.split(",")
    _pin_to_one_core()
    figures = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if {"warm", "warm_regression"} & set(parts):
            figures["warm_regression"] = _summarise(
                _warm_regression(args.data_dir, args.splits), "ngboost"
            )
        if {"warm", "warm_classification"} & set(parts):
            figures["warm_classification"] = _summarise(
                _warm_classification(args.tabular_dir), "hgb"
            )
    if "cold" in parts:
        figures["cold"] = _cold(args.cold_repeats)
    if "grid" in parts:
        figures["grid"] = _grid()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
