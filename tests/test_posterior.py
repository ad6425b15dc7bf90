import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skbnn import BayesianMLPRegressor
from skbnn._model.priors import free_weight_name, standardised_name
from skbnn._prediction.posterior import Posterior


def _one_member(n_draws):
    return np.zeros(n_draws, dtype=int)


def _hierarchical_posterior(z_std=0.3):
    rng = np.random.default_rng(0)
    return {
        "coef_0_standardised": (rng.normal(size=(4, 3)), np.full((4, 3), z_std)),
        "coef_0_scale_log__": (np.array([-0.7]), np.array([0.2])),
    }


def test_free_weight_name_is_the_weight_or_its_standardised_variable():
    assert free_weight_name({"coef_0", "intercept_0"}, "coef_0") == "coef_0"
    assert free_weight_name(_hierarchical_posterior(), "coef_0") == (
        standardised_name("coef_0")
    )


def test_centred_weights_are_read_as_they_are():
    mean, std = np.array([1.0, -2.0]), np.array([0.5, 0.1])
    posterior = {"intercept_0": (mean, std)}
    assert Posterior([posterior]).moments("intercept_0") == (mean, std)
    draws = Posterior([posterior]).draw(
        "intercept_0",
        np.random.default_rng(1),
        _one_member(200_000),
        np.float64,
    )
    assert_allclose(draws.mean(axis=0), mean, atol=0.01)
    assert_allclose(draws.std(axis=0), std, rtol=0.01)


def test_hierarchical_moments_match_the_draws():
    posterior = _hierarchical_posterior()
    mean, std = Posterior([posterior]).moments("coef_0")
    draws = Posterior([posterior]).draw(
        "coef_0",
        np.random.default_rng(2),
        _one_member(400_000),
        np.float64,
    )
    assert draws.shape == (400_000, 4, 3)
    assert_allclose(draws.mean(axis=0), mean, atol=0.01)
    assert_allclose(draws.std(axis=0), std, rtol=0.02)
    # Not the moments of the Gaussian z alone.
    z_mean, _ = posterior["coef_0_standardised"]
    assert np.abs(mean - z_mean).max() > 0.3


def test_each_draw_scales_the_whole_tensor_by_one_factor():
    posterior = _hierarchical_posterior(z_std=0.0)
    draws = Posterior([posterior]).draw(
        "coef_0", np.random.default_rng(3), _one_member(5), np.float32
    )
    assert draws.dtype == np.float32
    ratios = draws / posterior["coef_0_standardised"][0]
    assert_allclose(ratios, ratios[:, :1, :1] * np.ones((1, 4, 3)), rtol=1e-6)
    assert np.ptp(ratios[:, 0, 0]) > 0.01


def test_mixture_moments_match_the_draws_of_each_member():
    centred = [
        {"intercept_0": (np.array([1.0, -2.0]), np.array([0.5, 0.1]))},
        {"intercept_0": (np.array([3.0, -2.0]), np.array([0.5, 0.3]))},
    ]
    hierarchical = [_hierarchical_posterior(), _hierarchical_posterior(z_std=0.1)]
    hierarchical[1]["coef_0_scale_log__"] = (np.array([0.2]), np.array([0.1]))
    for posteriors, name in [(centred, "intercept_0"), (hierarchical, "coef_0")]:
        members = np.repeat([0, 1], 200_000)
        mixture = Posterior(posteriors)
        draws = mixture.draw(name, np.random.default_rng(4), members, np.float64)
        # Each draw comes from its own member...
        for member in range(mixture.n_members):
            mean, std = mixture.member(member).moments(name)
            of_member = draws[members == member]
            assert_allclose(of_member.mean(axis=0), mean, atol=0.02)
            assert_allclose(of_member.std(axis=0), std, rtol=0.02)
        # ...and all of them follow the equal-weight mixture.
        mean, std = mixture.moments(name)
        assert_allclose(draws.mean(axis=0), mean, atol=0.02)
        assert_allclose(draws.std(axis=0), std, rtol=0.02)
    # The two centred members have the same mean in the second entry: the
    # mixture's spread there is the members' root mean variance.
    assert_allclose(Posterior(centred).moments("intercept_0")[1][1], np.sqrt(0.05))


def test_a_member_is_a_posterior_of_its_own():
    members = [_hierarchical_posterior(), _hierarchical_posterior(z_std=0.1)]
    mixture = Posterior(members)
    assert mixture.n_members == 2
    second = mixture.member(1)
    assert second.n_members == 1
    for part, expected in zip(
        second.moments("coef_0"), Posterior([members[1]]).moments("coef_0")
    ):
        assert_array_equal(part, expected)
    # free_variables hands out a copy under PyMC's names.
    free = mixture.free_variables(1)
    assert set(free) == {"coef_0_standardised", "coef_0_scale_log__"}
    free.clear()
    assert mixture.free_variables(1)


