import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skbnn import BayesianMLPRegressor, Posterior


@pytest.fixture(scope="module")
def sine_regressor(sine):
    X, y, _ = sine
    # The default fit converges: no ConvergenceWarning, although its
    # refinements at smaller step sizes may run until max_iter.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return BayesianMLPRegressor(random_state=0).fit(X, y)


def test_fits_the_sine(sine_regressor, sine):
    X, y, _ = sine
    assert sine_regressor.score(X, y) > 0.95


def test_adaptive_schedule_is_the_default_and_refines_quietly(capsys):
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(100, 1))
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.normal(size=100)
    # One step per epoch: the refinements at smaller steps run into max_iter,
    # which then ends a fit that has converged, without a ConvergenceWarning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg = BayesianMLPRegressor(
            hidden_layer_sizes=(8,), verbose=True, random_state=0
        ).fit(X, y)
    printed = capsys.readouterr().out
    assert reg.learning_rate == "adaptive"
    assert "Setting learning rate to 0.002." in printed
    assert reg.score(X, y) > 0.9
    # The constant schedule stops at the first plateau instead.
    constant = BayesianMLPRegressor(
        hidden_layer_sizes=(8,), learning_rate="constant", random_state=0
    ).fit(X, y)
    assert constant.n_iter_ < reg.n_iter_


def test_learns_the_noise_level(sine_regressor, sine):
    _, _, noise_std = sine
    assert sine_regressor.noise_std_.shape == (1,)
    assert 0.7 * noise_std < sine_regressor.noise_std_[0] < 1.5 * noise_std


def test_predictive_intervals_cover_held_out_data(sine_regressor):
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, size=(2000, 1))
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.normal(size=2000)
    mean, std = sine_regressor.predict(X, return_std=True)
    coverage = np.mean(np.abs(y - mean) < 2 * std)
    assert 0.9 < coverage < 0.995


def test_epistemic_uncertainty_grows_outside_the_training_range(sine_regressor):
    inside = np.linspace(-1.5, 1.5, 50)[:, None]
    outside = np.concatenate([np.linspace(-4, -3, 25), np.linspace(3, 4, 25)])
    epistemic = "epistemic"
    assert (
        sine_regressor.predict_uncertainty(outside[:, None], kind=epistemic).mean()
        > 3 * sine_regressor.predict_uncertainty(inside, kind=epistemic).mean()
    )


def test_uncertainty_decomposes(sine_regressor, sine):
    X, _, _ = sine
    u = {
        kind: sine_regressor.predict_uncertainty(X, kind=kind)
        for kind in ["std", "epistemic", "aleatoric"]
    }
    for values in u.values():
        assert values.shape == (X.shape[0],)
    assert_allclose(u["std"] ** 2, u["epistemic"] ** 2 + u["aleatoric"] ** 2)
    _, std = sine_regressor.predict(X, return_std=True)
    assert_allclose(std, u["std"])
    assert_array_equal(sine_regressor.predict_uncertainty(X), u["std"])
    # Homoscedastic noise: the aleatoric part is the same everywhere.
    assert_allclose(u["aleatoric"], u["aleatoric"][0])


def test_prediction_is_deterministic_and_pure(sine_regressor, sine):
    X, _, _ = sine
    before = joblib.hash(sine_regressor)
    first = sine_regressor.predict(X, return_std=True)
    second = sine_regressor.predict(X, return_std=True)
    assert_array_equal(first[0], second[0])
    assert_array_equal(first[1], second[1])
    assert joblib.hash(sine_regressor) == before


# With Student-t noise the loss of these clean fits still falls slowly, to
# max_iter; the units are the point here, and 1,500 epochs show them.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("scale", [1e-3, 1e4])
def test_targets_of_any_scale(scale):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = scale * (X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=200)) + 5 * scale
    reg = BayesianMLPRegressor(hidden_layer_sizes=(8,), max_iter=1500, random_state=0)
    reg.fit(X, y)
    assert reg.score(X, y) > 0.95
    mean, std = reg.predict(X, return_std=True)
    assert np.median(std) < 0.5 * scale
    assert 0.05 * scale < reg.noise_std_[0] < 0.2 * scale


# The outputs are the point here, not the ensemble or the last digits of the
# loss: one member, 1,500 epochs.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_multi_output():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(300, 2))
    Y = np.column_stack([np.sin(2 * X[:, 0]), 100 + 10 * X[:, 1]]) + rng.normal(
        size=(300, 2)
    ) * [0.1, 1.0]
    reg = BayesianMLPRegressor(ensemble_size=1, max_iter=1500, random_state=0)
    reg.fit(X, Y)
    assert reg.n_outputs_ == 2
    assert reg.coefs_[-1].shape == (16, 2)
    mean, std = reg.predict(X, return_std=True)
    assert mean.shape == std.shape == (300, 2)
    assert reg.score(X, Y) > 0.9
    assert reg.predict_uncertainty(X, kind="epistemic").shape == (300, 2)
    # Each output keeps its own noise level, in its own units.
    assert 0.05 < reg.noise_std_[0] < 0.2
    assert 0.6 < reg.noise_std_[1] < 1.5


