import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError

from skbnn import BayesianMLPClassifier, BayesianMLPRegressor


def test_divergence_raises_a_clear_error():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] > 0).astype(int)
    # A step so large that the second step's loss is no longer finite.
    clf = BayesianMLPClassifier(learning_rate_init=1e30, random_state=0)
    with pytest.raises(ValueError, match="ADVI diverged.*Lower learning_rate_init"):
        clf.fit(X, y)
    # No half-fitted model: predicting says it is not fitted.
    with pytest.raises(NotFittedError):
        clf.predict(X)


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
    with pytest.raises(ValueError, match="warm_start can only be used with the arch"):
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
