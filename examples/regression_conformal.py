"""Guaranteed coverage: MAPIE's split-conformal intervals around skbnn
===================================================================

A Bayesian model's intervals are as good as its model: on a table where the
noise is not Normal, or the posterior approximation too narrow or too wide,
an interval at level ``p`` may not hold a fraction ``p`` of new targets.
Split-conformal prediction (`MAPIE <https://mapie.readthedocs.io>`_) turns any
fitted regressor into intervals whose coverage on exchangeable new rows is at
least ``p``, whatever the model, by calibrating their width on rows held out
from the fit.

Here ``BayesianMLPRegressor`` is the fitted estimator of MAPIE's
``SplitConformalRegressor`` (``prefit=True``), on scikit-learn's diabetes data
split in three: rows to fit the network, rows to conformalize, rows to test.
Three kinds of interval, each at levels ``0.5`` to ``0.95``:

- skbnn alone: the central intervals of its predictive distribution
  (``predict_interval``, the quantiles of its Student-t mixture);
- MAPIE with the ``"absolute"`` score: one width for every row;
- MAPIE with the ``"std_normalized"`` score: the width follows skbnn's
  predictive std, scaled so that the conformalization rows are covered; the
  rows the network is unsure of get the wider intervals.

The script repeats the three-way split ``--repeats`` times, prints each kind's
mean coverage and width on the test rows, saves ``regression_conformal.png``
(coverage against level, width against level) and ends with one JSON line.

Run: ``python examples/regression_conformal.py [--repeats 5] [--output-dir DIR]``
"""

# %%
# The data, the levels and the three kinds of interval
# ----------------------------------------------------

# The build does not run this example: its card shows a picture of a run.
# sphinx_gallery_thumbnail_path = "images/regression_conformal.png"

import argparse
import json
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from mapie.regression import SplitConformalRegressor
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbnn import BayesianMLPRegressor

# The documentation's gallery runs each example in its folder, without __file__.
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
DEFAULT_OUTPUT_DIR = HERE / "output"
LEVELS = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
KINDS = ("skbnn alone", "MAPIE, absolute", "MAPIE, std-normalised")


# %%
# One split, three ways
# ---------------------
#
# Half the rows fit the network; a quarter calibrate MAPIE's intervals (the
# fitted pipeline is ``prefit``: MAPIE does not refit it); a quarter test all
# three kinds. The ``"std_normalized"`` score divides each calibration
# residual by skbnn's predictive standard deviation, so its intervals keep
# skbnn's sense of which rows are hard.


def _coverage_and_width(y, lower, upper):
    return float(np.mean((lower <= y) & (y <= upper))), float(np.mean(upper - lower))


def one_split(X, y, seed):
    """Fit on one three-way split; each kind's coverage and width by level."""
    X_fit, X_rest, y_fit, y_rest = train_test_split(
        X, y, train_size=0.5, random_state=seed
    )
    X_conf, X_test, y_conf, y_test = train_test_split(
        X_rest, y_rest, train_size=0.5, random_state=seed
    )
    model = make_pipeline(StandardScaler(), BayesianMLPRegressor(random_state=seed))
    model.fit(X_fit, y_fit)
    scaler, regressor = model
    distribution = regressor.predict_distribution(scaler.transform(X_test))
    results = {
        KINDS[0]: [
            _coverage_and_width(y_test, *distribution.interval(level))
            for level in LEVELS
        ]
    }
    for kind, score in zip(KINDS[1:], ("absolute", "std_normalized"), strict=True):
        conformal = SplitConformalRegressor(
            model, confidence_level=LEVELS, conformity_score=score, prefit=True
        )
        conformal.conformalize(X_conf, y_conf)
        _, intervals = conformal.predict_interval(X_test)
        results[kind] = [
            _coverage_and_width(y_test, intervals[:, 0, j], intervals[:, 1, j])
            for j in range(len(LEVELS))
        ]
    return results


# %%
# Coverage and width against the level
# ------------------------------------


def plot(summary, path):
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for kind in KINDS:
        left.plot(LEVELS, summary[kind]["coverage"], "o-", label=kind)
        right.plot(LEVELS, summary[kind]["width"], "o-", label=kind)
    left.plot([0.45, 1.0], [0.45, 1.0], "k:", label="coverage = level")
    left.set(xlabel="level", ylabel="fraction of test targets inside")
    right.set(xlabel="level", ylabel="mean interval width (disease progression)")
    left.legend()
    fig.suptitle("Diabetes: intervals of skbnn, and MAPIE's conformal ones around it")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# %%
# Repeated splits
# ---------------
#
# Each repeat draws a new three-way split and a new seed; the figures are
# means over the repeats. Conformal coverage holds on average over such
# splits, not on every one.


def main(output_dir=DEFAULT_OUTPUT_DIR, repeats=5):
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    X, y = load_diabetes(return_X_y=True)
    start = time.perf_counter()
    runs = [one_split(X, y, seed) for seed in range(repeats)]
    summary = {}
    for kind in KINDS:
        figures = np.mean([run[kind] for run in runs], axis=0)  # (levels, 2)
        summary[kind] = {
            "coverage": [float(c) for c in figures[:, 0]],
            "width": [float(w) for w in figures[:, 1]],
        }
        cells = ", ".join(
            f"{level:.2f}: {coverage:.3f} / {width:.0f}"
            for level, (coverage, width) in zip(LEVELS, figures, strict=True)
        )
        print(f"{kind:22s} level: coverage / width  {cells}")
    summary["levels"] = LEVELS
    summary["repeats"] = repeats
    summary["seconds"] = time.perf_counter() - start
    plot(summary, output_dir / "regression_conformal.png")
    print(json.dumps(summary))
    return summary


# %%
# Run as a script, or as a notebook with its default arguments.

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_known_args()[0]
    main(args.output_dir, args.repeats)
