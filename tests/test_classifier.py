import copy

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_blobs

from skbnn import BayesianMLPClassifier


@pytest.fixture(scope="module")
def moons_classifier(moons):
    X_train, _, y_train, _ = moons
    # The PyMC tutorial's network: two hidden layers of five tanh units.
    clf = BayesianMLPClassifier(
        hidden_layer_sizes=(5, 5),
        activation="tanh",
        n_iter_no_change=1000,
        random_state=0,
    )
    return clf.fit(X_train, y_train)


def test_learns_moons_like_the_pymc_tutorial(moons_classifier, moons):
    _, X_test, _, y_test = moons
    # The PyMC tutorial's 2x5 tanh network reaches about 94% test accuracy.
    assert moons_classifier.score(X_test, y_test) >= 0.94


def test_fitted_attributes(moons_classifier):
    clf = moons_classifier
    assert_array_equal(clf.classes_, [0, 1])
    assert clf.n_layers_ == 4
    assert [c.shape for c in clf.coefs_] == [(2, 5), (5, 5), (5, 1)]
    assert [c.shape for c in clf.coefs_std_] == [(2, 5), (5, 5), (5, 1)]
    assert [b.shape for b in clf.intercepts_] == [(5,), (5,), (1,)]
    assert all((s > 0).all() for s in clf.coefs_std_ + clf.intercepts_std_)
    assert len(clf.loss_curve_) == clf.n_iter_
    assert 1 <= clf.n_iter_ < clf.max_iter
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None


def test_loss_curve_decreases(moons_classifier):
    curve = moons_classifier.loss_curve_
    assert np.mean(curve[-5:]) < 0.5 * np.mean(curve[:5])


def test_predict_proba_is_a_distribution(moons_classifier, moons):
    _, X_test, _, y_test = moons
    proba = moons_classifier.predict_proba(X_test)
    assert proba.shape == (X_test.shape[0], 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert_array_equal(
        moons_classifier.predict(X_test), moons_classifier.classes_[proba.argmax(1)]
    )


def test_probabilities_are_calibrated(moons_classifier, moons):
    # Mean predicted probability of the positive class tracks its frequency
    # within each confidence bin.
    _, X_test, _, y_test = moons
    proba = moons_classifier.predict_proba(X_test)[:, 1]
    bins = np.digitize(proba, [0.2, 0.8])
    for b in range(3):
        in_bin = bins == b
        if in_bin.sum() >= 30:
            assert abs(proba[in_bin].mean() - y_test[in_bin].mean()) < 0.1


def test_uncertainty_decomposes(moons_classifier, moons):
    _, X_test, _, _ = moons
    kinds = ["entropy", "mutual_information", "expected_entropy", "std"]
    u = {k: moons_classifier.predict_uncertainty(X_test, kind=k) for k in kinds}
    for values in u.values():
        assert values.shape == (X_test.shape[0],)
        assert (values >= 0).all()
    assert_allclose(u["entropy"], u["mutual_information"] + u["expected_entropy"])
    assert (u["entropy"] <= np.log(2) + 1e-12).all()
    assert_array_equal(moons_classifier.predict_uncertainty(X_test), u["entropy"])


def test_uncertainty_is_higher_near_the_boundary(moons_classifier, moons):
    _, X_test, _, _ = moons
    proba = moons_classifier.predict_proba(X_test)[:, 1]
    entropy = moons_classifier.predict_uncertainty(X_test)
    near = np.abs(proba - 0.5) < 0.2
    far = np.abs(proba - 0.5) > 0.45
    assert entropy[near].mean() > 3 * entropy[far].mean()


def test_posterior_draws_disagree_most_at_the_boundary(moons_classifier, moons):
    # Epistemic uncertainty (mutual information) concentrates where the class
    # boundary is uncertain; far from it every draw agrees.
    _, X_test, _, _ = moons
    proba = moons_classifier.predict_proba(X_test)[:, 1]
    mi = moons_classifier.predict_uncertainty(X_test, kind="mutual_information")
    boundary = np.abs(proba - 0.5) < 0.2
    confident = np.abs(proba - 0.5) > 0.45
    assert mi[boundary].mean() > 3 * mi[confident].mean()


def test_prediction_is_deterministic_and_pure(moons_classifier, moons):
    _, X_test, _, _ = moons
    before = joblib.hash(moons_classifier)
    first = moons_classifier.predict_proba(X_test)
    moons_classifier.predict_uncertainty(X_test, kind="std")
    assert_array_equal(moons_classifier.predict_proba(X_test), first)
    assert joblib.hash(moons_classifier) == before


def test_predictive_mean_has_monte_carlo_precision(moons_classifier, moons):
    # predict_proba averages n_posterior_draws draws: against 1000 other draws
    # it may differ only by Monte Carlo error, which each point's posterior
    # std of the probability sets.
    _, X_test, _, _ = moons
    proba = moons_classifier.predict_proba(X_test)[:, 1]
    spread = moons_classifier.predict_uncertainty(X_test, kind="std")
    few, more = moons_classifier.n_posterior_draws, 1000
    many = copy.deepcopy(moons_classifier).set_params(n_posterior_draws=more)
    standard_error = spread * np.sqrt(1 / few + 1 / more)
    difference = np.abs(many.predict_proba(X_test)[:, 1] - proba)
    assert (difference <= 5 * standard_error + 1e-12).all()
    assert difference.max() > 0  # the draws really are different draws


def test_string_labels_multiclass():
    X, y = make_blobs(n_samples=300, centers=3, cluster_std=1.0, random_state=0)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = BayesianMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    clf.fit(X, labels)
    assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    assert clf.coefs_[-1].shape == (8, 3)
    assert clf.predict_proba(X).shape == (300, 3)
    assert clf.predict(X).dtype == labels.dtype
    assert clf.score(X, labels) > 0.9
    assert (clf.predict_uncertainty(X) <= np.log(3) + 1e-12).all()


def test_every_kind_and_the_probabilities_from_one_pass(moons_classifier, moons):
    _, X_test, _, _ = moons
    kinds = ["entropy", "mutual_information", "expected_entropy", "std"]
    calls = []
    original = moons_classifier._posterior_expectations

    def counting(X, posterior):
        calls.append(1)
        return original(X, posterior)

    moons_classifier._posterior_expectations = counting
    try:
        every, proba = moons_classifier.predict_uncertainty(
            X_test, kind="all", return_proba=True
        )
    finally:
        del moons_classifier._posterior_expectations
    assert len(calls) == 1
    assert sorted(every) == sorted(kinds)
    for kind in kinds:
        assert_array_equal(
            every[kind], moons_classifier.predict_uncertainty(X_test, kind=kind)
        )
    assert_array_equal(proba, moons_classifier.predict_proba(X_test))
    two = moons_classifier.predict_uncertainty(X_test, kind=["std", "entropy"])
    assert list(two) == ["std", "entropy"]
    with pytest.raises(ValueError, match="or a list of them"):
        moons_classifier.predict_uncertainty(X_test, kind=["std", "variance"])