def test_column_vector_target_predicts_flat():
    # Like MLPRegressor, a single target comes back 1-D whatever y's shape.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    y = X[:, :1] * 2.0
    reg = BayesianMLPRegressor(hidden_layer_sizes=(4,), max_iter=50, random_state=0)
    # 50 one-step epochs are fewer than the automatic patience: no convergence.
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(50\\)"):
        reg.fit(X, y)
    assert reg.n_iter_ == 50
    assert reg.predict(X).shape == (100,)


def test_several_kinds_at_once(sine_regressor, sine):
    X, _, _ = sine
    every = sine_regressor.predict_uncertainty(X, kind="all")
    assert sorted(every) == ["aleatoric", "epistemic", "std"]
    for kind, values in every.items():
        assert_array_equal(values, sine_regressor.predict_uncertainty(X, kind=kind))


@pytest.fixture(scope="module")
def two_noise_levels():
    """A sine whose noise std is 0.05 left of zero and 0.4 right of it."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(400, 1))
    noise_std = np.where(X[:, 0] < 0, 0.05, 0.4)
    y = np.sin(2 * X[:, 0]) + noise_std * rng.normal(size=400)
    return X, y


@pytest.fixture(scope="module")
def heteroscedastic_regressor(two_noise_levels):
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(16,),
        noise="heteroscedastic",
        ensemble_size=1,
        random_state=0,
    )
    return reg.fit(*two_noise_levels)


def test_heteroscedastic_noise_follows_the_input(heteroscedastic_regressor):
    reg = heteroscedastic_regressor
    X_left, X_right = np.full((50, 1), -1.0), np.full((50, 1), 1.0)
    X_left[:, 0] -= np.linspace(0, 0.8, 50)
    X_right[:, 0] += np.linspace(0, 0.8, 50)
    left = reg.predict_uncertainty(X_left, kind="aleatoric")
    right = reg.predict_uncertainty(X_right, kind="aleatoric")
    assert_allclose(np.median(left), 0.05, rtol=0.5)
    assert_allclose(np.median(right), 0.4, rtol=0.3)
    # The total std still decomposes, per sample.
    kinds = reg.predict_uncertainty(X_right, kind="all")
    assert_allclose(
        kinds["std"] ** 2, kinds["epistemic"] ** 2 + kinds["aleatoric"] ** 2
    )
    _, std = reg.predict(X_right, return_std=True)
    assert_allclose(std, kinds["std"])
    assert reg.sample_y(X_left[:3], n_samples=4).shape == (3, 4)


def test_heteroscedastic_noise_beats_one_level_on_held_out_likelihood(
    heteroscedastic_regressor, two_noise_levels
):
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, size=(2000, 1))
    y = np.sin(2 * X[:, 0]) + np.where(X[:, 0] < 0, 0.05, 0.4) * rng.normal(size=2000)
    homoscedastic = BayesianMLPRegressor(
        hidden_layer_sizes=(16,), ensemble_size=1, random_state=0
    ).fit(*two_noise_levels)

    def log_likelihood(reg):
        mean, std = reg.predict(X, return_std=True)
        return np.mean(-np.log(std) - (y - mean) ** 2 / (2 * std**2))

    assert (
        log_likelihood(heteroscedastic_regressor) > log_likelihood(homoscedastic) + 0.3
    )
    # One noise level has no input-dependent attribute to stand for it.
    assert homoscedastic.noise_std_.shape == (1,)
    with pytest.raises(AttributeError, match="noise='homoscedastic' only"):
        heteroscedastic_regressor.noise_std_


def test_the_noise_model_cannot_change_on_a_warm_start(two_noise_levels):
    X, y = two_noise_levels
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(4,), max_iter=2, warm_start=True, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    reg.set_params(noise="heteroscedastic")
    with pytest.raises(ValueError, match="noise of the previous call to fit"):
        reg.fit(X, y)


def test_ard_shrinks_the_inputs_the_target_does_not_use():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] + 0.1 * rng.normal(size=300)
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(8,), prior="ard", ensemble_size=1, random_state=0
    ).fit(X, y)
    assert reg.score(X, y) > 0.9
    # The weights out of the two unused inputs are far smaller.
    weight_sizes = np.abs(reg.coefs_[0]).sum(axis=1)
    assert weight_sizes[2:].max() < 0.2 * weight_sizes[:2].min()


def test_heteroscedastic_noise_of_an_ensemble_pairs_each_member_with_its_level(
    two_noise_levels,
):
    X, y = two_noise_levels
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(8,),
        noise="heteroscedastic",
        ensemble_size=1,
        max_iter=200,
        n_posterior_draws=4000,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    X_test = np.linspace(-2, 2, 5)[:, None]
    one_member = reg.predict_uncertainty(X_test, kind="aleatoric")
    # A second member with e times the noise level and a log ratio lowered by
    # one: each of its draws has the first member's noise. Pairing each
    # draw's ratio with the other member's level, or the mixture's mean level
    # with the mean ratio, would give 2.4 times that variance.
    first = reg.posterior_.free_variables(0)
    second = dict(first)
    mean, std = first["noise_std_log__"]
    second["noise_std_log__"] = (mean + 1.0, std)
    mean, std = first["intercept_1"]
    second["intercept_1"] = (mean - np.array([0.0, 1.0]), std)
    reg.posterior_ = Posterior([first, second])
    two_members = reg.predict_uncertainty(X_test, kind="aleatoric")
    assert_allclose(two_members, one_member, rtol=0.03)
