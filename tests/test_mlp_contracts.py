"""The contracts of scikit-learn's ``neural_network/tests/test_mlp.py``, on skbnn.

Each test below is one of scikit-learn's MLP tests whose promise applies to
a Bayesian network fitted by minibatch ADVI, rewritten for skbnn's
estimators with small, fast fits; its name says which. Where skbnn's answer
is a distribution, "the same predictions" becomes "as accurate", and exact
numbers become bounds.

Of scikit-learn's 43 tests, 28 are here and 15 do not apply, for these reasons:

- ``test_alpha``, ``test_fit``, ``test_gradient``: the L2 penalty ``alpha``
  and the exact weights and gradients of a deterministic loss; skbnn's
  objective is the ELBO (``tests/test_pymc_equivalence.py`` checks it
  against PyMC's) and its prior is ``prior_scale``.
- ``test_lbfgs_classification``, ``test_lbfgs_regression`` and their
  ``_maxfun`` variants, ``test_mlp_vs_poisson_glm_equivalent`` (fitted by
  L-BFGS without a penalty): skbnn has one solver, Adam on the ELBO.
- ``test_learning_rate_warmstart`` (the "invscaling" schedule of SGD),
  ``test_shuffle`` (minibatches are always drawn at random),
  ``test_mlp_param_dtypes``, ``test_mlp_classifier_dtypes_casting``,
  ``test_mlp_regressor_dtypes_casting``: skbnn computes in float32 whatever
  the input and returns float64 averages.
- ``test_mlp_partial_fit_after_fit`` (``partial_fit`` refuses
  ``early_stopping=True``): skbnn's ``partial_fit`` ignores early stopping,
  as documented.
- ``test_mlp_diverging_loss`` (a NaN validation score is recorded): skbnn
  rewinds a diverging fit and warns instead.
"""

import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    load_digits,
    load_iris,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skbnn import BayesianMLPClassifier, BayesianMLPRegressor

ESTIMATORS = [BayesianMLPClassifier, BayesianMLPRegressor]
SMALL = dict(
    hidden_layer_sizes=(8,), n_posterior_draws=30, ensemble_size=1, random_state=0
)

X_digits, y_digits = load_digits(n_class=3, return_X_y=True)
X_digits = MinMaxScaler().fit_transform(X_digits[:200])
y_digits = y_digits[:200]
X_binary, y_binary = X_digits[y_digits < 2][:100], y_digits[y_digits < 2][:100]
X_iris, y_iris = load_iris(return_X_y=True)
X_iris = StandardScaler().fit_transform(X_iris)


