"""Time BayesianConvClassifier on MNIST: ADVI steps and prediction.

Fits the default conv net for one epoch on full MNIST (the posterior's values
do not change the cost of a step or of prediction), then times
``predict_uncertainty(kind="all", return_proba=True)`` on the 10k test images
with 30 and 100 posterior draws. For scale, the same prediction with the
MNIST MLP (784-800-800-10, one epoch) runs in the same process. Prints what it
measured and ends with one JSON line.

Run: ``python benchmarks/bench_conv.py --data-dir ../shared/data/mnist``
"""

import argparse
import json
import time
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning

from skbnn import BayesianConvClassifier, BayesianMLPClassifier
from skbnn.datasets import load_mnist

DEFAULT_DATA_DIR = Path(__file__).parent.parent.parent / "shared" / "data" / "mnist"


def _measure(estimator, X, y, X_test, draws):
    figures = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(X, y)
        fit_seconds = time.perf_counter() - start
    # The first epoch includes compiling the step; time a second one alone.
    estimator.set_params(warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(X, y)
        epoch_seconds = time.perf_counter() - start
    steps = -(-X.shape[0] // estimator.batch_size)
    figures["first_epoch_seconds"] = fit_seconds
    figures["steps_per_second"] = steps / epoch_seconds
    for n_draws in draws:
        estimator.set_params(n_posterior_draws=n_draws)
        estimator.predict_uncertainty(X_test[:100], kind="all")  # compile
        start = time.perf_counter()
        estimator.predict_uncertainty(X_test, kind="all", return_proba=True)
        figures[f"predict_seconds_{n_draws}_draws"] = time.perf_counter() - start
    return figures


def main(data_dir=DEFAULT_DATA_DIR, draws=(30, 100)):
    X, y = load_mnist(data_dir, "train")
    X_test, _ = load_mnist(data_dir, "test")
    settings = dict(batch_size=128, learning_rate_init=1e-3, max_iter=1)
    results = {}
    for name, estimator in [
        ("conv", BayesianConvClassifier(input_shape=(28, 28), **settings)),
        ("mlp_2x800", BayesianMLPClassifier(hidden_layer_sizes=(800, 800), **settings)),
    ]:
        results[name] = _measure(estimator, X, y, X_test, draws)
        print(
            f"{name}: {results[name]['steps_per_second']:.1f} ADVI steps/s; "
            + ", ".join(
                f"{n} draws {results[name][f'predict_seconds_{n}_draws']:.1f} s"
                for n in draws
            )
            + " for probabilities + every uncertainty kind on 10k images"
        )
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    try:
        main(args.data_dir)
    except FileNotFoundError as error:
        parser.exit(2, f"error: {error}\n")
