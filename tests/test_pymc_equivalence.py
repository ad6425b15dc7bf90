"""skbnn's compiled step optimises PyMC's own ADVI objective.

skbnn builds the model with PyMC and compiles its own ADVI step on the
model's log-density. Here both objectives are estimated at the same
variational parameters: skbnn's step (with a learning rate of zero, so it
stays put) and ``pm.ADVI``'s negative ELBO on the same model, started at
those means and standard deviations. PyMC estimates ``E_q[log q]`` by Monte
Carlo where skbnn uses the Gaussian's entropy without its constant, so the
two agree up to ``d (1 + log 2 pi) / 2`` for ``d`` free scalars. Both of
skbnn's gradient estimators estimate that objective.
"""

import numpy as np
import pymc as pm
import pytensor
import pytest

from skbnn._inference.device import device_context
from skbnn._inference.step import AdviStep
from skbnn._model.build import build_model
from skbnn._model.likelihoods import (
    CategoricalLikelihood,
    NormalLikelihood,
    StudentTLikelihood,
)
from skbnn._model.networks import MLPNetwork

N_DRAWS = 4000


def _data(likelihood, rng):
    X = rng.normal(size=(30, 2)).astype(np.float32)
    if isinstance(likelihood, CategoricalLikelihood):
        return X, rng.integers(0, likelihood.n_outputs, size=30).astype(np.int32)
    y = X[:, 0] - X[:, 1] + 0.3 * rng.normal(size=30)
    return X, y[:, None].astype(np.float32)


def _variational_parameters(step, rng):
    """Means and standard deviations away from the initial point."""
    return {
        name: (
            rng.normal(scale=0.5, size=np.shape(mean)),
            rng.uniform(0.1, 0.5, size=np.shape(mean)),
        )
        for name, (mean, _) in step.read().items()
    }


CASES = {
    "normal-categorical": ("normal", CategoricalLikelihood(n_outputs=3)),
    "hierarchical-categorical": ("hierarchical", CategoricalLikelihood(n_outputs=3)),
    "normal-regression": ("normal", NormalLikelihood(n_outputs=1)),
    "normal-student_t": ("normal", StudentTLikelihood(n_outputs=1)),
}
# tests/test_gradient_estimators.py checks the local estimator against weight
# sampling on every prior; here it meets PyMC on one case in CI, all with -m slow.
PARAMS = [
    pytest.param(*CASES[case], "weights", id=f"weights-{case}") for case in CASES
] + [
    pytest.param(
        *CASES[case],
        "local",
        id=f"local-{case}",
        marks=[] if case == "normal-student_t" else [pytest.mark.slow],
    )
    for case in CASES
]


# PyTensor's JAX backend drops PyMC's parameter checks, and says so.
@pytest.mark.filterwarnings("ignore:Skipping Check:UserWarning")
@pytest.mark.parametrize("prior, likelihood, gradient_estimator", PARAMS)
def test_skbnn_step_and_pymc_advi_estimate_the_same_elbo(
    prior, likelihood, gradient_estimator
):
    rng = np.random.default_rng(0)
    n_outputs = likelihood.n_outputs
    batch_model = build_model(
        MLPNetwork((2, 4, n_outputs), "tanh"),
        prior=prior,
        prior_scale=1.0,
        likelihood=likelihood,
        dtype="float32",
    )
    X, y = _data(likelihood, rng)
    with device_context("cpu"):
        step = AdviStep(batch_model, mode="JAX", gradient_estimator=gradient_estimator)
        posterior = _variational_parameters(step, rng)
        step.reset(posterior, 0.1, seed=0)
        # PyMC starts from the Gaussians skbnn's step holds, to the bit.
        posterior = step.read()
        weights = np.ones(len(X), dtype=np.float32)
        skbnn_draws = np.array([step(X, y, weights, 0.0) for _ in range(N_DRAWS)])
    # A learning rate of zero: the step did not move.
    for name, (mean, std) in step.read().items():
        np.testing.assert_allclose(mean, posterior[name][0], rtol=1e-6)
        np.testing.assert_allclose(std, posterior[name][1], rtol=1e-6)

    # skbnn computes in float32; so does PyMC here.
    with pytensor.config.change_flags(floatX="float32"), batch_model.model:
        advi = pm.ADVI(
            start={name: mean for name, (mean, _) in posterior.items()},
            # PyMC takes each variable's sigmas flattened.
            start_sigma={name: np.ravel(std) for name, (_, std) in posterior.items()},
            random_seed=1,
        )
        score = advi.objective.score_function(
            sc_n_mc=N_DRAWS,
            more_replacements={batch_model.X_batch: X, batch_model.y_batch: y},
            compile_kwargs={"mode": "JAX"},
        )
        pymc_negative_elbo = float(score())

    n_scalars = sum(np.size(mean) for mean, _ in posterior.values())
    constant = n_scalars * (1 + np.log(2 * np.pi)) / 2
    skbnn_negative_elbo = skbnn_draws.mean()
    # PyMC's estimate has the spread of skbnn's plus that of log q.
    standard_error = np.sqrt(2) * skbnn_draws.std() / np.sqrt(N_DRAWS)
    assert (
        abs(skbnn_negative_elbo - (pymc_negative_elbo + constant)) < 4 * standard_error
    )
    # A wrong scaling of any term (the likelihood, the prior, the Jacobian)
    # would be far outside that error.
    assert standard_error < 0.02 * abs(skbnn_negative_elbo)
