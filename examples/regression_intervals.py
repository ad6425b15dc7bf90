"""Prediction intervals on a table: scikit-learn's diabetes data
===============================================================

``BayesianMLPRegressor`` with its defaults, in a ``Pipeline`` after a
``StandardScaler``, on scikit-learn's bundled diabetes data (442 patients, 10
features, disease progression after one year), a third of the rows held out.
``predict_distribution(X)`` gives each test patient its posterior predictive
distribution (a mixture of Student-t distributions over the posterior
draws), and ``predict_interval(X, confidence=p)`` its central interval at
level ``p``: the distribution's own quantiles, not the mean plus or minus a
Normal quantile times the std, which misstates heavy tails. The script prints
the test RMSE, the test log-likelihood per point, the CRPS and the coverage
of the 90% intervals (and, for contrast, of mean +/- 2 std), beside
scikit-learn's ``BayesianRidge`` (a Bayesian linear model whose predictive
distribution is Normal, the natural first choice on such a table), and saves
``regression_intervals.png``: the test predictions with their 90% intervals
against the truth, and the fraction of test targets inside the intervals at
each level against the level (a calibration curve of the intervals; on the
diagonal, an interval at level ``p`` holds a fraction ``p`` of new
targets).

Run: ``python examples/regression_intervals.py [--output-dir DIR]``
"""

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import norm  # noqa: E402
from sklearn.datasets import load_diabetes  # noqa: E402
from sklearn.linear_model import BayesianRidge  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skbnn import BayesianMLPRegressor  # noqa: E402

# The documentation's gallery runs each example in its folder, without __file__.
HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()
DEFAULT_OUTPUT_DIR = HERE / "output"
LEVELS = np.linspace(0.05, 0.99, 40)


def interval_figures(y, mean, std, interval, log_density, crps):
    """RMSE, log-likelihood, CRPS and the coverage of central intervals.

    ``interval(level)`` returns the lower and upper bounds at ``level``.
    """

    def coverage(level):
        lower, upper = interval(level)
        return float(np.mean((lower <= y) & (y <= upper)))

    return {
        "rmse": float(np.sqrt(np.mean((y - mean) ** 2))),
        "log_likelihood": float(np.mean(log_density)),
        "crps": float(np.mean(crps)),
        "coverage_90": coverage(0.9),
        "coverage_2std": float(np.mean(np.abs(y - mean) <= 2 * std)),
        "coverage_by_level": [coverage(level) for level in LEVELS],
    }


def normal_crps(y, mean, std):
    """CRPS of Normal predictions (Gneiting and Raftery, 2007)."""
    z = (y - mean) / std
    return std * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))


def skbnn_figures(pipeline, X_test, y_test):
    """The figures of skbnn's predictive distribution."""
    scaler, model = pipeline
    distribution = model.predict_distribution(scaler.transform(X_test))
    return interval_figures(
        y_test,
        distribution.mean(),
        distribution.std(),
        distribution.interval,
        distribution.logpdf(y_test),
        distribution.crps(y_test),
    )


def normal_figures(pipeline, X_test, y_test):
    """The figures of a Normal predictive distribution (BayesianRidge's)."""
    mean, std = pipeline.predict(X_test, return_std=True)
    return interval_figures(
        y_test,
        mean,
        std,
        lambda level: norm.interval(level, mean, std),
        norm.logpdf(y_test, mean, std),
        normal_crps(y_test, mean, std),
    )


def main(output_dir=DEFAULT_OUTPUT_DIR):
    """Fit both models, compare their intervals, plot; return the figures."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=1 / 3, random_state=0
    )
    models = {
        "skbnn BayesianMLPRegressor": (
            BayesianMLPRegressor(random_state=0),
            skbnn_figures,
        ),
        "BayesianRidge": (BayesianRidge(), normal_figures),
    }
    figures = {}
    for name, (model, measure) in models.items():
        pipeline = make_pipeline(StandardScaler(), model)
        start = time.perf_counter()
        pipeline.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
        figures[name] = measure(pipeline, X_test, y_test)
        figures[name]["fit_seconds"] = fit_seconds
        print(
            f"{name}: RMSE {figures[name]['rmse']:.1f}, log-likelihood "
            f"{figures[name]['log_likelihood']:.3f}, CRPS {figures[name]['crps']:.2f}, "
            f"90% interval coverage {figures[name]['coverage_90']:.3f} "
            f"(mean +/- 2 std: {figures[name]['coverage_2std']:.3f}), "
            f"fit {fit_seconds:.1f} s"
        )
        if name.startswith("skbnn"):
            scaler, bnn = pipeline
            intervals = bnn.predict_interval(scaler.transform(X_test), confidence=0.9)
            mean = bnn.predict(scaler.transform(X_test))

    fig, (ax_pred, ax_cover) = plt.subplots(1, 2, figsize=(12, 5))
    ax_pred.errorbar(
        y_test,
        mean,
        yerr=np.abs(intervals - mean[:, None]).T,
        fmt="o",
        ms=3,
        alpha=0.6,
        elinewidth=0.8,
    )
    limits = [y.min(), y.max()]
    ax_pred.plot(limits, limits, "k--", lw=1)
    ax_pred.set(
        xlabel="observed progression",
        ylabel="predicted mean and 90% interval",
        title="BayesianMLPRegressor on held-out patients",
    )
    for name in models:
        ax_cover.plot(LEVELS, figures[name]["coverage_by_level"], label=name)
    ax_cover.plot([0, 1], [0, 1], "k--", lw=1, label="calibrated")
    ax_cover.set(
        xlabel="interval level",
        ylabel="fraction of test targets inside",
        title="Calibration of the central intervals",
    )
    ax_cover.legend()
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / "regression_intervals.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"saved {path}")
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    main(parser.parse_known_args()[0].output_dir)
