"""Each likelihood alone: its prediction half on hand-made draws and posteriors."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from skbnn import Posterior
from skbnn._model.likelihoods import (
    CategoricalLikelihood,
    HeteroscedasticNormalLikelihood,
    NormalLikelihood,
    PoissonLikelihood,
    StudentTLikelihood,
)
from skbnn._model.likelihoods.regression import MEAN_STATISTICS, regression_uncertainty
from skbnn._prediction.averages import posterior_expectations

CLASSES = CategoricalLikelihood(n_outputs=2)
NORMAL = NormalLikelihood(n_outputs=1)
STUDENT_T = StudentTLikelihood(n_outputs=1)


def _expect(draws, statistics):
    """Posterior expectations of draws shaped (n_draws, n_samples, n_outputs)."""
    return posterior_expectations(
        [(slice(0, draws.shape[0]), slice(0, draws.shape[1]), draws)],
        draws.shape[1],
        draws.shape[0],
        statistics,
    )


def test_agreeing_draws_carry_no_epistemic_uncertainty():
    draws = np.tile([[[0.3, 0.7]]], (5, 1, 1))
    e = _expect(draws, CLASSES.statistics)
    assert CLASSES.uncertainty(e, "mutual_information")[0] == pytest.approx(0)
    assert CLASSES.uncertainty(e, "std")[0] == pytest.approx(0)
    entropy = -(0.3 * np.log(0.3) + 0.7 * np.log(0.7))
    assert CLASSES.uncertainty(e, "entropy")[0] == pytest.approx(entropy)
    assert CLASSES.uncertainty(e, "expected_entropy")[0] == pytest.approx(entropy)


def test_confident_disagreeing_draws_are_purely_epistemic():
    draws = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    e = _expect(draws, CLASSES.statistics)
    assert_allclose(e["proba"], [[0.5, 0.5]])
    assert CLASSES.uncertainty(e, "entropy")[0] == pytest.approx(np.log(2))
    assert CLASSES.uncertainty(e, "expected_entropy")[0] == pytest.approx(0)
    assert CLASSES.uncertainty(e, "mutual_information")[0] == pytest.approx(np.log(2))
    assert CLASSES.uncertainty(e, "std")[0] == pytest.approx(0.5)


def test_regression_variance_adds_spread_and_noise():
    draws = np.array([[[1.0]], [[3.0]]])
    e = _expect(draws, MEAN_STATISTICS)
    assert_allclose(e["mean"], [[2.0]])
    noise_variance = np.array([4.0])
    assert regression_uncertainty(e, noise_variance, "epistemic")[0, 0] == 1.0
    assert regression_uncertainty(e, noise_variance, "aleatoric")[0, 0] == 2.0
    assert regression_uncertainty(e, noise_variance, "std")[0, 0] == pytest.approx(
        np.sqrt(5.0)
    )


def test_noise_moments_come_from_the_log_scale_gaussians():
    members = [
        {"noise_std_log__": (np.array([np.log(0.5)]), np.array([0.2]))},
        {"noise_std_log__": (np.array([np.log(2.0)]), np.array([0.1]))},
    ]
    posterior = Posterior(members)
    # The median of a log-normal is exp(mean); two members' geometric mean.
    assert_allclose(NORMAL.noise_std(posterior), [1.0])
    rng = np.random.default_rng(0)
    draws = np.concatenate(
        [
            np.exp(rng.normal(m[0], s[0], 200_000))
            for m, s in (member["noise_std_log__"] for member in members)
        ]
    )
    assert_allclose(
        NORMAL.noise_variance(None, posterior), [np.mean(draws**2)], rtol=0.01
    )


def test_student_t_noise_variance_by_monte_carlo():
    rng = np.random.default_rng(0)
    member = {
        "noise_std_log__": (np.array([np.log(0.5)]), np.array([0.2])),
        "df_excess_log__": (np.array([np.log(3.0)]), np.array([0.3])),
    }
    posterior = Posterior([member])
    scale = np.exp(np.log(0.5) + 0.2 * rng.normal(size=10**6))
    df = 2 + np.exp(np.log(3.0) + 0.3 * rng.normal(size=10**6))
    expected = np.mean(scale**2 * df / (df - 2))
    assert_allclose(STUDENT_T.noise_variance(None, posterior), [expected], rtol=0.01)
    assert_allclose(STUDENT_T.noise_df(posterior), [5.0])


def _noise_member(log_scale, log_scale_std, log_df=None):
    member = {"noise_std_log__": (np.array([log_scale]), np.array([log_scale_std]))}
    if log_df is not None:
        member["df_excess_log__"] = (np.array([log_df]), np.array([0.3]))
    return member


@pytest.mark.parametrize(
    "likelihood, member",
    [
        (NORMAL, _noise_member(np.log(0.5), 0.2)),
        (STUDENT_T, _noise_member(np.log(0.5), 0.2, np.log(3.0))),
    ],
)
def test_log_density_of_a_draw_is_the_family_density(likelihood, member):
    posterior = Posterior([member])
    members = np.zeros(4, dtype=int)
    noise = likelihood.draw_noise(posterior, np.random.default_rng(0), members)
    outputs = np.array([[[0.1], [0.2]]] * 4, dtype=np.float32)
    y = np.array([[0.0], [1.5]])
    density = likelihood.log_density(y, outputs, noise, slice(0, 4))
    scale = noise["scale"][:, None, :]
    residual = y - outputs.astype(np.float64)
    if "df" in noise:
        expected = stats.t.logpdf(residual, noise["df"][:, None, :], scale=scale)
    else:
        expected = stats.norm.logpdf(residual, scale=scale)
    assert_allclose(density, expected[..., 0], rtol=1e-10)


def test_heteroscedastic_draws_scale_their_ratio_by_the_members_level():
    likelihood = HeteroscedasticNormalLikelihood(n_outputs=1)
    posterior = Posterior(
        [_noise_member(np.log(0.5), 0.0), _noise_member(np.log(2.0), 0.0)]
    )
    ratio = np.full((2, 3, 2), 4.0)  # mean, then exp(2 r(x))
    members = np.array([0, 1])
    ((_, _, outputs),) = likelihood.prediction_outputs(
        [(slice(0, 2), slice(0, 3), ratio)], posterior, members
    )
    assert_allclose(outputs[0, :, 1], 4.0 * 0.25)
    assert_allclose(outputs[1, :, 1], 4.0 * 4.0)
    assert_allclose(outputs[..., 0], 4.0)


def test_poisson_draws_carry_their_mean_as_noise():
    likelihood = PoissonLikelihood(n_outputs=1)
    rates = np.array([[[1.0]], [[3.0]]])
    e = _expect(rates, likelihood.statistics)
    # The rate's spread is epistemic; a count's variance is its rate.
    assert likelihood.uncertainty(e, "epistemic", None)[0, 0] == pytest.approx(1.0)
    assert likelihood.uncertainty(e, "aleatoric", None)[0, 0] == pytest.approx(
        np.sqrt(2.0)
    )
    y = np.array([[0.0], [2.0]])
    density = likelihood.log_density(y, np.array([[[1.0], [3.0]]]), {}, slice(0, 1))
    assert_allclose(density[0], stats.poisson.logpmf([0, 2], [1.0, 3.0]))


def test_poisson_refuses_negative_counts_as_scikit_learn_does():
    likelihood = PoissonLikelihood(n_outputs=1)
    with pytest.raises(ValueError, match="Some value\\(s\\) of y are negative"):
        likelihood.check_targets(np.array([[1.0], [-1.0]]))
    with pytest.raises(ValueError, match="Sum of y is not strictly positive"):
        likelihood.check_targets(np.zeros((3, 1)))
    likelihood.check_targets(np.array([[0.0], [2.0]]))


def test_an_extreme_noise_output_keeps_the_density_finite():
    # A weight draw meeting an extreme input row can push the network's log
    # noise ratio past float32's exp: the ratio is clipped, so the ELBO stays
    # finite (an Ames fit with heteroscedastic noise diverged at any step
    # size without it).
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt

    from skbnn._model.likelihoods.base import INVERSE_LINKS, LOG_RATIO_BOUND

    likelihood = HeteroscedasticNormalLikelihood(n_outputs=1)
    outputs = pt.matrix("outputs", dtype="float32")
    y = np.zeros((3, 1), dtype="float32")
    with pytensor.config.change_flags(floatX="float32"), pm.Model() as model:
        likelihood.observe(outputs, y)
    level = model.value_vars[0]  # the noise level, on the log scale
    logp = pytensor.function([outputs, level], model.logp())
    extreme = np.array([[0.0, 120.0], [0.0, -120.0], [0.0, 0.5]], dtype="float32")
    assert np.isfinite(logp(extreme, np.zeros(1, dtype="float32")))
    variance = pytensor.function(
        [outputs], INVERSE_LINKS["mean_and_noise_variance"](outputs)
    )(extreme)[:, 1]
    assert_allclose(
        variance,
        np.exp(2 * np.array([LOG_RATIO_BOUND, -LOG_RATIO_BOUND, 0.5])),
        rtol=1e-5,
    )
