"""The regressor's predictive distribution, for every likelihood and noise model."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from skbnn import BayesianMLPRegressor, PredictiveDistribution
from skbnn._model.likelihoods import NormalLikelihood
from skbnn._model.likelihoods.student_t import StudentTLikelihood

MODELS = {
    "student_t": dict(likelihood="student_t"),
    "normal": dict(likelihood="normal"),
    "student_t-heteroscedastic": dict(noise="heteroscedastic"),
    "normal-heteroscedastic": dict(likelihood="normal", noise="heteroscedastic"),
    "poisson": dict(likelihood="poisson"),
}


def _data(name, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 1))
    if name == "poisson":
        return X, rng.poisson(np.exp(0.5 + np.sin(2 * X[:, 0])))
    return X, np.sin(2 * X[:, 0]) + (0.1 + 0.2 * (X[:, 0] > 0)) * rng.normal(size=n)


@pytest.fixture(scope="module", params=sorted(MODELS))
def fitted(request):
    name = request.param
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(8,), max_iter=300, random_state=0, **MODELS[name]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(*_data(name, 200, 0))
    X, y = _data(name, 60, 1)
    return name, reg, X, y, reg.predict_distribution(X)


def test_the_distribution_is_the_density_and_the_mean_of_the_model(fitted):
    _, reg, X, y, distribution = fitted
    assert_allclose(
        distribution.logpdf(y), reg.log_predictive_density(X, y), rtol=1e-12
    )
    assert_allclose(distribution.mean(), reg.predict(X), rtol=1e-10, atol=1e-12)
    # predict's std takes the noise variance's posterior mean exactly; the
    # mixture's is that of its 100 draws of the noise.
    assert_allclose(distribution.std(), reg.predict(X, return_std=True)[1], rtol=0.05)
    assert_allclose(distribution.pdf(y), np.exp(distribution.logpdf(y)))


def test_quantiles_invert_the_distribution_function_and_nest(fitted):
    name, reg, X, y, distribution = fitted
    for q in (0.025, 0.3, 0.5, 0.9):
        quantile = distribution.ppf(q)
        if name == "poisson":
            # The least count whose probability of at most it reaches q.
            assert (distribution.cdf(quantile) >= q).all()
            assert (distribution.cdf(quantile - 1) < q).all()
            assert_array_equal(quantile, np.round(quantile))
        else:
            assert_allclose(distribution.cdf(quantile), q, atol=1e-6)
    inner, outer = reg.predict_interval(X, 0.9), reg.predict_interval(X, 0.95)
    assert inner.shape == (X.shape[0], 2)
    assert (outer[:, 0] <= inner[:, 0]).all() and (inner[:, 1] <= outer[:, 1]).all()
    quantiles = reg.predict_quantiles(X, [0.05, 0.5, 0.95])
    assert_allclose(quantiles[:, [0, 2]], inner)
    assert (np.diff(quantiles, axis=1) >= 0).all()


def test_samples_follow_the_distribution(fitted):
    name, _, _, _, distribution = fitted
    samples = distribution.sample(4000, random_state=0)
    assert samples.shape == (4000, distribution.n_rows)
    assert_array_equal(samples, distribution.sample(4000, random_state=0))
    std = distribution.std()
    error = 5 * std / np.sqrt(4000)
    assert (np.abs(samples.mean(axis=0) - distribution.mean()) < error).all()
    # Each row's median has at least half the samples at or below it, and at
    # most half below it (for counts, the median's own mass lies between).
    median = distribution.ppf(0.5)
    assert (samples <= median).mean(axis=0).min() > 0.5 - 0.04
    assert (samples < median).mean(axis=0).max() < 0.5 + 0.04


def test_crps_is_seeded_and_agrees_with_its_samples(fitted):
    _, _, _, y, distribution = fitted
    crps = distribution.crps(y)
    assert_array_equal(crps, distribution.crps(y))
    samples = distribution.sample(3000, random_state=1)
    by_samples = np.abs(samples - y).mean(axis=0) - 0.5 * np.abs(
        samples[:1500] - samples[1500:]
    ).mean(axis=0)
    assert np.abs(crps - by_samples).mean() < 0.05 * np.abs(crps).mean() + 1e-3
    assert (crps >= 0).all()


def test_crps_of_one_normal_is_the_closed_form():
    loc, scale = np.array([[[0.3]], [[0.3]]]), np.array([[[2.0]]])
    distribution = PredictiveDistribution(
        NormalLikelihood(n_outputs=1),
        {"loc": loc, "scale": scale},
        y_mean=np.zeros(1),
        y_scale=np.ones(1),
        seed=0,
    )
    y = np.array([1.5])
    z = (y - 0.3) / 2.0
    exact = 2.0 * (
        z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi)
    )
    # 1,000 stratified values: within a fraction of a percent.
    assert_allclose(distribution.crps(y), exact, rtol=0.01)
    assert_allclose(distribution.ppf(0.975), 0.3 + 2.0 * 1.959964, rtol=1e-6)


def test_levels_outside_zero_and_one_are_refused(fitted):
    _, reg, X, _, distribution = fitted
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            distribution.ppf(bad)
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            reg.predict_interval(X, confidence=bad)


def test_several_targets_have_marginal_quantiles_and_a_joint_density():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 2))
    Y = np.column_stack([X[:, 0], 10 * X[:, 1]]) + 0.1 * rng.normal(size=(150, 2))
    reg = BayesianMLPRegressor(hidden_layer_sizes=(8,), max_iter=200, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, Y)
    distribution = reg.predict_distribution(X[:20])
    assert distribution.ppf(0.5).shape == (20, 2)
    assert reg.predict_interval(X[:20]).shape == (20, 2, 2)
    assert reg.predict_quantiles(X[:20], [0.1, 0.9]).shape == (20, 2, 2)
    assert distribution.crps(Y[:20]).shape == (20, 2)
    assert_allclose(
        distribution.logpdf(Y[:20]), reg.log_predictive_density(X[:20], Y[:20])
    )


def test_crps_of_a_heavy_tailed_mixture_is_its_integral():
    # A Student-t component with 2.001 degrees of freedom, whose tail makes
    # independent samples a poor estimate (2.5% off here).
    rng = np.random.default_rng(0)
    n_draws, n_rows = 100, 3
    components = {
        "loc": rng.normal(size=(n_draws, n_rows, 1)),
        "scale": rng.uniform(0.5, 2.0, size=(n_draws, n_rows, 1)),
        "df": np.r_[2.001, rng.uniform(3, 30, n_draws - 1)].reshape(-1, 1, 1),
    }
    distribution = PredictiveDistribution(
        StudentTLikelihood(n_outputs=1),
        components,
        y_mean=np.zeros(1),
        y_scale=np.ones(1),
        seed=0,
    )
    y = rng.normal(size=n_rows)
    # CRPS = integral of (F(z) - 1[z >= y])^2: the tails beyond +/-2000 add
    # less than 1e-6 here.
    grid = np.linspace(-2000, 2000, 400_001)
    exact = []
    for row in range(n_rows):
        cdf = stats.t.cdf(
            (grid[:, None] - components["loc"][:, row, 0])
            / components["scale"][:, row, 0],
            components["df"][:, 0, 0],
        ).mean(axis=1)
        exact.append(np.trapezoid((cdf - (grid >= y[row])) ** 2, grid))
    assert_allclose(distribution.crps(y), exact, rtol=0.01)
