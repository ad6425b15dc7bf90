"""BayesianMLPRegressor(likelihood="poisson") on counts, end to end."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import mean_poisson_deviance

from skbnn import BayesianMLPRegressor


def _counts(n, seed):
    """Counts whose log-rate is a curve in the first feature."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    rate = np.exp(0.5 + np.sin(2 * X[:, 0]))
    return X, rng.poisson(rate), rate


@pytest.fixture(scope="module")
def count_fit():
    X, y, _ = _counts(400, 0)
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(16,), likelihood="poisson", max_iter=1500, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return reg.fit(X, y)


def test_poisson_fit_beats_the_log_linear_model_on_a_curved_rate(count_fit):
    X, y, rate = _counts(400, 1)
    mean = count_fit.predict(X)
    assert (mean > 0).all()
    deviance = mean_poisson_deviance(y, mean)
    glm = PoissonRegressor().fit(*_counts(400, 0)[:2])
    assert deviance < 0.8 * mean_poisson_deviance(y, glm.predict(X))
    # Within reach of the true rate's deviance.
    assert deviance < 1.25 * mean_poisson_deviance(y, rate)


def test_poisson_counts_are_not_standardised_and_their_noise_is_the_rate(count_fit):
    X, _, _ = _counts(50, 2)
    assert_allclose(count_fit._y_mean, 0.0)
    assert_allclose(count_fit._y_scale, 1.0)
    mean, std = count_fit.predict(X, return_std=True)
    parts = count_fit.predict_uncertainty(X, kind="all")
    # A count's variance is its rate: the aleatoric variance is the mean rate.
    assert_allclose(parts["aleatoric"] ** 2, mean, rtol=1e-6)
    assert_allclose(std**2, parts["aleatoric"] ** 2 + parts["epistemic"] ** 2)
    with pytest.raises(AttributeError, match="noise_std_ is defined"):
        count_fit.noise_std_


def test_poisson_predictive_density_is_the_mean_pmf_over_rate_draws(count_fit):
    X, y, _ = _counts(30, 3)
    # Both averages over 4,000 draws, so that their Monte Carlo error is small.
    count_fit.set_params(n_posterior_draws=4000)
    try:
        log_density = count_fit.log_predictive_density(X, y)
    finally:
        count_fit.set_params(n_posterior_draws=100)
    rates = count_fit.sample_y(X, n_samples=4000, random_state=0)
    expected = np.log(stats.poisson.pmf(y[:, None], rates).mean(axis=1))
    assert_allclose(log_density, expected, atol=0.05)
    # A probability mass: the pmf over all counts sums to one.
    support = np.arange(200)
    total = np.exp(
        count_fit.log_predictive_density(np.repeat(X[:1], 200, axis=0), support)
    ).sum()
    assert total == pytest.approx(1.0, abs=1e-3)


def test_poisson_refuses_negative_counts_and_input_dependent_noise():
    X, y, _ = _counts(20, 4)
    with pytest.raises(ValueError, match="negative which is not allowed"):
        BayesianMLPRegressor(likelihood="poisson").fit(X, y - 5)
    with pytest.raises(ValueError, match="noise='homoscedastic' only"):
        BayesianMLPRegressor(likelihood="poisson", noise="heteroscedastic").fit(X, y)
