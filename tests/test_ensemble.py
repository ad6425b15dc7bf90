"""Ensembles: an equal-weight mixture of independently fitted posteriors."""

import copy

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skbnn import BayesianMLPClassifier, BayesianMLPRegressor
from skbnn._prediction.draws import draw_members

# Short fits: the ensemble's bookkeeping, not its accuracy, is under test.
SHORT = dict(hidden_layer_sizes=(8,), max_iter=60, learning_rate="constant")


def _fit_quietly(estimator, X, y):
    with pytest.warns(ConvergenceWarning):
        return estimator.fit(X, y)


def _with_member(estimator, member):
    """A copy of a fitted ensemble that holds only one of its members."""
    single = copy.deepcopy(estimator)
    single.posterior_ = estimator.posterior_.member(member)
    return single


@pytest.mark.parametrize("n_draws, n_members", [(100, 3), (7, 2), (2, 5), (1, 4)])
def test_draws_are_shared_equally_among_the_members(n_draws, n_members):
    members = draw_members(n_draws, n_members, seed=11)
    counts = np.bincount(members, minlength=n_members)
    assert counts.sum() == n_draws
    assert counts.max() - counts.min() <= 1
    assert_array_equal(draw_members(n_draws, n_members, seed=11), members)


def test_a_single_draw_comes_from_any_member():
    firsts = {draw_members(1, 4, seed)[0] for seed in range(60)}
    assert firsts == {0, 1, 2, 3}
    assert_array_equal(draw_members(5, 1, seed=3), np.zeros(5))


def test_the_first_member_is_the_single_fit(sine):
    X, y, _ = sine
    single = _fit_quietly(
        BayesianMLPRegressor(random_state=0, ensemble_size=1, **SHORT), X, y
    )
    pair = _fit_quietly(
        BayesianMLPRegressor(random_state=0, ensemble_size=2, **SHORT), X, y
    )
    assert single.posterior_.n_members == 1
    assert pair.posterior_.n_members == 2
    for name, (mean, std) in single.posterior_.free_variables(0).items():
        assert_array_equal(pair.posterior_.free_variables(0)[name][0], mean)
        assert_array_equal(pair.posterior_.free_variables(0)[name][1], std)
    # The second member has seeds of its own.
    assert not np.array_equal(
        pair.posterior_.member(1).moments("coef_0")[0],
        pair.posterior_.member(0).moments("coef_0")[0],
    )
    # The training history is the first member's.
    assert pair.loss_curve_ == single.loss_curve_


def test_regressor_predicts_with_the_mixture_of_its_members(sine):
    X, y, _ = sine
    reg = _fit_quietly(
        BayesianMLPRegressor(
            random_state=0, ensemble_size=3, n_posterior_draws=3000, **SHORT
        ),
        X,
        y,
    )
    X_new = np.linspace(-3, 3, 13)[:, None]
    mean, std = reg.predict(X_new, return_std=True)
    member_means, member_stds = zip(
        *(_with_member(reg, k).predict(X_new, return_std=True) for k in range(3))
    )
    # The members disagree, most outside the training range...
    assert np.ptp(member_means, axis=0).max() > 0.1
    # ...and the ensemble predicts with their equal-weight mixture.
    mixture_mean = np.mean(member_means, axis=0)
    mixture_variance = (
        np.mean(np.square(member_stds) + np.square(member_means), axis=0)
        - mixture_mean**2
    )
    assert_allclose(mean, mixture_mean, atol=0.02)
    assert_allclose(std, np.sqrt(mixture_variance), rtol=0.05)
    assert (std >= np.min(member_stds, axis=0) * 0.95).all()


def test_classifier_probabilities_average_its_members(moons):
    X, X_test, y, _ = moons
    clf = _fit_quietly(
        BayesianMLPClassifier(
            random_state=0, ensemble_size=2, n_posterior_draws=2000, **SHORT
        ),
        X,
        y,
    )
    members = [_with_member(clf, k).predict_proba(X_test) for k in range(2)]
    assert_allclose(clf.predict_proba(X_test), np.mean(members, axis=0), atol=0.02)
    assert_allclose(clf.predict_proba(X_test).sum(axis=1), 1.0)


def test_coefficients_are_the_mixture_moments(sine):
    X, y, _ = sine
    reg = _fit_quietly(
        BayesianMLPRegressor(random_state=0, ensemble_size=2, **SHORT), X, y
    )
    means = [_with_member(reg, k).coefs_[0] for k in range(2)]
    stds = [_with_member(reg, k).coefs_std_[0] for k in range(2)]
    assert_allclose(reg.coefs_[0], np.mean(means, axis=0))
    second_moment = np.mean(np.square(means) + np.square(stds), axis=0)
    assert_allclose(reg.coefs_std_[0] ** 2, second_moment - reg.coefs_[0] ** 2)


def test_warm_start_continues_the_members_and_adds_new_ones(sine):
    X, y, _ = sine
    fresh_pair = _fit_quietly(
        BayesianMLPRegressor(random_state=0, ensemble_size=2, **SHORT), X, y
    )
    reg = _fit_quietly(
        BayesianMLPRegressor(random_state=0, ensemble_size=1, warm_start=True, **SHORT),
        X,
        y,
    )
    first_member = reg.posterior_.member(0).moments("coef_0")
    reg.set_params(ensemble_size=2)
    _fit_quietly(reg, X, y)
    assert len(reg.loss_curve_) == 2 * SHORT["max_iter"]
    assert not np.array_equal(
        reg.posterior_.member(0).moments("coef_0")[0], first_member[0]
    )
    # The new member is fitted from scratch, as in a fresh fit of two.
    for name, (mean, _) in fresh_pair.posterior_.free_variables(1).items():
        assert_array_equal(reg.posterior_.free_variables(1)[name][0], mean)
    reg.set_params(ensemble_size=1)
    with pytest.raises(ValueError, match="ensemble_size=1 must be larger or equal"):
        reg.fit(X, y)


def test_each_member_that_does_not_converge_says_so(sine):
    X, y, _ = sine
    reg = BayesianMLPRegressor(random_state=0, ensemble_size=2, **SHORT)
    with pytest.warns(ConvergenceWarning) as record:
        reg.fit(X, y)
    messages = [str(w.message) for w in record]
    assert any(m.startswith("Member 0 of the ensemble: Stochastic") for m in messages)
    assert any(m.startswith("Member 1 of the ensemble: Stochastic") for m in messages)


def test_ctrl_c_keeps_the_members_fitted_so_far(interrupt_after, sine):
    X, y, _ = sine
    # Two steps an epoch (300 rows, batches of 200): the first member runs its
    # 60 epochs, the second is interrupted after 10 of its own.
    interrupt_after(140)
    reg = BayesianMLPRegressor(random_state=0, ensemble_size=3, **SHORT)
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        with pytest.warns(ConvergenceWarning, match="Member 0 of the ensemble"):
            reg.fit(X, y)
    assert reg.posterior_.n_members == 2
    assert reg.n_iter_ == SHORT["max_iter"]
    assert np.isfinite(reg.predict(X)).all()
