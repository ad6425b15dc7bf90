"""skbnn inside MAPIE: split conformal regression with its std as the normaliser,
conformalized quantile regression around its quantiles, and conformal
prediction sets around the classifier's probabilities."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skbnn import BayesianMLPClassifier, BayesianMLPRegressor

mapie_regression = pytest.importorskip("mapie.regression")


def _noisier_to_the_right(n, rng):
    X = rng.uniform(-2, 2, size=(n, 1))
    noise_std = np.where(X[:, 0] < 0, 0.1, 0.5)
    return X, np.sin(2 * X[:, 0]) + noise_std * rng.normal(size=n)


def _fitted(X, y):
    """A heteroscedastic regressor: its intervals follow the noise."""
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(16,),
        noise="heteroscedastic",
        ensemble_size=1,
        max_iter=1500,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return reg.fit(X, y)


def _fitted_and_held_out(seed, n_test):
    """A regressor fitted on 300 rows, 500 rows to conformalize, ``n_test`` more."""
    rng = np.random.default_rng(seed)
    reg = _fitted(*_noisier_to_the_right(300, rng))
    return reg, _noisier_to_the_right(500, rng), _noisier_to_the_right(n_test, rng)


def test_conformal_intervals_cover_held_out_rows_and_follow_the_std():
    reg, (X_conf, y_conf), (X_test, y_test) = _fitted_and_held_out(0, 3000)
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


class _Quantile(RegressorMixin, BaseEstimator):
    """One quantile of a fitted skbnn regressor, as MAPIE's CQR takes it."""

    def __init__(self, model, level):
        self.model = model
        self.level = level

    def __sklearn_is_fitted__(self):
        return True

    @property
    def n_features_in_(self):
        return self.model.n_features_in_

    def fit(self, X, y):
        return self  # the model behind it is fitted already

    def predict(self, X):
        return self.model.predict_quantiles(X, [self.level])[:, 0]


def test_conformalized_quantile_regression_around_skbnn_quantiles():
    reg, (X_conf, y_conf), (X_test, y_test) = _fitted_and_held_out(1, 2000)
    quantiles = [_Quantile(reg, level) for level in (0.05, 0.95, 0.5)]
    cqr = mapie_regression.ConformalizedQuantileRegressor(
        quantiles, confidence_level=0.9, prefit=True
    )
    cqr.conformalize(X_conf, y_conf)
    _, intervals = cqr.predict_interval(X_test)
    lower, upper = intervals[:, 0, 0], intervals[:, 1, 0]
    covered = np.mean((lower <= y_test) & (y_test <= upper))
    assert 0.88 <= covered <= 0.94
    # CQR moves skbnn's own 90% interval by one calibrated amount: the
    # intervals keep the shape of skbnn's, wider where the noise is larger.
    own = reg.predict_interval(X_test, 0.9)
    assert_allclose(lower - own[:, 0], (lower - own[:, 0])[0], atol=1e-6)
    right = X_test[:, 0] > 0
    width = upper - lower
    assert np.median(width[right]) > 2 * np.median(width[~right])


def test_conformal_prediction_sets_around_the_classifiers_probabilities():
    mapie_classification = pytest.importorskip("mapie.classification")
    X, y = make_classification(
        3000, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    clf = BayesianMLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X[:1000], y[:1000])
    conformal = mapie_classification.SplitConformalClassifier(
        clf, confidence_level=0.9, prefit=True
    )
    conformal.conformalize(X[1000:1500], y[1000:1500])
    _, sets = conformal.predict_set(X[1500:])
    covered = sets[np.arange(1500), y[1500:], 0].mean()
    assert 0.88 <= covered <= 0.94
    # Sets follow the probabilities: rows the classifier is sure of get one
    # class, uncertain rows more.
    size = sets[..., 0].sum(axis=1)
    entropy = clf.predict_uncertainty(X[1500:], kind="entropy")
    assert entropy[size > 1].mean() > entropy[size == 1].mean()
