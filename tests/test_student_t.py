"""The Student-t likelihood and the posterior predictive density."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from skbnn import BayesianMLPRegressor


def _sine_with_outliers(n_samples, seed, outlier_fraction):
    """A sine with noise std 0.1, a fraction of rows moved by +/- 3 to 6."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n_samples, 1))
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.normal(size=n_samples)
    outliers = rng.random(n_samples) < outlier_fraction
    y[outliers] += rng.choice([-1, 1], outliers.sum()) * rng.uniform(
        3, 6, outliers.sum()
    )
    return X, y


@pytest.fixture(scope="module")
def outlier_fits():
    X, y = _sine_with_outliers(200, seed=0, outlier_fraction=0.1)
    fits = {
        likelihood: BayesianMLPRegressor(
            hidden_layer_sizes=(16,),
            likelihood=likelihood,
            ensemble_size=1,
            random_state=0,
        ).fit(X, y)
        for likelihood in ("normal", "student_t")
    }
    return X, y, fits


def test_student_t_noise_resists_outliers(outlier_fits):
    _, _, fits = outlier_fits
    X_test = np.linspace(-1.9, 1.9, 200)[:, None]
    truth = np.sin(2 * X_test[:, 0])
    error = {
        likelihood: np.sqrt(np.mean((reg.predict(X_test) - truth) ** 2))
        for likelihood, reg in fits.items()
    }
    # The outliers drag the Normal model's mean; the t model follows the sine.
    assert error["student_t"] < 0.5 * error["normal"]
    # Heavy tails learned: few degrees of freedom, a scale near the clean noise.
    assert fits["student_t"].noise_df_[0] < 5
    assert 0.05 < fits["student_t"].noise_std_[0] < 0.2


def test_student_t_beats_normal_on_held_out_density(outlier_fits):
    _, _, fits = outlier_fits
    X, y = _sine_with_outliers(2000, seed=1, outlier_fraction=0.1)
    density = {
        likelihood: reg.log_predictive_density(X, y).mean()
        for likelihood, reg in fits.items()
    }
    assert density["student_t"] > density["normal"] + 0.3


def test_clean_data_keep_the_tails_light():
    X, y = _sine_with_outliers(200, seed=0, outlier_fraction=0.0)
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(16,),
        likelihood="student_t",
        ensemble_size=1,
        random_state=0,
    ).fit(X, y)
    assert reg.noise_df_[0] > 8
    assert reg.score(X, y) > 0.95


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"likelihood": "student_t"},
        {"likelihood": "student_t", "noise": "heteroscedastic"},
        {"noise": "heteroscedastic"},
    ],
    ids=["normal", "student_t", "heteroscedastic_student_t", "heteroscedastic"],
)
def test_predictive_density_integrates_to_one(params):
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(200, 1))
    y = 10 * np.sin(2 * X[:, 0]) + 1 + rng.normal(size=200)
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(8,), max_iter=100, random_state=0, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    # On a grid in the units of y (its std is about 7): the density of each
    # row integrates to one, and its mean is predict's, from the same draws.
    grid = np.linspace(-60, 60, 6001)
    X_rows = np.array([[-1.0], [0.5]])
    densities = np.exp(
        [
            reg.log_predictive_density(np.repeat(row[None], len(grid), 0), grid)
            for row in X_rows
        ]
    )
    step = grid[1] - grid[0]
    assert_allclose(densities.sum(axis=1) * step, 1.0, atol=2e-3)
    mean, std = reg.predict(X_rows, return_std=True)
    assert_allclose(densities @ grid * step, mean, atol=0.02)
    if params.get("likelihood") != "student_t":  # heavy tails: a slow integral
        variance = densities @ grid**2 * step - mean**2
        assert_allclose(np.sqrt(variance), std, rtol=0.01)


def test_predictive_density_of_a_normal_model_by_monte_carlo():
    # One member with known Gaussians: the density is the average over
    # weight and noise draws of Normal densities, computed here by hand.
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(100, 1))
    y = X[:, 0] + 0.3 * rng.normal(size=100)
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(2,),
        likelihood="normal",
        max_iter=50,
        normalize_y=False,
        ensemble_size=1,
        n_posterior_draws=20000,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    X_test, y_test = np.array([[0.3], [1.5]]), np.array([0.2, 2.5])
    samples = reg.sample_y(X_test, n_samples=20000, random_state=1)
    log_scale = reg.posterior_.free_variables()["noise_std_log__"]
    scale = np.exp(log_scale[0] + log_scale[1] * rng.normal(size=20000))
    expected = np.log(
        stats.norm.pdf(y_test[:, None], loc=samples, scale=scale).mean(axis=1)
    )
    assert_allclose(reg.log_predictive_density(X_test, y_test), expected, atol=0.02)


def test_student_t_posterior_exports_its_degrees_of_freedom(outlier_fits):
    pytest.importorskip("arviz")
    data = outlier_fits[2]["student_t"].posterior_.to_inference_data(
        n_draws=10, var_names=["df_excess", "noise_std"], random_state=0
    )
    assert (np.asarray(data.posterior["df_excess"]) > 0).all()


def test_the_likelihood_cannot_change_on_a_warm_start():
    X, y = _sine_with_outliers(100, seed=0, outlier_fraction=0.0)
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(4,),
        likelihood="normal",
        max_iter=2,
        warm_start=True,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    with pytest.raises(AttributeError, match="likelihood='student_t' only"):
        reg.noise_df_
    reg.set_params(likelihood="student_t")
    with pytest.raises(ValueError, match="likelihood of the previous call to fit"):
        reg.fit(X, y)


def test_predictive_density_checks_its_targets(outlier_fits):
    X, y, fits = outlier_fits
    reg = fits["normal"]
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        reg.log_predictive_density(X, y[:-1])
    with pytest.raises(ValueError, match="y has 2 targets"):
        reg.log_predictive_density(X, np.c_[y, y])
    with pytest.raises(ValueError, match="Input y contains NaN"):
        reg.log_predictive_density(X[:1], [np.nan])
