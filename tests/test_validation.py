import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skbnn import BayesianMLPClassifier, BayesianMLPRegressor

ESTIMATORS = [BayesianMLPClassifier, BayesianMLPRegressor]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    return X, (X[:, 0] > 0).astype(int)


@pytest.fixture(scope="module")
def fitted(data):
    # Fitted models whose predictions get bad input: a short fit will do.
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {
            Est: Est(
                hidden_layer_sizes=(4,), ensemble_size=1, max_iter=200, random_state=0
            ).fit(X, y)
            for Est in ESTIMATORS
        }


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize(
    "bad, message",
    [(np.nan, "Input X contains NaN"), (np.inf, "Input X contains infinity")],
)
def test_non_finite_input_is_rejected(Est, bad, message, data, fitted):
    X, y = data
    X_bad = X.copy()
    X_bad[3, 1] = bad
    with pytest.raises(ValueError, match=message):
        Est().fit(X_bad, y)
    with pytest.raises(ValueError, match=message):
        fitted[Est].predict(X_bad)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_wrong_number_of_features_at_predict(Est, data, fitted):
    X, _ = data
    message = f"X has 2 features, but {Est.__name__} is expecting 3 features"
    with pytest.raises(ValueError, match=message):
        fitted[Est].predict(X[:, :2])
    with pytest.raises(ValueError, match=message):
        fitted[Est].predict_uncertainty(X[:, :2])


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("method", ["predict", "predict_uncertainty", "score"])
def test_not_fitted(Est, method, data):
    X, y = data
    args = (X, y) if method == "score" else (X,)
    with pytest.raises(NotFittedError):
        getattr(Est(), method)(*args)
    with pytest.raises(NotFittedError):
        Est().coefs_  # noqa: B018


def test_predict_proba_not_fitted(data):
    with pytest.raises(NotFittedError):
        BayesianMLPClassifier().predict_proba(data[0])


def test_one_class_is_rejected(data):
    X, _ = data
    with pytest.raises(ValueError, match="at least 2 classes.*only one class: spam"):
        BayesianMLPClassifier().fit(X, np.full(X.shape[0], "spam"))


def test_continuous_labels_are_rejected(data):
    X, _ = data
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        BayesianMLPClassifier().fit(X, X[:, 0])


@pytest.mark.parametrize("dtype", ["U", object])
def test_non_numeric_regression_target_is_rejected(data, dtype):
    X, _ = data
    y = np.array(["low", "high"] * 30, dtype=dtype)
    with pytest.raises(ValueError, match="numeric regression targets|convert string"):
        BayesianMLPRegressor().fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_unknown_uncertainty_kind(Est, data, fitted):
    with pytest.raises(ValueError, match="'kind' parameter of predict_uncertainty"):
        fitted[Est].predict_uncertainty(data[0], kind="variance")


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize(
    "params, message",
    [
        ({"prior": "laplace"}, "'prior' parameter"),
        ({"device": "tpu"}, "'device' parameter"),
        ({"prior_scale": 0.0}, "'prior_scale' parameter"),
        ({"n_posterior_draws": 0}, "'n_posterior_draws' parameter"),
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes must be integers > 0"),
    ],
)
def test_invalid_parameters(Est, params, message, data):
    with pytest.raises(ValueError, match=message):
        Est(**params).fit(*data)


def test_small_validation_set_is_rejected(data):
    X, y = data
    params = dict(early_stopping=True, validation_fraction=0.01)
    with pytest.raises(ValueError, match="validation set is too small"):
        BayesianMLPRegressor(**params).fit(X[:20], y[:20])
    # Stratifying the classifier's split fails first, in scikit-learn's words.
    with pytest.raises(ValueError, match="greater or equal to the number of classes"):
        BayesianMLPClassifier(**params).fit(X[:20], y[:20])


def test_unscaled_inputs_warn(sine):
    X, y, _ = sine
    reg = BayesianMLPRegressor(max_iter=3, random_state=0)
    with pytest.warns(UserWarning, match="X looks unscaled: feature 0"):
        with pytest.warns(ConvergenceWarning):
            reg.fit(X * 1e4, y)
