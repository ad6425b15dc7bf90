"""Fits that go wrong say so, and the inputs scikit-learn users pass just work.

One test (or more) for each case of the issue "No silently bad model".
"""

import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skbnn import BayesianConvClassifier, BayesianMLPClassifier, BayesianMLPRegressor

NO_BETTER = "no better on its training data than predicting the"


@pytest.fixture(scope="module")
def three_digits():
    X, y = load_digits(n_class=3, return_X_y=True)
    return X[:200] / 16, y[:200]


def test_a_collapsed_multiclass_fit_says_so_and_names_the_step_size(three_digits):
    X, y = three_digits
    with pytest.warns(ConvergenceWarning, match=NO_BETTER + " class frequencies"):
        clf = BayesianMLPClassifier(random_state=1, learning_rate_init=0.5).fit(X, y)
    assert clf.score(X, y) < 0.4
    with pytest.warns(ConvergenceWarning, match="learning_rate_init=0.5"):
        BayesianMLPClassifier(random_state=1, learning_rate_init=0.5).fit(X, y)


def test_a_fit_that_picks_no_more_right_classes_than_the_majority_says_so():
    X, y = make_classification(300, n_classes=3, n_informative=4, random_state=0)
    with pytest.warns(ConvergenceWarning, match=NO_BETTER):
        clf = BayesianMLPClassifier(random_state=1, learning_rate_init=0.2).fit(X, y)
    # Three balanced classes: a third right by chance, a sound fit over 0.9.
    assert clf.score(X, y) < 0.5


def test_a_sound_fit_does_not_warn(three_digits):
    X, y = three_digits
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = BayesianMLPClassifier(random_state=1, learning_rate_init=0.05).fit(X, y)
    assert clf.score(X, y) > 0.9


def test_a_stream_that_falls_back_to_the_class_frequencies_says_so(three_digits):
    X, y = three_digits
    clf = BayesianMLPClassifier(random_state=1, learning_rate_init=0.2)
    with pytest.warns(ConvergenceWarning, match="After partial_fit call"):
        for _ in range(6):
            clf.partial_fit(X, y, classes=[0, 1, 2])


@pytest.mark.parametrize("seed", [4, 69])
def test_a_lucky_first_chunk_is_not_taken_for_learning(moons, seed):
    # With these seeds one pass from the initial network beats the class
    # frequencies on the first 40 rows by 16 to 25 margins and the second
    # call scores next to nothing: a young stream, not a collapsed one.
    X, _, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.partial_fit(X[:40], y[:40], classes=[0, 1])
        clf.partial_fit(X[40:100], y[40:100])


def test_early_stopping_does_not_hide_a_runaway_fit():
    X, y = load_iris(return_X_y=True)
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=100,
        activation="identity",
        learning_rate="constant",
        learning_rate_init=1,
        max_iter=20,
        n_iter_no_change=10,
        early_stopping=True,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match=NO_BETTER + " mean"):
        reg.fit(X, y)


def test_too_little_data_for_the_prior_says_so():
    X, y = make_classification(
        200, n_features=10, n_informative=3, class_sep=0.5, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="too little data for the prior"):
        BayesianMLPClassifier(random_state=0).fit(X[:50], y[:50])


def _categories(n_rows, n_levels, seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "level": rng.integers(0, n_levels, n_rows).astype(str),
            "x": rng.normal(size=n_rows),
        }
    )
    y = (frame["level"].astype(int) % 2 == 0) ^ (frame["x"] > 0)
    return frame, y.to_numpy()


def test_a_sparse_one_hot_pipeline_fits_as_the_dense_one_does():
    frame, y = _categories(400, 40, 0)
    encode = ColumnTransformer(
        [("level", OneHotEncoder(), ["level"]), ("x", StandardScaler(), ["x"])]
    )
    pipe = make_pipeline(
        encode, BayesianMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    )
    pipe.fit(frame, y)
    assert sp.issparse(encode.transform(frame))
    assert pipe.score(frame, y) > 0.9
    X = encode.transform(frame)
    short = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sparse = BayesianMLPClassifier(**short).fit(X, y)
        dense = BayesianMLPClassifier(**short).fit(X.toarray(), y)
    # The same minibatches, densified one at a time: the same numbers.
    assert_array_equal(sparse.predict_proba(X), dense.predict_proba(X.toarray()))
    assert_array_equal(sparse.predict_proba(X), sparse.predict_proba(X.toarray()))


def test_a_wide_one_hot_is_never_densified_whole():
    # 100,000 rows of a 1,000-level one-hot: 400 MB dense in float32.
    rng = np.random.default_rng(0)
    n_rows, n_levels = 100_000, 1_000
    levels = rng.integers(0, n_levels, n_rows)
    X = sp.csr_matrix(
        (np.ones(n_rows), (np.arange(n_rows), levels)), shape=(n_rows, n_levels)
    )
    y = (levels % 2).astype(float) + 0.1 * rng.normal(size=n_rows)
    reg = BayesianMLPRegressor(
        hidden_layer_sizes=(4,), max_iter=1, ensemble_size=1, n_posterior_draws=5
    )
    with warnings.catch_warnings():
        # Compiled first, so that the compilers' own allocations are not
        # counted below.
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X[:1000], y[:1000]).predict(X[:1000])
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reg.fit(X, y)
        mean = reg.predict(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert mean.shape == (n_rows,) and np.isfinite(mean).all()
    # Python and numpy's allocations at their peak: a twentieth of dense X.
    assert peak < 20 * 2**20


@pytest.mark.parametrize("Est", [BayesianMLPClassifier, BayesianMLPRegressor])
def test_all_zero_weights_are_refused_in_fit_and_partial_fit(Est):
    X, y = make_classification(40, n_features=3, n_informative=2, n_redundant=0)
    message = "Sample weights must contain at least one non-zero number"
    with pytest.raises(ValueError, match=message):
        Est().fit(X, y, sample_weight=np.zeros(40))
    extra = {"classes": [0, 1]} if Est is BayesianMLPClassifier else {}
    with pytest.raises(ValueError, match=message):
        Est().partial_fit(X, y, sample_weight=np.zeros(40), **extra)


def test_weights_far_from_the_row_count_are_explained_or_refused():
    X, y = make_classification(40, n_features=3, n_informative=2, n_redundant=0)
    short = dict(hidden_layer_sizes=(4,), max_iter=5)
    with pytest.warns(UserWarning, match="counts weights as frequencies"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            BayesianMLPRegressor(**short).fit(X, y, sample_weight=np.full(40, 1 / 40))
    with pytest.raises(ValueError, match="sample_weight sums to 4e\\+31"):
        BayesianMLPRegressor(**short).fit(X, y, sample_weight=np.full(40, 1e30))


def test_huge_targets_are_standardised_or_refused():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] + 3) * 1e200
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = BayesianMLPRegressor(hidden_layer_sizes=(8,), max_iter=300).fit(X, y)
    mean = reg.predict(X)
    assert np.isfinite(mean).all()
    # r2_score squares y itself, which overflows; in units of 1e200 it does not.
    assert r2_score(y / 1e200, mean / 1e200) > 0.8
    with pytest.raises(ValueError, match="beyond float32's range"):
        BayesianMLPRegressor(normalize_y=False).fit(X, y)


def test_channels_first_images_are_refused_with_the_fix():
    X = np.zeros((10, 1, 8, 8))
    y = np.arange(10) % 2
    with pytest.raises(ValueError, match="looks channels-first.*np.moveaxis"):
        BayesianConvClassifier().fit(X, y)
