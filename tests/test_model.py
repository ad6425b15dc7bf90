import numpy as np
import pymc as pm
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor.graph.traversal import graph_inputs
from scipy.special import log_softmax

from skbnn._inference.device import device_context
from skbnn._model.build import build_model
from skbnn._model.likelihoods import (
    BernoulliLikelihood,
    CategoricalLikelihood,
    NormalLikelihood,
    StudentTLikelihood,
)
from skbnn._model.networks import MLPNetwork
from skbnn._model.priors import hierarchical_prior


def _op_name(variable):
    return type(variable.owner.op).__name__


def _build(likelihood, prior="normal", units=(3, 4, 1)):
    return build_model(
        MLPNetwork(tuple(units), "relu"),
        prior=prior,
        prior_scale=1.0,
        likelihood=likelihood,
        dtype="float64",
    ).model


def test_every_weight_and_bias_has_a_normal_prior():
    model = _build(BernoulliLikelihood())
    free = {rv.name: rv for rv in model.free_RVs}
    assert set(free) == {"coef_0", "intercept_0", "coef_1", "intercept_1"}
    assert all(_op_name(rv) == "NormalRV" for rv in free.values())
    shapes = {name: tuple(rv.shape.eval()) for name, rv in free.items()}
    assert shapes == {
        "coef_0": (3, 4),
        "intercept_0": (4,),
        "coef_1": (4, 1),
        "intercept_1": (1,),
    }


def test_hierarchical_prior_learns_a_scale_per_weight_tensor():
    model = _build(BernoulliLikelihood(), prior="hierarchical")
    free = {rv.name: rv for rv in model.free_RVs}
    tensors = ["coef_0", "intercept_0", "coef_1", "intercept_1"]
    assert set(free) == {f"{name}_scale" for name in tensors} | {
        f"{name}_standardised" for name in tensors
    }
    for name in tensors:
        assert _op_name(free[f"{name}_scale"]) == "HalfNormalRV"
        standardised = free[f"{name}_standardised"]
        assert _op_name(standardised) == "NormalRV"
        mu, sigma = standardised.owner.op.dist_params(standardised.owner)
        assert (mu.eval(), sigma.eval()) == (0.0, 1.0)


def test_hierarchical_weights_are_scale_times_standard_normal():
    with pm.Model() as model:
        weights = hierarchical_prior("w", (2, 3), 1.0)
    scale, standardised = model["w_scale"], model["w_standardised"]
    z = np.arange(6.0).reshape(2, 3)
    value = pytensor.function([scale, standardised], weights)([0.5], z)
    assert_allclose(value, 0.5 * z)


@pytest.mark.parametrize(
    "likelihood, op",
    [
        (BernoulliLikelihood(), "BernoulliRV"),
        (CategoricalLikelihood(n_outputs=3), "CustomDist"),
        (NormalLikelihood(n_outputs=1), "NormalRV"),
        (StudentTLikelihood(n_outputs=1), "StudentTRV"),
    ],
)
def test_likelihood_is_observed(likelihood, op):
    model = _build(likelihood, units=(3, 4, likelihood.n_outputs))
    (observed,) = model.observed_RVs
    assert op in _op_name(observed)
    noise = [rv.name for rv in model.free_RVs if rv.name in ("noise_std", "df_excess")]
    expected = {"NormalRV": ["noise_std"], "StudentTRV": ["noise_std", "df_excess"]}
    assert noise == expected.get(op, [])


def test_data_enter_the_model_as_inputs_not_constants():
    batch_model = build_model(
        MLPNetwork((3, 4, 2), "relu"),
        prior="normal",
        prior_scale=1.0,
        likelihood=CategoricalLikelihood(n_outputs=2),
        dtype="float32",
    )
    inputs = set(graph_inputs([batch_model.model.logp()]))
    assert {batch_model.X_batch, batch_model.y_batch} <= inputs
    assert batch_model.X_batch.type.shape == (None, 3)
    assert batch_model.X_batch.dtype == "float32"


def test_categorical_log_likelihood_is_the_log_softmax_of_the_label():
    rng = np.random.default_rng(0)
    batch_model = build_model(
        MLPNetwork((3, 4), "relu"),
        prior="normal",
        prior_scale=1.0,
        likelihood=CategoricalLikelihood(n_outputs=4),
        dtype="float32",
    )
    model = batch_model.model
    X = rng.normal(size=(300, 3)).astype(np.float32)
    y = rng.integers(0, 4, size=300).astype(np.int32)
    coef = rng.normal(size=(3, 4)).astype(np.float32)
    intercept = rng.normal(size=4).astype(np.float32)
    with device_context("cpu"):
        logp = pytensor.function(
            [batch_model.X_batch, batch_model.y_batch, *model.value_vars],
            model.logp(vars=model.observed_RVs),
            mode="JAX",
        )
        value = float(logp(X, y, coef, intercept))
    logits = X.astype(float) @ coef + intercept
    expected = np.sum(log_softmax(logits, axis=1)[np.arange(300), y])
    assert value == pytest.approx(expected, rel=1e-5)


def test_hierarchical_fit_compiles_without_pytensor_errors(caplog):
    # Scalar layer scales once made PyTensor's fusion rewrite log a traceback.
    from skbnn import BayesianMLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(4,), prior="hierarchical", max_iter=3
    )
    with caplog.at_level("ERROR", logger="pytensor"), pytest.warns(Warning):
        reg.fit(X, X[:, 0])
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []


def test_scale_mixture_prior_is_blundells_two_gaussian_mixture():
    model = _build(BernoulliLikelihood(), prior="scale_mixture", units=(3, 4, 1))
    logp = model.compile_logp(vars=model.free_RVs, sum=False)
    values = {
        "coef_0": np.full((3, 4), 0.01),
        "intercept_0": np.zeros(4),
        "coef_1": np.full((4, 1), 1.5),
        "intercept_1": np.zeros(1),
    }
    terms = dict(zip([rv.name for rv in model.free_RVs], logp(values), strict=True))

    def mixture(w):
        narrow = np.exp(-6.0)
        return np.log(
            0.5 * np.exp(-0.5 * w**2) / np.sqrt(2 * np.pi)
            + 0.5 * np.exp(-0.5 * (w / narrow) ** 2) / (narrow * np.sqrt(2 * np.pi))
        )

    assert_allclose(terms["coef_0"], mixture(0.01))
    assert_allclose(terms["coef_1"], mixture(1.5))
    assert_allclose(terms["intercept_0"], mixture(0.0))
