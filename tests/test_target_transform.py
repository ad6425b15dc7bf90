"""The regressor's target transform: a density of y, quantiles through the inverse."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import yeojohnson
from sklearn.exceptions import ConvergenceWarning

from skbnn import BayesianMLPRegressor
from skbnn._model.target_transforms import YeoJohnsonTransform


def _skewed(n, seed):
    """y = exp(x0 + noise): in log units a line with Normal noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, np.exp(X[:, 0] + 0.3 * rng.normal(size=n))


def _fitted(X, y, **params):
    params = {"hidden_layer_sizes": (8,), "max_iter": 400, "random_state": 0, **params}
    reg = BayesianMLPRegressor(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return reg.fit(X, y)


@pytest.fixture(scope="module")
def transformed():
    X, y = _skewed(300, 0)
    return _fitted(X, y, target_transform="yeo-johnson")


@pytest.mark.parametrize("power", [0.0, 0.3, 1.0, 1.7, 2.0])
def test_yeo_johnson_inverts_and_differentiates_scipys_transform(power):
    y = np.linspace(-5.0, 60.0, 53).reshape(-1, 1)
    transform = YeoJohnsonTransform([power])
    assert_allclose(transform.forward(y)[:, 0], yeojohnson(y[:, 0], power))
    assert_allclose(transform.inverse(transform.forward(y)), y, atol=1e-10)
    step = 1e-6
    slope = (transform.forward(y + step) - transform.forward(y - step)) / (2 * step)
    assert_allclose(transform.log_jacobian(y), np.log(slope), atol=1e-6)


def test_fitted_powers_stay_where_the_transform_covers_the_real_line():
    rng = np.random.default_rng(0)
    # Columns whose maximum-likelihood powers lie below 0, near 1 and above 2.
    y = np.c_[
        np.exp(2 * rng.normal(size=500)),
        rng.normal(size=500),
        -np.exp(rng.normal(size=500)),
    ]
    powers = YeoJohnsonTransform.fitted(y).powers
    assert powers[0] == 0.0 and powers[2] == 2.0
    assert 0.5 < powers[1] < 1.5


def test_the_density_is_one_of_y_and_integrates_to_one(transformed):
    X, _ = _skewed(1, 5)
    grid = np.linspace(-0.99, 60.0, 6001)
    rows = np.repeat(X, grid.size, axis=0)
    log_density = transformed.log_predictive_density(rows, grid)
    assert abs(np.trapezoid(np.exp(log_density), grid) - 1) < 0.01
    distribution = transformed.predict_distribution(rows)
    assert_allclose(distribution.logpdf(grid), log_density, rtol=1e-10)


def test_quantiles_map_back_and_predict_is_the_median(transformed):
    X, y = _skewed(80, 1)
    distribution = transformed.predict_distribution(X)
    for q in (0.05, 0.5, 0.9):
        assert_allclose(distribution.cdf(distribution.ppf(q)), q, atol=1e-6)
    assert_allclose(transformed.predict(X), distribution.ppf(0.5))
    inner, outer = (
        transformed.predict_interval(X, 0.5),
        transformed.predict_interval(X, 0.95),
    )
    assert (outer[:, 0] <= inner[:, 0]).all() and (inner[:, 1] <= outer[:, 1]).all()
    # A skewed target's intervals are skewed: longer above the median.
    median = transformed.predict(X)
    assert np.median((outer[:, 1] - median) / (median - outer[:, 0])) > 1.2
    samples = distribution.sample(2000, random_state=0)
    assert abs((samples <= median).mean() - 0.5) < 0.02
    assert (distribution.crps(y) > 0).all()
    # Each draw's network output, mapped back.
    assert transformed.sample_y(X, 3).shape == (80, 3)


def test_a_skewed_target_is_fitted_better_with_the_transform(transformed):
    X, y = _skewed(300, 0)
    plain = _fitted(X, y)
    X_test, y_test = _skewed(500, 2)
    gain = transformed.log_predictive_density(X_test, y_test).mean() - (
        plain.log_predictive_density(X_test, y_test).mean()
    )
    assert gain > 0.2


def test_moments_in_ys_units_are_refused(transformed):
    X, _ = _skewed(5, 3)
    with pytest.raises(ValueError, match="return_std=True.*target transform"):
        transformed.predict(X, return_std=True)
    with pytest.raises(ValueError, match="predict_uncertainty"):
        transformed.predict_uncertainty(X)
    with pytest.raises(ValueError, match="no mean, variance"):
        transformed.predict_distribution(X).mean()
    with pytest.raises(AttributeError, match="noise_std_"):
        transformed.noise_std_


def test_counts_and_a_changed_transform_are_refused():
    X, y = _skewed(40, 4)
    with pytest.raises(ValueError, match="continuous likelihood"):
        BayesianMLPRegressor(likelihood="poisson", target_transform="yeo-johnson").fit(
            X, np.round(y)
        )
    reg = _fitted(X, y, target_transform="yeo-johnson", max_iter=5)
    reg.set_params(target_transform=None)
    with pytest.raises(ValueError, match="target_transform"):
        reg.partial_fit(X, y)


def test_several_targets_each_get_their_power_and_it_pickles():
    X, y = _skewed(200, 6)
    Y = np.c_[y, 3 * X[:, 1] + 0.1 * np.random.default_rng(0).normal(size=200)]
    reg = _fitted(X, Y, target_transform="yeo-johnson", max_iter=200)
    assert reg._target_transform.powers.shape == (2,)
    assert reg.predict(X[:7]).shape == (7, 2)
    assert reg.predict_interval(X[:7]).shape == (7, 2, 2)
    restored = pickle.loads(pickle.dumps(reg))
    assert_array_equal(restored.predict(X[:20]), reg.predict(X[:20]))
    assert_array_equal(
        restored.log_predictive_density(X[:20], Y[:20]),
        reg.log_predictive_density(X[:20], Y[:20]),
    )
