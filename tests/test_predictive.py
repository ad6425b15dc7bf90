import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

import skbnn._prediction.draws as predictive
from skbnn import BayesianMLPClassifier, BayesianMLPRegressor
from skbnn._prediction.averages import stack_draw_outputs


@pytest.fixture(scope="module")
def fitted_moons_classifier(moons):
    X, _, y, _ = moons
    return BayesianMLPClassifier(hidden_layer_sizes=(8,), random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def many_rows():
    # More rows than one block holds, so that subsets start and end inside
    # blocks and the whole spans several.
    return np.random.default_rng(1).normal(size=(1500, 2))


@pytest.mark.parametrize(
    "path",
    [
        "draws vectorised",
        "one draw per call",
        "many small blocks",
    ],
)
def test_a_row_predicts_the_same_whatever_rows_come_with_it(
    fitted_moons_classifier, many_rows, path, monkeypatch
):
    if path == "one draw per call":
        monkeypatch.setattr(predictive, "_VECTORISE_DRAWS_BELOW", 0)
    if path == "many small blocks":
        monkeypatch.setattr(predictive, "_ACTIVATIONS_BUDGET", 1000)
    clf = fitted_moons_classifier
    whole = clf.predict_proba(many_rows)
    assert_array_equal(clf.predict_proba(many_rows[::-1])[::-1], whole)
    for n_rows in (1, 7, 23, 257):
        for offset in (0, 3, 509, 1500 - n_rows):
            rows = slice(offset, offset + n_rows)
            assert_array_equal(
                clf.predict_proba(many_rows[rows]),
                whole[rows],
                err_msg=f"{n_rows} rows from row {offset}",
            )


def test_regressor_rows_predict_the_same_in_any_subset(sine, many_rows):
    X, y, _ = sine
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(8,), ensemble_size=1, max_iter=50, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    X_new = many_rows[:, :1]
    mean, std = reg.predict(X_new, return_std=True)
    for n_rows, offset in [(1, 0), (7, 3), (23, 509), (257, 1243)]:
        rows = slice(offset, offset + n_rows)
        sub_mean, sub_std = reg.predict(X_new[rows], return_std=True)
        assert_array_equal(sub_mean, mean[rows])
        assert_array_equal(sub_std, std[rows])


def test_block_shape_depends_on_the_network_not_the_rows():
    # One compiled block shape for every call, clipped to its bounds.
    assert predictive._rows_per_block(1) == predictive._MAX_BLOCK_ROWS
    assert predictive._rows_per_block(10**9) == predictive._MIN_BLOCK_ROWS
    rows = predictive._rows_per_block(predictive._ACTIVATIONS_BUDGET // 100)
    assert rows == 64


def test_draws_are_chunked_without_changing_the_estimate(moons, monkeypatch):
    X, X_test, y, _ = moons
    clf = BayesianMLPClassifier(
        hidden_layer_sizes=(8,), n_posterior_draws=400, random_state=0
    ).fit(X, y)
    whole = clf.predict_proba(X_test)
    # A tiny weight budget samples the draws a few at a time, from other seeds:
    # the numbers change, their average must not.
    monkeypatch.setattr(predictive, "_SAMPLED_WEIGHTS_BUDGET", 200)
    chunked = clf.predict_proba(X_test)
    assert not np.array_equal(chunked, whole)
    assert np.abs(chunked - whole).max() < 0.05


def test_one_draw_per_call_agrees_with_draws_vectorised(moons, monkeypatch):
    # Large networks are evaluated one draw per call; with one draw per chunk
    # both paths use the same random numbers and must agree.
    X, X_test, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(8,), random_state=0).fit(X, y)
    monkeypatch.setattr(predictive, "_SAMPLED_WEIGHTS_BUDGET", 1)
    vectorised = clf.predict_proba(X_test)
    monkeypatch.setattr(predictive, "_VECTORISE_DRAWS_BELOW", 0)
    assert_allclose(clf.predict_proba(X_test), vectorised, rtol=1e-5)


def _draw_moments(estimator, X, joint, n_draws):
    """Mean and std over draws of each row's outputs, by the given path."""
    outputs = stack_draw_outputs(
        estimator._iter_draw_outputs(
            X, estimator.posterior_, n_draws, seed=3, joint=joint
        ),
        X.shape[0],
        n_draws,
    ).astype(np.float64)
    return outputs.mean(axis=0), outputs.std(axis=0)


@pytest.fixture(scope="module", params=["normal", "hierarchical"])
def mixture_regressor(request):
    # A mixture of two members, each a mean-field Gaussian, on 3 inputs.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(16,), prior=request.param, max_iter=100, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    assert reg.posterior_.n_members == 2
    return reg


@pytest.mark.parametrize("per_call", ["draws vectorised", "one draw per call"])
def test_first_layer_from_its_moments_draws_each_rows_predictive(
    mixture_regressor, per_call, monkeypatch
):
    # Averages over draws sample an MLP's first layer given each row; whole
    # networks (joint=True) sample its weights. Row by row the draws must
    # follow one distribution: their means and spreads agree within Monte
    # Carlo error.
    if per_call == "one draw per call":
        monkeypatch.setattr(predictive, "_VECTORISE_DRAWS_BELOW", 0)
    reg = mixture_regressor
    X_new = reg._validated_input(3 * np.random.default_rng(1).normal(size=(25, 3)))
    n_draws = 2000
    joint_mean, joint_std = _draw_moments(reg, X_new, True, n_draws)
    mean, std = _draw_moments(reg, X_new, False, n_draws)
    z = (mean - joint_mean) / (joint_std * np.sqrt(2 / n_draws))
    assert np.abs(z).max() < 5
    assert_allclose(std, joint_std, rtol=0.12)
    assert joint_std.min() > 0.01


def test_first_layer_moments_need_a_dense_first_layer_and_one_scale():
    from skbnn._model.networks import ConvNetwork, MLPNetwork
    from skbnn._model.priors import layer_scale_name, standardised_name
    from skbnn._prediction.posterior import Posterior

    gaussian = (np.zeros((3, 4)), np.ones((3, 4)))
    normal = Posterior([{"coef_0": gaussian}])
    log_scale = standardised_name("coef_0"), layer_scale_name("coef_0") + "_log__"
    per_tensor = Posterior(
        [{log_scale[0]: gaussian, log_scale[1]: (np.zeros(1), np.ones(1))}]
    )
    per_input = Posterior(
        [{log_scale[0]: gaussian, log_scale[1]: (np.zeros((3, 1)), np.ones((3, 1)))}]
    )
    mlp = MLPNetwork((3, 4, 2), "relu")
    applies = predictive._first_layer_from_moments_applies
    assert applies(mlp, normal)
    assert applies(mlp, per_tensor)
    assert not applies(mlp, per_input)
    conv = ConvNetwork((1, 3, 1), ((2, 2),), (2,), "relu")
    assert not applies(conv, normal)


def test_first_layer_moments_in_several_passes_give_the_same_numbers(
    fitted_moons_classifier, many_rows, monkeypatch
):
    # With little memory for the moments, each block is a pass of its own,
    # drawing every draw again: the same draws, the same numbers.
    clf = fitted_moons_classifier
    whole = clf.predict_proba(many_rows)
    monkeypatch.setattr(predictive._FirstLayerFromMoments, "_BUDGET", 1)
    assert_array_equal(clf.predict_proba(many_rows), whole)
    assert_array_equal(clf.predict_proba(many_rows[5:300]), whole[5:300])
