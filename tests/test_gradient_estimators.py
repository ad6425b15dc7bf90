"""The local gradient estimator: the same gradient in expectation, less noise.

Local reparameterization (dense layers), Flipout (convolutions) and the
expected Normal log-prior change how a step draws, not what it estimates: at
the same variational parameters, the mean of many gradient draws must agree
with weight sampling's, entry by entry, within Monte Carlo error.
"""

import numpy as np
import pytest

from skbnn import BayesianMLPClassifier
from skbnn._inference.device import device_context
from skbnn._inference.step import AdviStep
from skbnn._model.build import build_model
from skbnn._model.likelihoods import CategoricalLikelihood, StudentTLikelihood
from skbnn._model.networks import ConvNetwork, MLPNetwork

N_DRAWS = 500

SLOW = pytest.mark.slow
CASES = {
    "mlp-normal": (MLPNetwork((3, 8, 3), "relu"), "normal", CategoricalLikelihood(3)),
    "conv-normal": (
        ConvNetwork((5, 5, 2), ((3, 3),), (4, 3), "relu"),
        "normal",
        CategoricalLikelihood(3),
    ),
    "mlp-hierarchical": (
        MLPNetwork((3, 8, 3), "tanh"),
        "hierarchical",
        CategoricalLikelihood(3),
    ),
    "mlp-scale_mixture-student_t": (
        MLPNetwork((3, 8, 1), "tanh"),
        "scale_mixture",
        StudentTLikelihood(1),
    ),
    "mlp-ard": (MLPNetwork((3, 8, 3), "relu"), "ard", CategoricalLikelihood(3)),
}
# Each case compiles four functions; CI runs the first two, -m slow the rest.
CASE_PARAMS = [
    pytest.param(case, id=case, marks=[] if index < 2 else [SLOW])
    for index, case in enumerate(CASES)
]


def _steps_at_one_posterior(network, prior, likelihood, rng):
    batch_model = build_model(
        network, prior=prior, prior_scale=1.0, likelihood=likelihood, dtype="float32"
    )
    steps = {
        estimator: AdviStep(batch_model, mode="JAX", gradient_estimator=estimator)
        for estimator in ("weights", "local")
    }
    posterior = {
        name: (
            rng.normal(scale=0.5, size=np.shape(mean)),
            rng.uniform(0.1, 0.5, size=np.shape(mean)),
        )
        for name, (mean, _) in steps["weights"].read().items()
    }
    for step in steps.values():
        step.reset(posterior, 0.1, seed=0)
    return steps, posterior


def _data(network, likelihood, rng, n_rows=16):
    X = rng.normal(size=(n_rows, network.n_features)).astype(np.float32)
    if isinstance(likelihood, CategoricalLikelihood):
        y = rng.integers(0, likelihood.n_outputs, size=n_rows).astype(np.int32)
    else:
        y = rng.normal(size=(n_rows, 1)).astype(np.float32)
    return X, y, np.full(n_rows, 10.0, dtype=np.float32)


def _gradient_draws(step, data, n_draws=N_DRAWS):
    draws = [np.concatenate(step.gradient(*data)) for _ in range(n_draws)]
    return np.array(draws)


# PyTensor's JAX backend drops PyMC's parameter checks, and says so.
@pytest.mark.filterwarnings("ignore:Skipping Check:UserWarning")
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_local_gradient_agrees_in_expectation_with_weight_sampling(case):
    network, prior, likelihood = CASES[case]
    rng = np.random.default_rng(0)
    with device_context("cpu"):
        steps, posterior = _steps_at_one_posterior(network, prior, likelihood, rng)
        data = _data(network, likelihood, rng)
        draws = {name: _gradient_draws(step, data) for name, step in steps.items()}
        # The draws are the seed's: the same seed draws them again.
        steps["local"].reset(posterior, 0.1, seed=0)
        redrawn = _gradient_draws(steps["local"], data, n_draws=1)
    np.testing.assert_array_equal(redrawn, draws["local"][:1])
    means = {name: d.mean(axis=0) for name, d in draws.items()}
    errors = {name: d.std(axis=0) / np.sqrt(N_DRAWS) for name, d in draws.items()}
    z = (means["local"] - means["weights"]) / np.hypot(
        errors["local"], errors["weights"]
    )
    # Standard normal scores if both estimate the same gradient: their mean
    # square is near 1 (the local draws' std taken as their variance puts it
    # in the tens). The entries share each draw, so the mean square spreads
    # more than a chi-square's over as many independent scores would: the
    # bound leaves room for that, whatever stack draws the numbers. The
    # expected log-prior's terms are small beside this gradient's noise;
    # test_pymc_equivalence.py checks them through the ELBO.
    assert np.mean(z**2) < 2.5
    assert np.max(np.abs(z)) < 6
    # Each gradient moves: the draws are not all one constant.
    assert (draws["local"].std(axis=0) > 0).mean() > 0.9


@pytest.mark.filterwarnings("ignore:Skipping Check:UserWarning")
def test_local_gradient_has_less_variance_on_a_wide_layer():
    network = MLPNetwork((20, 64, 3), "relu")
    likelihood = CategoricalLikelihood(3)
    rng = np.random.default_rng(1)
    with device_context("cpu"):
        steps, _ = _steps_at_one_posterior(network, "normal", likelihood, rng)
        data = _data(network, likelihood, rng, n_rows=64)
        variances = {
            name: _gradient_draws(step, data).var(axis=0).sum()
            for name, step in steps.items()
        }
    # The rows no longer share one draw of the weights, and no weight is
    # drawn for the prior: the total variance falls severalfold.
    assert variances["local"] < 0.5 * variances["weights"]


def test_gradient_estimator_is_checked():
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = X[:, 0] > 0
    clf = BayesianMLPClassifier(gradient_estimator="flipout", max_iter=1)
    with pytest.raises(ValueError, match="gradient_estimator"):
        clf.fit(X, y)
