"""Prediction intervals on a table: scikit-learn's diabetes data
===============================================================

``BayesianMLPRegressor`` with its defaults, in a ``Pipeline`` after a
``StandardScaler``, on scikit-learn's bundled diabetes data (442 patients, 10
features, disease progression after one year), a third of the rows held out.
``predict(X, return_std=True)`` gives each test patient a predictive mean and
standard deviation; a central interval at level ``p`` is the mean plus or
minus the Normal quantile of ``(1 + p) / 2`` times that std. The script
prints the test RMSE, the test log-likelihood per point and the coverage of
the +/- 2 std intervals, beside scikit-learn's ``BayesianRidge`` (a Bayesian
linear model, the natural first choice on such a table), and saves
``regression_intervals.png``: the test predictions with their +/- 2 std
intervals against the truth, and the fraction of test targets inside the
intervals at each level against the level (a calibration curve of the
intervals; on the diagonal, an interval at level ``p`` holds a fraction ``p``
of new targets).

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


def interval_figures(y, mean, std):
    """RMSE, mean log-likelihood and coverage of central Normal intervals."""
    inside = [
        float(np.mean(np.abs(y - mean) <= norm.ppf((1 + level) / 2) * std))
        for level in LEVELS
    ]
    return {
        "rmse": float(np.sqrt(np.mean((y - mean) ** 2))),
        "log_likelihood": float(np.mean(norm.logpdf(y, mean, std))),
        "coverage_2std": float(np.mean(np.abs(y - mean) <= 2 * std)),
        "coverage_by_level": inside,
    }


def main(output_dir=DEFAULT_OUTPUT_DIR):
    """Fit both models, compare their intervals, plot; return the figures."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=1 / 3, random_state=0
    )
    models = {
        "skbnn BayesianMLPRegressor": BayesianMLPRegressor(random_state=0),
        "BayesianRidge": BayesianRidge(),
    }
    figures, predictions = {}, {}
    for name, model in models.items():
        pipeline = make_pipeline(StandardScaler(), model)
        start = time.perf_counter()
        pipeline.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
        mean, std = pipeline.predict(X_test, return_std=True)
        predictions[name] = mean, std
        figures[name] = interval_figures(y_test, mean, std)
        figures[name]["fit_seconds"] = fit_seconds
        print(
            f"{name}: RMSE {figures[name]['rmse']:.1f}, log-likelihood "
            f"{figures[name]['log_likelihood']:.3f}, +/- 2 std coverage "
            f"{figures[name]['coverage_2std']:.3f}, fit {fit_seconds:.1f} s"
        )

    fig, (ax_pred, ax_cover) = plt.subplots(1, 2, figsize=(12, 5))
    mean, std = predictions["skbnn BayesianMLPRegressor"]
    ax_pred.errorbar(
        y_test, mean, yerr=2 * std, fmt="o", ms=3, alpha=0.6, elinewidth=0.8
    )
    limits = [y.min(), y.max()]
    ax_pred.plot(limits, limits, "k--", lw=1)
    ax_pred.set(
        xlabel="observed progression",
        ylabel="predicted mean +/- 2 std",
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
    main(parser.parse_args().output_dir)