def test_a_posterior_needs_a_member():
    with pytest.raises(ValueError, match="at least one member"):
        Posterior([])


def _fitted_regressor(**params):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = X[:, 0] - 2 * X[:, 1] + 0.3 * rng.normal(size=80)
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(4,), max_iter=300, random_state=0, **params
    )
    with warnings.catch_warnings():
        # A short fit: its figures matter here, not its convergence.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return reg.fit(X, y)


def test_inference_data_holds_every_variable_one_chain_per_member():
    reg = _fitted_regressor(prior="hierarchical", ensemble_size=2)
    data = reg.posterior_.to_inference_data(n_draws=4000, random_state=0)
    posterior = data.posterior
    assert dict(posterior.sizes)["chain"] == 2
    assert dict(posterior.sizes)["draw"] == 4000
    names = {"coef_0", "coef_1", "intercept_0", "intercept_1", "noise_std"}
    names |= {
        f"{n}_{part}"
        for n in names - {"noise_std"}
        for part in ("scale", "standardised")
    }
    # The Student-t noise's degrees of freedom, less 2.
    names.add("df_excess")
    assert set(posterior.data_vars) == names
    coef = np.asarray(posterior["coef_0"])
    assert coef.shape == (2, 4000, 2, 4)
    # The hierarchical weights are each draw's scale times its z.
    scale = np.asarray(posterior["coef_0_scale"])
    z = np.asarray(posterior["coef_0_standardised"])
    assert_allclose(coef, scale[..., None] * z)
    assert (scale > 0).all() and (np.asarray(posterior["noise_std"]) > 0).all()
    # The draws follow the posterior: the mixture's moments, its noise median.
    mean, std = reg.posterior_.moments("coef_0")
    assert_allclose(coef.mean(axis=(0, 1)), mean, atol=4 * std.max() / np.sqrt(8000))
    assert_allclose(coef.std(axis=(0, 1)), std, rtol=0.1)
    log_noise = np.log(np.asarray(posterior["noise_std"]))
    assert_allclose(
        np.exp(np.median(log_noise, axis=1).mean(axis=0)),
        reg.noise_std_ / reg._y_scale,
        rtol=0.05,
    )


def test_inference_data_draws_repeat_with_the_seed_and_take_var_names():
    reg = _fitted_regressor(ensemble_size=1)
    first = reg.posterior_.to_inference_data(200, var_names=["coef_0"], random_state=3)
    again = reg.posterior_.to_inference_data(200, var_names=["coef_0"], random_state=3)
    assert set(first.posterior.data_vars) == {"coef_0"}
    assert_array_equal(first.posterior["coef_0"], again.posterior["coef_0"])
    with pytest.raises(ValueError, match="Unknown variables \\['coef_9'\\]"):
        reg.posterior_.to_inference_data(10, var_names=["coef_9"])
    with pytest.raises(ValueError, match="n_draws must be at least 1, got 0"):
        reg.posterior_.to_inference_data(0)
    with pytest.raises(TypeError, match="n_draws must be an int"):
        reg.posterior_.to_inference_data(2.5)


def _ard_posterior():
    rng = np.random.default_rng(0)
    return {
        "coef_0_standardised": (rng.normal(size=(3, 2)), np.full((3, 2), 0.2)),
        # One scale per input feature (row): e^-3, e^0, e^1.
        "coef_0_scale_log__": (np.array([[-3.0], [0.0], [1.0]]), np.full((3, 1), 0.1)),
    }


def test_ard_weights_scale_each_input_row_by_its_own_factor():
    posterior = Posterior([_ard_posterior()])
    mean, std = posterior.moments("coef_0")
    draws = posterior.draw(
        "coef_0", np.random.default_rng(4), _one_member(200_000), np.float64
    )
    assert draws.shape == (200_000, 3, 2)
    assert_allclose(draws.mean(axis=0), mean, atol=0.02)
    assert_allclose(draws.std(axis=0), std, rtol=0.02)
    # The rows' spreads follow their scales.
    row_spread = np.abs(draws).mean(axis=(0, 2))
    assert row_spread[0] < 0.1 * row_spread[1] < row_spread[2]


def test_inference_data_of_an_ard_fit_holds_a_scale_per_feature():
    reg = _fitted_regressor(prior="ard", ensemble_size=1)
    posterior = reg.posterior_.to_inference_data(n_draws=500, random_state=0).posterior
    scale = np.asarray(posterior["coef_0_scale"])
    z = np.asarray(posterior["coef_0_standardised"])
    assert scale.shape == (1, 500, 2, 1)
    assert_allclose(np.asarray(posterior["coef_0"]), scale * z)
    # Only the input layer has ARD scales; the others have the normal prior.
    assert "coef_1_scale" not in posterior.data_vars
