"""Count regression: skbnn's Poisson likelihood beside scikit-learn's two.

``BayesianMLPRegressor(likelihood="poisson")`` (defaults otherwise),
``PoissonRegressor()`` (a log-linear model) and
``HistGradientBoostingRegressor(loss="poisson")`` on counts made here:
1,000 training and 1,000 test rows of ``y ~ Poisson(exp(f(x)))`` with five
standard-normal features, three of which ``f`` uses (a sine, a square and a
line), and the deviance of the true rate beside them. Each seed draws new
data. Prints the test mean Poisson deviance, D^2 (the deviance explained,
:func:`sklearn.metrics.d2_tweedie_score` with ``power=1``) and fit seconds
of each, then one JSON line of their means over the seeds. Asserts nothing.
Run: ``python benchmarks/bench_poisson.py [--seeds N]``.
"""

import argparse
import json
import time
import warnings

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import d2_tweedie_score, mean_poisson_deviance

from skbnn import BayesianMLPRegressor


def counts(n, rng):
    """Counts whose log-rate is a sine, a square and a line of the features."""
    X = rng.normal(size=(n, 5))
    log_rate = 0.5 + np.sin(2 * X[:, 0]) + 0.25 * X[:, 1] ** 2 - 0.3 * X[:, 2]
    return X, rng.poisson(np.exp(log_rate)), np.exp(log_rate)


def models(seed):
    return {
        "skbnn": BayesianMLPRegressor(likelihood="poisson", random_state=seed),
        "poisson_regressor": PoissonRegressor(),
        "hist_gradient_boosting": HistGradientBoostingRegressor(
            loss="poisson", random_state=seed
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    figures = {}
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        X, y, _ = counts(1000, rng)
        X_test, y_test, rate = counts(1000, rng)
        scores = {"true_rate": (mean_poisson_deviance(y_test, rate), None, 0.0)}
        for name, model in models(seed).items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X, y)
            seconds = time.perf_counter() - start
            mean = np.maximum(model.predict(X_test), 1e-12)
            scores[name] = (
                mean_poisson_deviance(y_test, mean),
                d2_tweedie_score(y_test, mean, power=1),
                seconds,
            )
        for name, (deviance, d2, seconds) in scores.items():
            d2_text = "" if d2 is None else f"  D^2 {d2:.3f}"
            print(
                f"seed {seed}  {name:24s} deviance {deviance:.4f}{d2_text}  "
                f"fit {seconds:.1f} s"
            )
            entry = figures.setdefault(name, {"deviance": [], "d2": [], "fit_s": []})
            entry["deviance"].append(deviance)
            entry["d2"].append(d2)
            entry["fit_s"].append(seconds)
    summary = {
        name: {
            key: None if None in values else round(float(np.mean(values)), 4)
            for key, values in entry.items()
        }
        for name, entry in figures.items()
    }
    print(json.dumps({"benchmark": "poisson", "seeds": args.seeds, **summary}))


if __name__ == "__main__":
    main()
