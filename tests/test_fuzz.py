"""Property-based tests: random shapes, dtypes, bad values, weights, parameters.

Every fit ends in a model that predicts well-formed output (or, on learnable
data, beats the trivial predictor), or in a clear ``ValueError``/``TypeError``.
The examples are derandomised, so CI runs the same ones every time, and the
networks' widths are few, so that their compiled steps are reused.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skbnn import BayesianMLPClassifier, BayesianMLPRegressor

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
given, settings = hypothesis.given, hypothesis.settings

FUZZ = settings(max_examples=8, deadline=None, derandomize=True)
TINY = dict(hidden_layer_sizes=(4,), max_iter=3, n_posterior_draws=3)
DTYPES = [np.float32, np.float64, np.int64, np.int8]


@st.composite
def tables(draw, classification):
    # 17 to 32 rows: every fit pads its minibatch to 32 rows, one compiled
    # step per network.
    n_rows = draw(st.integers(17, 32))
    n_features = draw(st.sampled_from([2, 3]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(n_rows, n_features)) * 3).astype(
        draw(st.sampled_from(DTYPES))
    )
    if classification:
        n_classes = draw(st.sampled_from([2, 3]))
        labels = draw(st.sampled_from([np.arange(n_classes), np.array(list("abc"))]))
        y = labels[np.arange(n_rows) % n_classes]
        rng.shuffle(y)
    else:
        y = rng.normal(size=n_rows) * draw(st.sampled_from([1e-3, 1.0, 1e6]))
    return X, y


def _fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        return estimator.fit(*args, **kwargs)


@FUZZ
@given(data=tables(classification=True))
def test_a_classifier_fits_any_table_and_predicts_well_formed_output(data):
    X, y = data
    clf = _fit(BayesianMLPClassifier(**TINY), X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (X.shape[0], len(np.unique(y)))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(X)) <= set(y)


@FUZZ
@given(data=tables(classification=False))
def test_a_regressor_fits_any_table_and_predicts_finite_output(data):
    X, y = data
    reg = _fit(BayesianMLPRegressor(**TINY), X, y)
    mean, std = reg.predict(X, return_std=True)
    assert mean.shape == std.shape == (X.shape[0],)
    assert np.isfinite(mean).all() and (std >= 0).all()


@FUZZ
@given(
    data=tables(classification=True),
    where=st.sampled_from(["X", "y_regression"]),
    value=st.sampled_from([np.nan, np.inf, -np.inf]),
    position=st.integers(0, 1000),
)
def test_a_non_finite_value_anywhere_is_a_clear_error(data, where, value, position):
    X, y = data
    X = X.astype(np.float64)
    if where == "X":
        X.flat[position % X.size] = value
        with pytest.raises(ValueError, match="Input X contains"):
            BayesianMLPClassifier(**TINY).fit(X, y)
        return
    y = np.arange(X.shape[0], dtype=float)
    y[position % y.size] = value
    with pytest.raises(ValueError, match="Input y contains"):
        BayesianMLPRegressor(**TINY).fit(X, y)


@FUZZ
@given(
    data=tables(classification=True),
    kind=st.sampled_from(["positive", "some zero", "all zero", "one negative"]),
    seed=st.integers(0, 2**16),
)
def test_weights_fit_or_fail_clearly(data, kind, seed):
    X, y = data
    rng = np.random.default_rng(seed)
    w = rng.choice([0.5, 1.0, 3.0], size=X.shape[0])
    if kind == "some zero":
        w[rng.integers(X.shape[0])] = 0.0
    elif kind == "all zero":
        w[:] = 0.0
    elif kind == "one negative":
        w[rng.integers(X.shape[0])] = -1.0
    clf = BayesianMLPClassifier(**TINY)
    if kind == "one negative":
        with pytest.raises(ValueError, match="Negative values in data"):
            clf.fit(X, y, sample_weight=w)
    elif kind == "all zero":
        with pytest.raises(ValueError, match="at least one non-zero"):
            clf.fit(X, y, sample_weight=w)
    else:
        assert _fit(clf, X, y, sample_weight=w).predict(X).shape == y.shape


@FUZZ
@given(
    parameter=st.sampled_from(
        [
            ("batch_size", 0),
            ("max_iter", 0),
            ("n_posterior_draws", 0),
            ("ensemble_size", 0),
            ("learning_rate_init", -1.0),
            ("prior_scale", 0.0),
            ("hidden_layer_sizes", (0,)),
            ("activation", "swish"),
            ("validation_fraction", 1.0),
        ]
    )
)
def test_a_parameter_out_of_range_is_a_clear_error(parameter):
    # Each is refused before anything compiles.
    name, value = parameter
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    with pytest.raises((ValueError, TypeError), match=name):
        BayesianMLPClassifier(**{**TINY, name: value}).fit(X, y)


@FUZZ
@given(
    edge=st.sampled_from(
        [
            {"batch_size": 1},
            {"batch_size": 1000},
            {"n_posterior_draws": 1},
            {"ensemble_size": 2, "n_init": 2},
            {"max_iter": 1},
            {"early_stopping": True, "validation_fraction": 0.5},
        ]
    )
)
def test_parameter_edges_fit_and_predict(edge):
    X, y = np.random.default_rng(0).normal(size=(24, 2)), np.arange(24) % 2
    clf = _fit(BayesianMLPClassifier(**{**TINY, **edge}), X, y)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)


@settings(max_examples=4, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16), n_classes=st.sampled_from([2, 3]))
def test_learnable_data_are_learned(seed, n_classes):
    # Well-separated blobs: the fit must beat the majority class clearly.
    rng = np.random.default_rng(seed)
    y = np.arange(120) % n_classes
    centres = rng.normal(size=(n_classes, 2)) * 4
    X = centres[y] + rng.normal(size=(120, 2)) * 0.5
    clf = _fit(BayesianMLPClassifier(hidden_layer_sizes=(4,), random_state=seed), X, y)
    assert clf.score(X, y) > 1 / n_classes + 0.3
