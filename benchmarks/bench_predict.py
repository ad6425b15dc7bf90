"""Prediction time by number of rows, beside scikit-learn's MLP in one run.

Times ``predict_proba`` with the estimators' 100 posterior draws on 1, 7, 23,
257 and 10,000 MNIST test images, for the 784-800-800-10 ``BayesianMLPClassifier``
and the default ``BayesianConvClassifier``, and ``MLPClassifier.predict_proba``
on the same rows; for the skbnn MLP also the same average with every draw a
whole network, as prediction computed before its first layer was drawn from
its moments. The networks are fitted for one epoch on 2,000 training
images: the time of a prediction does not depend on how well it was fitted.
Each figure is the best of ``--repeats`` calls after a first, compiling one.

Prints each figure, the ratio to ``MLPClassifier``, and one JSON line.
Asserts nothing. Run:
``python benchmarks/bench_predict.py [--data-dir DIR] [--repeats N]``
"""

import argparse
import json
import time
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skbnn import BayesianConvClassifier, BayesianMLPClassifier
from skbnn._prediction.averages import posterior_expectations
from skbnn.datasets import load_mnist

DEFAULT_DATA_DIR = Path(__file__).parent.parent.parent / "shared" / "data" / "mnist"
ROW_COUNTS = (1, 7, 23, 257, 10_000)
N_TRAIN = 2_000


def _best_time(function, repeats):
    function()  # compiles for this shape
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def _fitted_models(X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {
            "mlp": BayesianMLPClassifier(
                hidden_layer_sizes=(800, 800), max_iter=1, random_state=0
            ).fit(X, y),
            "conv": BayesianConvClassifier(
                input_shape=(28, 28), max_iter=1, random_state=0
            ).fit(X, y),
            "sklearn_mlp": MLPClassifier(
                hidden_layer_sizes=(800, 800), max_iter=1, random_state=0
            ).fit(X, y),
        }


def _whole_network_proba(clf, X):
    """``predict_proba`` with every draw a whole network from the posterior.

    What prediction computed before the MLP's first layer was drawn from its
    moments given each row (see the user guide's computation page).
    """
    X = clf._validated_input(X)
    n_draws = clf.n_posterior_draws
    draws = clf._iter_draw_outputs(
        X, clf.posterior_, n_draws, clf._prediction_seed, joint=True
    )
    return posterior_expectations(draws, X.shape[0], n_draws, clf._statistics)


def main(data_dir=DEFAULT_DATA_DIR, repeats=2, row_counts=ROW_COUNTS):
    X_train, y_train = load_mnist(data_dir, "train")
    X_test, _ = load_mnist(data_dir, "test")
    models = _fitted_models(X_train[:N_TRAIN], y_train[:N_TRAIN])
    results = {}
    for n_rows in row_counts:
        rows = X_test[:n_rows]
        seconds = {
            name: _best_time(lambda model=model: model.predict_proba(rows), repeats)
            for name, model in models.items()
        }
        seconds["mlp_whole_networks"] = _best_time(
            lambda: _whole_network_proba(models["mlp"], rows), repeats
        )
        baseline = seconds["sklearn_mlp"]
        print(
            f"{n_rows:>6} rows: skbnn MLP {seconds['mlp']:.3f} s "
            f"({seconds['mlp'] / baseline:.0f}x MLPClassifier; whole networks "
            f"drawn {seconds['mlp_whole_networks']:.3f} s), "
            f"conv {seconds['conv']:.3f} s, "
            f"MLPClassifier {baseline * 1e3:.2f} ms"
        )
        results[str(n_rows)] = {name: round(s, 4) for name, s in seconds.items()}
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    main(args.data_dir, args.repeats)
