"""Fits a user can trust: runaway losses, interruption, weights, draws."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.utils._param_validation import InvalidParameterError

from skbnn import BayesianMLPClassifier, BayesianMLPRegressor
from skbnn._device import gpu_unavailable_reason


def _binary_data(n=100, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] > 0).astype(int)


def test_runaway_loss_stops_with_a_warning_and_keeps_the_best_posterior():
    X, y = _binary_data()
    clf = BayesianMLPClassifier(learning_rate_init=1e3, random_state=0)
    with pytest.warns(ConvergenceWarning, match="ran away.*Lower learning_rate_init"):
        clf.fit(X, y)
    # It stopped long before max_iter and kept a finite posterior.
    assert clf.n_iter_ < 10
    free_variables = clf.posterior_.free_variables(0).values()
    assert all(np.isfinite(mean).all() for mean, _ in free_variables)
    assert np.isfinite(clf.predict_proba(X)).all()


def test_regressor_with_a_huge_step_does_not_end_silently(sine):
    X, y, _ = sine
    # One member: with the default two, the second member's loss became inf
    # at this step size, which raises "ADVI diverged"; this test is about
    # the runaway rule.
    reg = BayesianMLPRegressor(learning_rate_init=10, ensemble_size=1, random_state=0)
    # Before: the loss climbed to 2e6 and the model ended with R^2 = -4e6,
    # with only the max_iter warning to tell.
    with pytest.warns(ConvergenceWarning, match="ran away"):
        reg.fit(X, y)
    assert reg.n_iter_ < reg.max_iter


def test_unscaled_inputs_warn(sine):
    X, y, _ = sine
    reg = BayesianMLPRegressor(max_iter=3, random_state=0)
    with pytest.warns(UserWarning, match="X looks unscaled: feature 0"):
        with pytest.warns(ConvergenceWarning):
            reg.fit(X * 1e4, y)


def test_ctrl_c_keeps_what_was_learned(interrupt_after):
    X, y = _binary_data()
    interrupt_after(30)
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        clf.fit(X, y)
    # One step an epoch: 30 epochs completed, and the model predicts.
    assert clf.n_iter_ == 30
    assert len(clf.loss_curve_) == 30
    assert clf.predict_proba(X).shape == (100, 2)
    assert_array_equal(clf.classes_, [0, 1])


def test_predict_time_parameters_are_validated_at_predict():
    X, y = _binary_data()
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    clf.set_params(n_posterior_draws=0)
    with pytest.raises(InvalidParameterError, match="n_posterior_draws"):
        clf.predict(X)


def test_non_integer_layer_sizes_say_so():
    X, y = _binary_data()
    with pytest.raises(ValueError, match=r"must be integers > 0, got \[8.5\]"):
        BayesianMLPClassifier(hidden_layer_sizes=(8.5,)).fit(X, y)


def test_predict_log_proba_is_the_log_of_predict_proba(moons):
    X, X_test, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert_allclose(clf.predict_log_proba(X_test), np.log(clf.predict_proba(X_test)))


def test_unit_sample_weights_change_nothing(moons):
    X, X_test, y, _ = moons
    params = dict(hidden_layer_sizes=(4,), max_iter=20, random_state=0)
    with pytest.warns(ConvergenceWarning):
        plain = BayesianMLPClassifier(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        weighted = BayesianMLPClassifier(**params).fit(
            X, y, sample_weight=np.ones(len(y))
        )
    assert_array_equal(plain.predict_proba(X_test), weighted.predict_proba(X_test))
    assert plain.loss_curve_ == weighted.loss_curve_


def test_sample_weights_correct_class_imbalance():
    rng = np.random.default_rng(0)
    # Overlapping classes, one nine times rarer than the other.
    X = np.r_[rng.normal(0, 1, (900, 2)), rng.normal(1, 1, (100, 2))]
    y = np.r_[np.zeros(900, int), np.ones(100, int)]
    params = dict(hidden_layer_sizes=(8,), max_iter=200, random_state=0)
    with pytest.warns(ConvergenceWarning):
        plain = BayesianMLPClassifier(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        balanced = BayesianMLPClassifier(**params).fit(
            X, y, sample_weight=np.where(y == 1, 9.0, 1.0)
        )
    share_plain = plain.predict(X).mean()
    share_balanced = balanced.predict(X).mean()
    assert share_plain < 0.1
    assert share_balanced > 2 * share_plain


def test_sample_weight_with_early_stopping(moons):
    X, _, y, _ = moons
    weights = np.where(y == 1, 2.0, 1.0)
    clf = BayesianMLPClassifier(
        hidden_layer_sizes=(4,), early_stopping=True, max_iter=30, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y, sample_weight=weights)
    assert len(clf.validation_scores_) == clf.n_iter_


def test_invalid_sample_weight(moons):
    X, _, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), max_iter=2)
    with pytest.raises(ValueError, match="Negative values in data"):
        clf.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(3,\)"):
        clf.fit(X, y, sample_weight=np.ones(3))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sample_weight_is_routed_by_cross_val_score(moons):
    X, _, y, _ = moons
    weights = np.where(y == 1, 2.0, 1.0)
    with config_context(enable_metadata_routing=True):
        clf = BayesianMLPClassifier(
            hidden_layer_sizes=(4,), max_iter=300, random_state=0
        ).set_fit_request(sample_weight=True)
        clf.set_score_request(sample_weight=False)
        scores = cross_val_score(clf, X, y, cv=2, params={"sample_weight": weights})
        search = GridSearchCV(clf, {"hidden_layer_sizes": [(4,), (6,)]}, cv=2)
        search.fit(X, y, sample_weight=weights)
    assert scores.shape == (2,)
    assert (scores > 0.8).all()
    assert (search.cv_results_["mean_test_score"] > 0.8).all()


@pytest.mark.skipif(gpu_unavailable_reason() is None, reason="a GPU is usable here")
def test_model_fitted_on_a_gpu_predicts_on_a_cpu(moons):
    X, X_test, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    expected = clf.predict_proba(X_test)
    # A model fitted with device="gpu" has the same plain numpy state.
    served = pickle.loads(pickle.dumps(clf.set_params(device="gpu")))
    with pytest.warns(UserWarning, match="no GPU can be used here.*on the CPU"):
        proba = served.predict_proba(X_test)
    assert_array_equal(proba, expected)
    # Fitting still needs the GPU it asks for.
    with pytest.raises(RuntimeError, match="device='gpu'"):
        served.fit(X, y)


def test_sample_proba_draws_networks_from_the_posterior(moons):
    X, X_test, y, _ = moons
    clf = BayesianMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=100, n_posterior_draws=400, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    samples = clf.sample_proba(X_test, n_samples=400, random_state=1)
    assert samples.shape == (len(X_test), 2, 400)
    assert_allclose(samples.sum(axis=1), 1.0)
    assert_array_equal(samples, clf.sample_proba(X_test, 400, random_state=1))
    assert not np.array_equal(samples, clf.sample_proba(X_test, 400, random_state=2))
    # Many draws average to predict_proba (itself an average over 400 draws).
    assert_allclose(samples.mean(axis=2), clf.predict_proba(X_test), atol=0.05)
    # The spread of the draws is the "std" uncertainty of the predicted class.
    predicted = clf.predict_proba(X_test).argmax(axis=1)
    spread = samples[np.arange(len(X_test)), predicted].std(axis=1)
    assert_allclose(spread, clf.predict_uncertainty(X_test, kind="std"), atol=0.05)


def test_sample_y_draws_functions_from_the_posterior(sine):
    X, y, _ = sine
    reg = BayesianMLPRegressor(hidden_layer_sizes=(16,), max_iter=300, random_state=0)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    samples = reg.sample_y(X, n_samples=300)
    assert samples.shape == (len(X), 300)
    assert_allclose(samples.mean(axis=1), reg.predict(X), atol=0.05)
    epistemic = reg.predict_uncertainty(X, kind="epistemic")
    assert_allclose(samples.std(axis=1), epistemic, rtol=0.3, atol=0.01)
    two_targets = BayesianMLPRegressor(hidden_layer_sizes=(4,), max_iter=5)
    with pytest.warns(ConvergenceWarning):
        two_targets.fit(X, np.c_[y, -y])
    assert two_targets.sample_y(X[:7], n_samples=3).shape == (7, 2, 3)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        reg.sample_y(X, n_samples=0)


def test_n_init_keeps_the_best_run(moons):
    X, _, y, _ = moons
    params = dict(hidden_layer_sizes=(5, 5), activation="tanh", max_iter=80)

    def best_smoothed_loss(clf):
        curve = np.asarray(clf.loss_curve_)
        return min(curve[max(0, i - 16) : i + 1].mean() for i in range(len(curve)))

    with pytest.warns(ConvergenceWarning):
        single = BayesianMLPClassifier(random_state=3, **params).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        several = BayesianMLPClassifier(random_state=3, n_init=3, **params).fit(X, y)
    # The first of the three runs is the single run.
    assert best_smoothed_loss(several) <= best_smoothed_loss(single)
