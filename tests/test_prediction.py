import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skbnn import BayesianMLPClassifier, BayesianMLPRegressor


def test_predict_log_proba_is_the_log_of_predict_proba(moons):
    X, X_test, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert_allclose(clf.predict_log_proba(X_test), np.log(clf.predict_proba(X_test)))


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