def _quietly(fit, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(*args, **kwargs)


def test_multilabel_classification():
    X, y = make_multilabel_classification(
        n_samples=50, random_state=0, return_indicator=True
    )
    X = StandardScaler().fit_transform(X)
    clf = _quietly(BayesianMLPClassifier(**SMALL).fit, X, y)
    assert clf.score(X, y) > 0.5  # subset accuracy: all five labels right
    streamed = BayesianMLPClassifier(**SMALL)
    for _ in range(100):
        streamed.partial_fit(X, y, classes=[0, 1, 2, 3, 4])
    assert (streamed.predict(X) == y).mean() > 0.8
    _quietly(BayesianMLPClassifier(early_stopping=True, **SMALL).fit, X, y).predict(X)


def test_multioutput_regression():
    X, y = make_regression(n_samples=200, n_targets=5, random_state=11)
    X = StandardScaler().fit_transform(X)
    reg = _quietly(BayesianMLPRegressor(**SMALL).fit, X, y)
    assert reg.score(X, y) > 0.9


def test_partial_fit_classes_error():
    clf = BayesianMLPClassifier(**SMALL)
    clf.partial_fit([[3, 2]], [0], classes=[0, 1])
    with pytest.raises(ValueError):
        clf.partial_fit([[3, 2]], [0], classes=[1, 2])


def test_partial_fit_classification():
    # Passes of partial_fit over the data reach what fit reaches.
    fitted = _quietly(BayesianMLPClassifier(**SMALL).fit, X_digits, y_digits)
    streamed = BayesianMLPClassifier(**SMALL, total_size=len(X_digits))
    for _ in range(300):
        streamed.partial_fit(X_digits, y_digits, classes=np.unique(y_digits))
    assert (streamed.predict(X_digits) == fitted.predict(X_digits)).mean() > 0.95
    assert streamed.score(X_digits, y_digits) > 0.95


def test_partial_fit_unseen_classes():
    clf = BayesianMLPClassifier(**SMALL)
    clf.partial_fit([[1], [2], [3]], ["a", "b", "c"], classes=["a", "b", "c", "d"])
    clf.partial_fit([[4]], ["d"])
    assert clf.score([[1], [2], [3], [4]], ["a", "b", "c", "d"]) > 0


def test_partial_fit_regression():
    X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    fitted = _quietly(BayesianMLPRegressor(**SMALL).fit, X, y)
    streamed = BayesianMLPRegressor(**SMALL, total_size=len(X), batch_size=len(X))
    for _ in range(300):
        streamed.partial_fit(X, y)
    assert streamed.score(X, y) > 0.65
    assert streamed.score(X, y) > fitted.score(X, y) - 0.1


def test_partial_fit_errors():
    with pytest.raises(ValueError):
        BayesianMLPClassifier().partial_fit([[3, 2], [1, 6]], [1, 0], classes=[2])


def test_nonfinite_params():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    with pytest.raises(ValueError, match="infinity or a value too large"):
        BayesianMLPRegressor().fit(X, y)


def _proba_contract(clf, X, n_classes, rows_sum_to_one=True):
    proba, log_proba = clf.predict_proba(X), clf.predict_log_proba(X)
    assert proba.shape == (X.shape[0], n_classes)
    assert_array_equal(proba.argmax(axis=1), log_proba.argmax(axis=1))
    assert_allclose(log_proba, np.log(proba))
    if rows_sum_to_one:
        assert_allclose(proba.sum(axis=1), 1.0)
    return proba


def test_predict_proba_binary():
    X, y = X_binary[:50], y_binary[:50]
    clf = _quietly(BayesianMLPClassifier(**SMALL).fit, X, y)
    proba = _proba_contract(clf, X, 2)
    assert roc_auc_score(y, proba[:, 1]) == 1.0


def test_predict_proba_multiclass():
    X, y = X_digits[:30], y_digits[:30]
    clf = _quietly(BayesianMLPClassifier(**SMALL).fit, X, y)
    _proba_contract(clf, X, 3)


def test_predict_proba_multilabel():
    X, Y = make_multilabel_classification(
        n_samples=50, random_state=0, return_indicator=True
    )
    X = StandardScaler().fit_transform(X)
    clf = _quietly(BayesianMLPClassifier(**SMALL).fit, X, Y)
    proba = _proba_contract(clf, X, Y.shape[1], rows_sum_to_one=False)
    assert (proba > 0.5).mean(axis=0).shape == (Y.shape[1],)
    assert (proba.sum(1) - 1).dot(proba.sum(1) - 1) > 1e-10


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array])
def test_sparse_matrices(container):
    X, y = X_binary[:50], y_binary[:50]
    dense = _quietly(BayesianMLPClassifier(**SMALL).fit, X, y)
    sparse = _quietly(BayesianMLPClassifier(**SMALL).fit, container(X), y)
    assert_array_equal(dense.predict(X), sparse.predict(container(X)))
    assert_array_equal(sparse.predict(X), sparse.predict(container(X)))


def test_tolerance():
    clf = BayesianMLPClassifier(tol=0.5, max_iter=3000, **SMALL)
    clf.fit(X_binary, y_binary)
    assert clf.max_iter > clf.n_iter_


def test_verbose_sgd(capsys):
    X, y = [[3, 2], [1, 6]], [1, 0]
    clf = BayesianMLPClassifier(max_iter=2, verbose=10, hidden_layer_sizes=2)
    _quietly(clf.fit, X, y)
    clf.partial_fit(X, y)
    out, _ = capsys.readouterr()
    assert "Iteration" in out


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_early_stopping(Est):
    tol = 0.2
    short = dict(tol=tol, max_iter=3000, learning_rate="constant", n_iter_no_change=10)
    est = Est(early_stopping=True, **short, **SMALL)
    est.fit(X_binary, y_binary)
    assert est.max_iter > est.n_iter_
    assert est.best_loss_ is None
    assert isinstance(est.validation_scores_, list)
    scores, best = est.validation_scores_, est.best_validation_score_
    assert max(scores) == best
    assert best + tol > scores[-2] and best + tol > scores[-1]
    est = Est(early_stopping=False, **short, **SMALL)
    est.fit(X_binary, y_binary)
    assert est.validation_scores_ is None and est.best_validation_score_ is None
    assert est.best_loss_ is not None


def test_adaptive_learning_rate():
    # scikit-learn's patience of 10 epochs; skbnn's "auto" waits 600 steps.
    clf = BayesianMLPClassifier(
        tol=0.5, max_iter=3000, learning_rate="adaptive", n_iter_no_change=10, **SMALL
    )
    # Two rows for 33 weights: the fit says it learned nothing, rightly.
    _quietly(clf.fit, [[3, 2], [1, 6]], [1, 0])
    assert clf.max_iter > clf.n_iter_


