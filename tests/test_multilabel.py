"""Multilabel targets: a Bernoulli likelihood per label, as MLPClassifier fits."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import StandardScaler

from skbnn import BayesianConvClassifier, BayesianMLPClassifier


@pytest.fixture(scope="module")
def labels():
    X, Y = make_multilabel_classification(
        n_samples=600, n_features=8, n_classes=3, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    return X[:400], X[400:], Y[:400], Y[400:]


@pytest.fixture(scope="module")
def fitted(labels):
    X, _, Y, _ = labels
    # Many draws: the tests compare Monte Carlo estimates.
    return BayesianMLPClassifier(n_posterior_draws=1000, random_state=0).fit(X, Y)


def _label_log_loss(Y, proba):
    proba = np.clip(proba, 1e-12, 1 - 1e-12)
    return -np.mean(Y * np.log(proba) + (1 - Y) * np.log1p(-proba))


def test_predicts_each_labels_probability_as_mlp_classifier_does(fitted, labels):
    _, X_test, Y, Y_test = labels
    proba = fitted.predict_proba(X_test)
    assert proba.shape == Y_test.shape
    assert ((proba >= 0) & (proba <= 1)).all()
    assert_array_equal(fitted.classes_, [0, 1, 2])
    predicted = fitted.predict(X_test)
    assert_array_equal(predicted, (proba > 0.5).astype(int))
    # score is scikit-learn's subset accuracy.
    assert fitted.score(X_test, Y_test) == accuracy_score(Y_test, predicted)
    # Well beyond predicting each label's base rate.
    base_rate = np.broadcast_to(Y.mean(axis=0), Y_test.shape)
    assert _label_log_loss(Y_test, proba) < 0.8 * _label_log_loss(Y_test, base_rate)


def test_uncertainty_per_sample_and_label(fitted, labels):
    _, X_test, _, _ = labels
    kinds = fitted.predict_uncertainty(X_test, kind="all")
    for value in kinds.values():
        assert value.shape == (len(X_test), 3)
        assert (value >= 0).all()
    assert_allclose(
        kinds["entropy"], kinds["mutual_information"] + kinds["expected_entropy"]
    )
    # Each label's entropy is at most that of a fair coin.
    assert (kinds["entropy"] <= np.log(2) + 1e-12).all()
    samples = fitted.sample_proba(X_test, n_samples=1000, random_state=1)
    assert samples.shape == (len(X_test), 3, 1000)
    # Two Monte Carlo estimates of 1000 draws each, whose rare extreme draws
    # make a few entries differ more.
    mean_error = np.abs(samples.mean(axis=2) - fitted.predict_proba(X_test))
    assert np.mean(mean_error < 0.03) > 0.99
    std_of_draws = samples.std(axis=2).ravel()
    assert np.median(np.abs(std_of_draws - kinds["std"].ravel())) < 0.01
    assert np.corrcoef(std_of_draws, kinds["std"].ravel())[0, 1] > 0.95


def test_pickles_to_identical_predictions(fitted, labels):
    _, X_test, _, _ = labels
    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(restored.predict_proba(X_test), fitted.predict_proba(X_test))


def test_early_stopping_scores_the_labels_log_likelihood(labels):
    X, _, Y, _ = labels
    clf = BayesianMLPClassifier(early_stopping=True, random_state=0).fit(X, Y)
    assert len(clf.validation_scores_) == clf.n_iter_ < clf.max_iter
    # The mean log-likelihood of a label, better than a fair coin's.
    assert np.log(0.5) < clf.best_validation_score_ < 0


def test_sample_weights_weigh_each_rows_labels(labels):
    X, X_test, Y, _ = labels
    params = dict(hidden_layer_sizes=(8,), max_iter=300, random_state=0)
    with pytest.warns(ConvergenceWarning):
        plain = BayesianMLPClassifier(**params).fit(X, Y)
    with pytest.warns(ConvergenceWarning):
        weighted = BayesianMLPClassifier(**params).fit(
            X, Y, sample_weight=np.where(Y[:, 0] == 1, 5.0, 1.0)
        )
    # Rows with label 0 count five times: label 0 is predicted more often.
    assert weighted.predict(X_test)[:, 0].mean() > plain.predict(X_test)[:, 0].mean()


def test_targets_must_keep_their_kind(labels):
    X, _, Y, _ = labels
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), max_iter=5, warm_start=True)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, Y)
    with pytest.raises(ValueError, match="y has 2 labels, but the previous"):
        clf.fit(X, Y[:, :2])
    with pytest.raises(ValueError, match="y is one label per sample, but"):
        clf.fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="Multioutput target data is not supported"):
        BayesianMLPClassifier().fit(X, np.c_[Y[:, 0], 2 * Y[:, 1]])


def test_conv_classifier_takes_multilabel_targets(labels):
    X, X_test, Y, _ = labels
    clf = BayesianConvClassifier(
        conv_layers=((4, 3),), hidden_layer_sizes=(8,), max_iter=20, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, Y)
    assert clf.predict_proba(X_test).shape == (len(X_test), 3)
    assert clf.predict(X_test).shape == (len(X_test), 3)
