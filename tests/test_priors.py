import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from skbnn._priors import (
    draw_weights,
    free_weight_name,
    mixture_weight_moments,
    standardised_name,
    weight_moments,
)


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
    assert weight_moments(posterior, "intercept_0") == (mean, std)
    draws = draw_weights(
        [posterior],
        "intercept_0",
        np.random.default_rng(1),
        _one_member(200_000),
        np.float64,
    )
    assert_allclose(draws.mean(axis=0), mean, atol=0.01)
    assert_allclose(draws.std(axis=0), std, rtol=0.01)


def test_hierarchical_moments_match_the_draws():
    posterior = _hierarchical_posterior()
    mean, std = weight_moments(posterior, "coef_0")
    draws = draw_weights(
        [posterior],
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
    draws = draw_weights(
        [posterior], "coef_0", np.random.default_rng(3), _one_member(5), np.float32
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
        draws = draw_weights(
            posteriors, name, np.random.default_rng(4), members, np.float64
        )
        # Each draw comes from its own member...
        for member, posterior in enumerate(posteriors):
            mean, std = weight_moments(posterior, name)
            of_member = draws[members == member]
            assert_allclose(of_member.mean(axis=0), mean, atol=0.02)
            assert_allclose(of_member.std(axis=0), std, rtol=0.02)
        # ...and all of them follow the equal-weight mixture.
        mean, std = mixture_weight_moments(posteriors, name)
        assert_allclose(draws.mean(axis=0), mean, atol=0.02)
        assert_allclose(draws.std(axis=0), std, rtol=0.02)
    # The two centred members have the same mean in the second entry: the
    # mixture's spread there is the members' root mean variance.
    assert_allclose(mixture_weight_moments(centred, "intercept_0")[1][1], np.sqrt(0.05))


def test_a_mixture_of_one_is_that_posterior():
    posterior = _hierarchical_posterior()
    for part, expected in zip(
        mixture_weight_moments([posterior], "coef_0"),
        weight_moments(posterior, "coef_0"),
    ):
        assert_array_equal(part, expected)
