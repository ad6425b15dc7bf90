import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

import skbnn._inference.step as inference
from skbnn import BayesianMLPClassifier
from skbnn._inference.device import device_context
from skbnn._inference.initialisation import initial_point_function
from skbnn._inference.minibatches import iter_minibatches
from skbnn._inference.step import AdviStep, StepCache
from skbnn._model.build import build_model
from skbnn._model.likelihoods import BernoulliLikelihood
from skbnn._model.likelihoods.student_t import HeteroscedasticStudentTLikelihood
from skbnn._model.networks import MLPNetwork


def test_objective_estimates_the_full_data_elbo_on_minibatches(moons, tanh_step):
    X, _, y, _ = moons
    X, y = X.astype(np.float32), y.astype(np.int32)
    step = tanh_step((2, 5, 1))
    rng = np.random.default_rng(0)
    posterior = {
        name: (rng.normal(size=mean.shape), 0.05)
        for name, (mean, _) in step.read().items()
    }
    estimates = {}
    with device_context("cpu"):
        for batch_size in [500, 50]:
            step.reset(posterior, 0.05, seed=1)
            weights = np.full(batch_size, len(y) / batch_size, dtype=np.float32)
            draws = []
            for _ in range(40):
                for rows in iter_minibatches(len(y), batch_size, rng):
                    # A learning rate of zero leaves q where it is.
                    draws.append(step(X[rows], y[rows], weights, 0.0))
            draws = np.array(draws)
            estimates[batch_size] = draws.mean(), draws.std() / np.sqrt(draws.size)
    (full, full_se), (mini, mini_se) = estimates[500], estimates[50]
    assert abs(full - mini) < 4 * np.hypot(full_se, mini_se)
    # Without the n / batch_size weights the minibatch estimate would sit far off.
    assert abs(full - mini) < 0.05 * abs(full)


def test_reset_and_read_place_every_variable_in_its_vector():
    # (200, 100, 1): coef_0 has a vector of its own, the rest share one.
    batch_model = build_model(
        MLPNetwork((200, 100, 1), "tanh"),
        prior="hierarchical",
        prior_scale=1.0,
        likelihood=BernoulliLikelihood(),
        dtype="float32",
    )
    with device_context("cpu"):
        step = AdviStep(batch_model, mode="JAX")
    assert len({index for _, index, _, _ in step._layout}) == 2
    rng = np.random.default_rng(0)
    posterior = {
        name: (rng.normal(size=mean.shape), rng.uniform(0.1, 1.0, size=mean.shape))
        for name, (mean, _) in step.read().items()
    }
    step.reset(posterior, 0.05, seed=0)
    read = step.read()
    assert list(read) == [value.name for value in batch_model.model.value_vars]
    for name, (mean, std) in posterior.items():
        np.testing.assert_allclose(read[name][0], mean, rtol=1e-6)
        np.testing.assert_allclose(read[name][1], std, rtol=1e-5)


def test_a_refit_on_other_data_compiles_nothing_and_repeats_exactly(moons, step_builds):
    X, X_test, y, _ = moons
    params = dict(hidden_layer_sizes=(6,), max_iter=50, random_state=0)
    with pytest.warns(ConvergenceWarning):
        first = BayesianMLPClassifier(**params).fit(X, y).predict_proba(X_test)
        BayesianMLPClassifier(**params).fit(X[:150] * 2, 1 - y[:150])
        again = BayesianMLPClassifier(**params).fit(X, y).predict_proba(X_test)
    assert len(step_builds) == 1
    assert_array_equal(first, again)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("prior", ["normal", "hierarchical"])
def test_prior_scale_is_an_input_of_the_cached_step(moons, prior, monkeypatch):
    X, X_test, y, _ = moons
    params = dict(hidden_layer_sizes=(4,), prior=prior, max_iter=20, random_state=0)
    cache = StepCache()
    monkeypatch.setattr(inference, "STEP_CACHE", cache)
    BayesianMLPClassifier(**params, prior_scale=1.0).fit(X, y)
    after_another_scale = BayesianMLPClassifier(**params, prior_scale=0.1).fit(X, y)
    # One compiled step served both scales ...
    assert len(cache) == 1
    # ... and the second fit is the one a fresh process makes.
    monkeypatch.setattr(inference, "STEP_CACHE", StepCache())
    fresh = BayesianMLPClassifier(**params, prior_scale=0.1).fit(X, y)
    assert_array_equal(
        after_another_scale.predict_proba(X_test), fresh.predict_proba(X_test)
    )
    wide = BayesianMLPClassifier(**params, prior_scale=1.0).fit(X, y)
    assert not np.array_equal(wide.predict_proba(X_test), fresh.predict_proba(X_test))


def test_a_batch_of_every_row_takes_them_in_order_and_draws_nothing():
    rng = np.random.default_rng(0)
    batches = list(iter_minibatches(7, 7, rng))
    assert len(batches) == 1
    np.testing.assert_array_equal(batches[0], np.arange(7))
    # The generator was not advanced: it still draws what a fresh one does.
    assert rng.integers(2**31) == np.random.default_rng(0).integers(2**31)
    # Smaller batches are drawn at random and cover every row once.
    batches = list(iter_minibatches(7, 3, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [3, 3, 3]
    assert set(np.concatenate(batches)) == set(range(7))


@pytest.mark.parametrize("prior", ["normal", "hierarchical", "scale_mixture", "ard"])
def test_the_initial_point_is_pymcs(prior):
    from pymc.initial_point import make_initial_point_fn

    batch_model = build_model(
        MLPNetwork((3, 4, 1), "tanh"),
        prior=prior,
        prior_scale=0.7,
        likelihood=HeteroscedasticStudentTLikelihood(n_outputs=1),
        dtype="float32",
    )
    model = batch_model.model
    ours = initial_point_function(model)()
    pymcs = make_initial_point_fn(model=model, return_transformed=True)(0)
    assert list(ours) == list(pymcs) == [value.name for value in model.value_vars]
    for name, value in pymcs.items():
        np.testing.assert_allclose(ours[name], value, rtol=1e-6)