def test_warm_start():
    y_3 = np.array([0] * 40 + [1] * 40 + [2] * 70)
    others = [
        np.array([0] * 75 + [1] * 75),
        np.array([0] * 50 + [1] * 50 + [3] * 50),
        np.array([0] * 37 + [1] * 37 + [2] * 38 + [3] * 38),
    ]
    short = dict(hidden_layer_sizes=(2,), max_iter=20, warm_start=True, random_state=42)
    clf = _quietly(BayesianMLPClassifier(**short).fit, X_iris, y_iris)
    _quietly(clf.fit, X_iris, y_iris)
    _quietly(clf.fit, X_iris, y_3)
    for y_other in others:
        clf = _quietly(BayesianMLPClassifier(**short).fit, X_iris, y_iris)
        message = (
            "warm_start can only be used where `y` has the same classes as in "
            "the previous call to fit. Previously got [0 1 2], `y` has "
            f"{np.unique(y_other)}"
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            clf.fit(X_iris, y_other)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_warm_start_full_iteration(Est):
    est = Est(hidden_layer_sizes=(2,), warm_start=True, max_iter=3)
    _quietly(est.fit, X_iris, y_iris)
    assert est.n_iter_ == 3
    _quietly(est.fit, X_iris, y_iris)
    assert est.n_iter_ == 3


@pytest.mark.parametrize("n_iter_no_change", [2, 10, 50])
def test_n_iter_no_change(n_iter_no_change):
    clf = BayesianMLPClassifier(
        tol=0.01, max_iter=3000, n_iter_no_change=n_iter_no_change, **SMALL
    )
    clf.fit(X_binary, y_binary)
    assert clf.max_iter > clf.n_iter_ > n_iter_no_change


def test_n_iter_no_change_inf():
    clf = BayesianMLPClassifier(tol=1e9, max_iter=300, n_iter_no_change=np.inf, **SMALL)
    _quietly(clf.fit, X_binary, y_binary)
    assert clf.n_iter_ == 300


def test_early_stopping_stratified():
    X, y = [[1, 2], [2, 3], [3, 4], [4, 5]], [0, 0, 0, 1]
    with pytest.raises(ValueError, match="least populated class(es)? in y ha"):
        BayesianMLPClassifier(early_stopping=True).fit(X, y)


def test_mlp_early_stopping_string_labels():
    y = np.array(["a", "b", "c"])[y_iris]
    clf = _quietly(BayesianMLPClassifier(early_stopping=True, **SMALL).fit, X_iris, y)
    assert set(clf.predict(X_iris)) <= {"a", "b", "c"}


def test_mlp_loading_from_joblib_partial_fit():
    clf = BayesianMLPRegressor(**SMALL)
    X, y = [[1, 0], [0, 1], [1, 1]], [1, 1, 2]
    for _ in range(20):
        clf.partial_fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    loaded.partial_fit([[2, 2]], [4])
    clf.partial_fit([[2, 2]], [4])
    assert_array_equal(loaded.predict(X), clf.predict(X))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_preserve_feature_names(Est):
    X = pd.DataFrame(X_iris[:20], columns=["a", "b", "c", "d"])
    est = _quietly(Est(max_iter=20, **SMALL).fit, X, np.arange(20) % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        est.predict(X)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_mlp_warm_start_with_early_stopping(Est):
    est = Est(early_stopping=True, warm_start=True, max_iter=10, **SMALL)
    _quietly(est.fit, X_iris, y_iris)
    n_scores = len(est.validation_scores_)
    est.set_params(max_iter=20)
    _quietly(est.fit, X_iris, y_iris)
    assert len(est.validation_scores_) > n_scores


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_mlp_warm_start_no_convergence(Est):
    est = Est(warm_start=True, max_iter=10, tol=0, n_iter_no_change=np.inf, **SMALL)
    with pytest.warns(ConvergenceWarning):
        est.fit(X_iris, y_iris)
    assert est.n_iter_ == 10
    est.set_params(max_iter=20)
    with pytest.warns(ConvergenceWarning):
        est.fit(X_iris, y_iris)
    assert est.n_iter_ == 20


def test_mlp_sample_weight_with_early_stopping():
    X, y = make_regression(n_samples=100, n_features=2, random_state=42)
    params = dict(early_stopping=True, tol=1e-2, batch_size=10, **SMALL)
    with_weights = _quietly(
        BayesianMLPRegressor(**params).fit, X, y, sample_weight=np.ones_like(y)
    )
    without = _quietly(BayesianMLPRegressor(**params).fit, X, y)
    assert_allclose(with_weights.predict(X), without.predict(X))


def test_minimum_input_sample_size():
    X, y = make_regression(n_samples=2, n_features=5, random_state=0)
    with pytest.raises(ValueError, match="The validation set is too small"):
        BayesianMLPRegressor(early_stopping=True, random_state=0).fit(X, y)
