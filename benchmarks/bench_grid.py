"""A 12-fit grid search in one process, on 2 loky processes and on a Dask cluster.

``GridSearchCV`` over ``BayesianMLPClassifier`` (hidden (64, 64), 100
epochs, 6 candidates: ``learning_rate_init`` x ``early_stopping``, 2 folds: 12
fits of 10,000 rows) on a generated 20-feature classification problem, each
run in a fresh Python process so that each pays its own start-up and
compilation:

- ``serial``: ``n_jobs=1``;
- ``loky``: ``n_jobs=2``, joblib's default process pool;
- ``dask``: ``n_jobs=2`` inside ``joblib.parallel_config(backend="dask")`` with
  a ``dask.distributed.LocalCluster`` of 2 worker processes of 1 thread.

Prints each run's wall time, whether its ``cv_results_`` equal the serial
run's, and the compilation cost: one fit timed cold and again warm in the
serial process (their difference is what each process pays once), its share
of each run's wall time, and for the cluster the number of compiled ADVI steps
each worker holds at the end. Ends with one JSON line.

Run: ``python benchmarks/bench_grid.py``
"""

import argparse
import json
import subprocess
import sys
import time
import warnings

import numpy as np

GRID = {"learning_rate_init": [0.003, 0.01, 0.03], "early_stopping": [False, True]}
N_SAMPLES = 20_000
N_TRAIN = N_SAMPLES // 2  # the training rows of each of the 2 folds


def make_problem():
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=N_SAMPLES, n_features=20, n_informative=10, random_state=0
    )
    return X.astype(np.float32), y


def make_search(n_jobs):
    from sklearn.model_selection import GridSearchCV

    from skbnn import BayesianMLPClassifier

    estimator = BayesianMLPClassifier(
        hidden_layer_sizes=(64, 64), max_iter=100, random_state=0
    )
    return GridSearchCV(estimator, GRID, cv=2, n_jobs=n_jobs)


def comparable(cv_results):
    """The cv_results_ entries that do not measure time, as lists."""
    return {
        key: np.asarray(value).tolist()
        for key, value in cv_results.items()
        if not key.endswith("_time") and key != "params"
    }


def run_in_child(mode):
    """Run in the child: one grid search; print one JSON line."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = make_problem()
    figures = {}
    start = time.perf_counter()
    if mode == "dask":
        import joblib
        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
            joblib.parallel_config(backend="dask"),
        ):
            search = make_search(n_jobs=2).fit(X, y)

            def compiled_steps():
                from skbnn._inference.step import STEP_CACHE

                return len(STEP_CACHE)

            figures["steps_per_worker"] = sorted(client.run(compiled_steps).values())
    else:
        search = make_search(n_jobs=2 if mode == "loky" else 1).fit(X, y)
    figures["wall_seconds"] = time.perf_counter() - start
    if mode == "serial":
        # The step is compiled now: time a fit of the same shape cold (in a
        # fresh process, below) against this warm one.
        estimator = make_search(1).estimator
        start = time.perf_counter()
        estimator.fit(X[:N_TRAIN], y[:N_TRAIN])
        figures["warm_fit_seconds"] = time.perf_counter() - start
    figures["cv_results"] = comparable(search.cv_results_)
    print(json.dumps(figures))


def cold_fit_in_child():
    """Run in the child: the first fit of the process, timed."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = make_problem()
    estimator = make_search(1).estimator
    start = time.perf_counter()
    estimator.fit(X[:N_TRAIN], y[:N_TRAIN])
    print(json.dumps({"cold_fit_seconds": time.perf_counter() - start}))


def child(*arguments):
    done = subprocess.run(
        [sys.executable, __file__, *arguments],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", choices=["serial", "loky", "dask", "cold"])
    args = parser.parse_args()
    if args.child == "cold":
        cold_fit_in_child()
        return
    if args.child:
        run_in_child(args.child)
        return

    cold = child("--child", "cold")["cold_fit_seconds"]
    runs = {mode: child("--child", mode) for mode in ("serial", "loky", "dask")}
    compile_seconds = cold - runs["serial"]["warm_fit_seconds"]
    print(
        f"one fit ({N_TRAIN} rows x 100 epochs): cold {cold:.1f} s, "
        f"warm {runs['serial']['warm_fit_seconds']:.1f} s: compilation "
        f"{compile_seconds:.1f} s, paid once per process"
    )
    results = {"cold_fit_seconds": cold, "compile_seconds": compile_seconds}
    for mode, figures in runs.items():
        same = figures["cv_results"] == runs["serial"]["cv_results"]
        share = compile_seconds / figures["wall_seconds"]
        line = (
            f"{mode:>6}: 12 fits in {figures['wall_seconds']:.1f} s "
            f"({runs['serial']['wall_seconds'] / figures['wall_seconds']:.2f}x "
            f"serial), compilation {100 * share:.0f}% of the wall time, "
            f"cv_results_ {'identical to' if same else 'DIFFERENT from'} serial"
        )
        if "steps_per_worker" in figures:
            line += f", compiled steps per worker {figures['steps_per_worker']}"
        print(line)
        results[mode] = {
            "wall_seconds": figures["wall_seconds"],
            "compile_share": share,
            "same_cv_results": same,
            **{k: v for k, v in figures.items() if k == "steps_per_worker"},
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
