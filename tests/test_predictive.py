import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import skbnn._predictive as predictive
from skbnn import BayesianMLPClassifier
from skbnn._predictive import (
    CLASSIFICATION_STATISTICS,
    REGRESSION_STATISTICS,
    classification_uncertainty,
    posterior_expectations,
    regression_uncertainty,
)


def _expect(draws, statistics):
    """Posterior expectations of draws shaped (n_draws, n_samples, n_outputs)."""
    return posterior_expectations(
        [(slice(0, draws.shape[0]), slice(0, draws.shape[1]), draws)],
        draws.shape[1],
        draws.shape[0],
        statistics,
    )


def test_agreeing_draws_carry_no_epistemic_uncertainty():
    draws = np.tile([[[0.3, 0.7]]], (5, 1, 1))
    e = _expect(draws, CLASSIFICATION_STATISTICS)
    assert classification_uncertainty(e, "mutual_information")[0] == pytest.approx(0)
    assert classification_uncertainty(e, "std")[0] == pytest.approx(0)
    entropy = -(0.3 * np.log(0.3) + 0.7 * np.log(0.7))
    assert classification_uncertainty(e, "entropy")[0] == pytest.approx(entropy)
    assert classification_uncertainty(e, "expected_entropy")[0] == pytest.approx(
        entropy
    )


def test_confident_disagreeing_draws_are_purely_epistemic():
    draws = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    e = _expect(draws, CLASSIFICATION_STATISTICS)
    assert_allclose(e["proba"], [[0.5, 0.5]])
    assert classification_uncertainty(e, "entropy")[0] == pytest.approx(np.log(2))
    assert classification_uncertainty(e, "expected_entropy")[0] == pytest.approx(0)
    assert classification_uncertainty(e, "mutual_information")[0] == pytest.approx(
        np.log(2)
    )
    assert classification_uncertainty(e, "std")[0] == pytest.approx(0.5)


def test_regression_variance_adds_spread_and_noise():
    draws = np.array([[[1.0]], [[3.0]]])
    e = _expect(draws, REGRESSION_STATISTICS)
    assert_allclose(e["mean"], [[2.0]])
    noise_variance = np.array([4.0])
    assert regression_uncertainty(e, noise_variance, "epistemic")[0, 0] == 1.0
    assert regression_uncertainty(e, noise_variance, "aleatoric")[0, 0] == 2.0
    assert regression_uncertainty(e, noise_variance, "std")[0, 0] == pytest.approx(
        np.sqrt(5.0)
    )


def test_predictions_do_not_depend_on_how_rows_are_batched(moons, monkeypatch):
    X, X_test, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(8,), random_state=0).fit(X, y)
    whole = clf.predict_proba(X_test)
    # Row blocks are padded to whole tiles of the matrix products, so a row's
    # numbers depend neither on the other rows nor on their order.
    assert_array_equal(clf.predict_proba(X_test[::-1])[::-1], whole)
    assert_array_equal(clf.predict_proba(X_test[7:30]), whole[7:30])
    # A tiny activation budget splits the rows into many blocks.
    monkeypatch.setattr(predictive, "_ACTIVATIONS_BUDGET", 1000)
    assert_array_equal(clf.predict_proba(X_test), whole)
    assert_array_equal(clf.predict_proba(X_test[::-1])[::-1], whole)


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
