import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skbnn import BayesianMLPClassifier, BayesianMLPRegressor
from skbnn._inference.callbacks import RunawayGuard
from skbnn._inference.epochs import StepBlock
from skbnn._inference.trainer import Run, warn_if_not_converged


def test_divergence_raises_a_clear_error(monkeypatch):
    # A model whose loss no step size makes finite: every rewind to a
    # smaller step size fails, down to the guard's minimum.
    def diverging_steps(self, X_blocks, y_blocks, weights, learning_rate, n_steps):
        return np.full(n_steps, np.nan)

    monkeypatch.setattr(StepBlock, "__call__", diverging_steps)
    X, y = _binary_data()
    clf = BayesianMLPClassifier(random_state=0)
    with pytest.raises(ValueError, match="ADVI diverged.*Lower learning_rate_init"):
        clf.fit(X, y)
    # No half-fitted model: predicting says it is not fitted.
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_an_absurd_step_size_is_lowered_until_the_loss_is_finite():
    X, y = _binary_data()
    # The second step's loss is no longer finite; each rewind divides the
    # step size by 5.
    clf = BayesianMLPClassifier(learning_rate_init=1e30, random_state=0)
    with pytest.warns(ConvergenceWarning, match="ran away at learning_rate_init=1e"):
        clf.fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()


def test_same_random_state_same_fit_and_predictions(moons):
    X, X_test, y, _ = moons
    fits = [
        BayesianMLPClassifier(hidden_layer_sizes=(8,), random_state=42).fit(X, y)
        for _ in range(2)
    ]
    assert fits[0].loss_curve_ == fits[1].loss_curve_
    assert_array_equal(fits[0].predict_proba(X_test), fits[1].predict_proba(X_test))
    other = BayesianMLPClassifier(hidden_layer_sizes=(8,), random_state=7).fit(X, y)
    assert not np.array_equal(
        other.predict_proba(X_test), fits[0].predict_proba(X_test)
    )


def test_warm_start_continues_from_the_previous_posterior(sine):
    X, y, _ = sine
    params = dict(hidden_layer_sizes=(8,), max_iter=300, random_state=0)
    with pytest.warns(Warning):  # 300 one-step epochs: ConvergenceWarning
        cold = BayesianMLPRegressor(**params).fit(X, y)
        warm = BayesianMLPRegressor(warm_start=True, **params).fit(X, y)
        warm.fit(X, y)
    assert len(warm.loss_curve_) == 600
    assert warm.n_iter_ == 300
    # The second fit starts where the first ended, far below a fresh start.
    assert warm.loss_curve_[300] < 0.5 * cold.loss_curve_[0]
    assert warm.loss_curve_[300] < cold.loss_curve_[-1] + 0.1 * abs(
        cold.loss_curve_[0] - cold.loss_curve_[-1]
    )


def test_warm_start_refuses_a_new_architecture_or_new_classes(moons):
    X, _, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), warm_start=True)
    clf.fit(X, y)
    with pytest.raises(
        ValueError, match="warm_start and partial_fit can only be used with the arch"
    ):
        clf.set_params(hidden_layer_sizes=(5,)).fit(X, y)
    clf.set_params(hidden_layer_sizes=(4,))
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X, np.where(y == 1, 2, y))


def test_early_stopping_keeps_the_best_validation_posterior(moons):
    X, X_test, y, y_test = moons
    clf = BayesianMLPClassifier(
        hidden_layer_sizes=(8,), early_stopping=True, random_state=0
    ).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ < clf.max_iter
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # The score is the mean log probability of the held-out labels; a log
    # loss of 0.3 is well beyond chance (0.69) on the moons.
    assert -0.3 < clf.best_validation_score_ < 0
    assert clf.best_loss_ is None
    assert clf.score(X_test, y_test) > 0.9


def _binary_data(n=100, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] > 0).astype(int)


def test_a_step_size_that_runs_away_is_lowered_and_the_fit_goes_on(capsys):
    X, y = _binary_data()
    clf = BayesianMLPClassifier(
        learning_rate_init=1e3, learning_rate="adaptive", random_state=0, verbose=True
    )
    with pytest.warns(ConvergenceWarning, match="loss ran away at learning_rate_init"):
        clf.fit(X, y)
    rewinds = [
        line for line in capsys.readouterr().out.splitlines() if "Back to" in line
    ]
    assert rewinds and "learning rate 200" in rewinds[0]
    # Not stopped at the runaway: the fit went on within max_iter and ended at
    # the loss of a fit with a sound step size.
    sound = BayesianMLPClassifier(learning_rate_init=0.01, random_state=0).fit(X, y)
    assert clf.n_iter_ > 10 * len(rewinds)
    final, sound_final = (np.median(c.loss_curve_[-50:]) for c in (clf, sound))
    assert final < sound_final + 0.1
    assert clf.score(X, y) >= 0.95


def test_a_run_that_cannot_recover_says_so():
    guard = RunawayGuard()
    guard.runaway = "the loss ran away from its best"
    run = Run(max_epochs=100, steps_per_epoch=1, learning_rate=1e-6)
    run.loss_curve = [1.0, 9.0]
    run.best_epoch = 1
    run.callbacks = [guard]
    with pytest.warns(ConvergenceWarning, match="ran away.*Lower learning_rate_init"):
        warn_if_not_converged(run, max_iter=100, learning_rate_init=1e-3)


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
