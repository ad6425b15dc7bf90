import numpy as np
import pytest
from pytensor.graph.traversal import ancestors

from skbnn._likelihoods import (
    BernoulliLikelihood,
    CategoricalLikelihood,
    NormalLikelihood,
)
from skbnn._model import build_model


def _op_name(variable):
    return type(variable.owner.op).__name__


def _build(X, y, likelihood, prior="normal", batch_size=None, units=(3, 4, 1)):
    return build_model(
        X,
        y,
        list(units),
        activation="relu",
        prior=prior,
        prior_scale=1.0,
        likelihood=likelihood,
        batch_size=batch_size or X.shape[0],
    )


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(40, 3)), rng.integers(0, 2, size=40).astype(np.int32)


def test_every_weight_and_bias_has_a_normal_prior(data):
    X, y = data
    model = _build(X, y, BernoulliLikelihood())
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


def test_hierarchical_prior_learns_a_scale_per_weight_tensor(data):
    X, y = data
    model = _build(X, y, BernoulliLikelihood(), prior="hierarchical")
    free = {rv.name: rv for rv in model.free_RVs}
    scales = {name for name in free if name.endswith("_scale")}
    assert scales == {
        "coef_0_scale",
        "intercept_0_scale",
        "coef_1_scale",
        "intercept_1_scale",
    }
    assert all(_op_name(free[name]) == "HalfNormalRV" for name in scales)
    # Each weight tensor's standard deviation is its own scale variable.
    coef_0_ancestors = set(ancestors([free["coef_0"]]))
    assert free["coef_0_scale"] in coef_0_ancestors
    assert free["intercept_0_scale"] not in coef_0_ancestors


@pytest.mark.parametrize(
    "likelihood, op",
    [
        (BernoulliLikelihood(), "BernoulliRV"),
        (CategoricalLikelihood(n_outputs=3), "CategoricalRV"),
        (NormalLikelihood(n_outputs=1), "NormalRV"),
    ],
)
def test_likelihood_is_observed(data, likelihood, op):
    X, y = data
    units = (3, 4, likelihood.n_outputs)
    y = y[:, None].astype(float) if op == "NormalRV" else y
    model = _build(X, y, likelihood, units=units)
    (observed,) = model.observed_RVs
    assert _op_name(observed) == op
    noise = [rv.name for rv in model.free_RVs if rv.name == "noise_std"]
    assert noise == (["noise_std"] if op == "NormalRV" else [])


def test_minibatch_draws_x_and_y_with_the_same_indices():
    # y equals the first feature, and the network is fixed to output that
    # feature: the likelihood peaks on every minibatch only if its X and y
    # rows belong together.
    n = 60
    X = np.arange(n, dtype=float)[:, None]
    y = X.copy()
    model = _build(X, y, NormalLikelihood(n_outputs=1), batch_size=7, units=(1, 1))
    observed_logp = model.compile_logp(vars=model.observed_RVs)
    point = {
        "coef_0": np.ones((1, 1)),
        "intercept_0": np.zeros(1),
        "noise_std_log__": np.log([0.01]),
    }
    # Matched pairs: every residual is zero, the log-density of a point is
    # -log(0.01 * sqrt(2 pi)), scaled by total_size to all n rows.
    exact = n * -np.log(0.01 * np.sqrt(2 * np.pi))
    for _ in range(50):
        assert observed_logp(point) == pytest.approx(exact)


def test_minibatch_log_likelihood_is_unbiased_for_the_full_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(np.int32)
    point = {
        "coef_0": rng.normal(size=(3, 4)),
        "intercept_0": rng.normal(size=4),
        "coef_1": rng.normal(size=(4, 1)),
        "intercept_1": rng.normal(size=1),
    }
    full = _build(X, y, BernoulliLikelihood()).compile_logp()(point)
    minibatch_logp = _build(X, y, BernoulliLikelihood(), batch_size=20).compile_logp()
    draws = np.array([minibatch_logp(point) for _ in range(2000)])
    standard_error = draws.std() / np.sqrt(draws.size)
    assert abs(draws.mean() - full) < 4 * standard_error
    # Without the total_size scaling the estimate would be ten times too small.
    assert abs(draws.mean() - full) < 0.05 * abs(full)


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
