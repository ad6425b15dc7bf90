"""skbnn inside MAPIE's split-conformal regression, its std as the normaliser."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from skbnn import BayesianMLPRegressor

mapie_regression = pytest.importorskip("mapie.regression")


def _noisier_to_the_right(n, rng):
    X = rng.uniform(-2, 2, size=(n, 1))
    noise_std = np.where(X[:, 0] < 0, 0.1, 0.5)
    return X, np.sin(2 * X[:, 0]) + noise_std * rng.normal(size=n)


def test_conformal_intervals_cover_held_out_rows_and_follow_the_std():
    rng = np.random.default_rng(0)
    X_fit, y_fit = _noisier_to_the_right(300, rng)
    X_conf, y_conf = _noisier_to_the_right(500, rng)
    X_test, y_test = _noisier_to_the_right(3000, rng)
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(16,),
        noise="heteroscedastic",
        ensemble_size=1,
        max_iter=1500,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X_fit, y_fit)
    levels = [0.8, 0.9]
    conformal = mapie_regression.SplitConformalRegressor(
        reg, confidence_level=levels, conformity_score="std_normalized", prefit=True
    )
    conformal.conformalize(X_conf, y_conf)
    _, intervals = conformal.predict_interval(X_test)
    lower, upper = intervals[:, 0, :], intervals[:, 1, :]
    coverage = np.mean((lower <= y_test[:, None]) & (y_test[:, None] <= upper), axis=0)
    # At least each level, up to the sampling error of 3,000 rows.
    assert np.all(coverage >= np.array(levels) - 0.02)
    assert np.all(coverage <= np.array(levels) + 0.04)
    # Each interval is skbnn's predictive std times one calibrated factor per
    # level: the widths follow the std, wider where the noise is larger.
    _, std = reg.predict(X_test, return_std=True)
    factors = (upper - lower) / (2 * std[:, None])
    assert_allclose(factors, np.broadcast_to(factors[:1], factors.shape), rtol=1e-4)
    right = X_test[:, 0] > 0
    assert np.median(std[right]) > 2 * np.median(std[~right])
