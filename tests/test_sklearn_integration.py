import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbnn import BayesianMLPClassifier, BayesianMLPRegressor


@pytest.fixture(scope="module")
def unscaled_moons(moons):
    # Undo the fixture's scaling so the pipeline's scaler has work to do.
    X_train, X_test, y_train, y_test = moons
    return X_train * [3.0, 50.0] + [10.0, -200.0], y_train


def test_pipeline_with_scaler(unscaled_moons):
    X, y = unscaled_moons
    pipe = make_pipeline(
        StandardScaler(), BayesianMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    )
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.93
    assert pipe.predict_proba(X).shape == (X.shape[0], 2)
    uncertainty = pipe[-1].predict_uncertainty(pipe[:-1].transform(X))
    assert uncertainty.shape == (X.shape[0],)


def test_grid_search_in_parallel(unscaled_moons):
    X, y = unscaled_moons
    pipe = make_pipeline(StandardScaler(), BayesianMLPClassifier(random_state=0))
    grid = GridSearchCV(
        pipe,
        {"bayesianmlpclassifier__hidden_layer_sizes": [(2,), (8,)]},
        cv=3,
        n_jobs=2,
    )
    grid.fit(X, y)
    assert len(grid.cv_results_["mean_test_score"]) == 2
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    # A single unit cannot bend around the moons; eight can.
    assert grid.best_params_["bayesianmlpclassifier__hidden_layer_sizes"] == (8,)
    assert grid.best_score_ > 0.93


# A fold may use all 5000 one-step epochs; scikit-learn's tests ignore the
# ConvergenceWarning of its MLP the same way.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
# Each fold learns the sine within 1,000 epochs, unconverged.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_cross_val_score_regressor(sine):
    X, y, _ = sine
    reg = BayesianMLPRegressor(ensemble_size=1, max_iter=1000, random_state=0)
    scores = cross_val_score(reg, X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.9


def test_clone_gives_an_unfitted_copy_with_the_same_parameters(moons):
    X, _, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), prior="hierarchical")
    clf.fit(X, y)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "posterior_")


def test_dataframe_input_keeps_feature_names(moons):
    X, X_test, y, _ = moons
    frame = pd.DataFrame(X, columns=["width", "height"])
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    clf.fit(frame, pd.Series(y))
    assert_array_equal(clf.feature_names_in_, ["width", "height"])
    test_frame = pd.DataFrame(X_test, columns=["width", "height"])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_array = clf.predict(X_test)
    assert_array_equal(clf.predict(test_frame), from_array)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(test_frame[["height", "width"]])


# Pickling needs a fitted model, not a converged one.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Est", [BayesianMLPClassifier, BayesianMLPRegressor])
def test_pickle_round_trip_gives_identical_predictions(Est, moons):
    X, X_test, y, _ = moons
    est = Est(hidden_layer_sizes=(4,), max_iter=300, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    assert_array_equal(restored.predict(X_test), est.predict(X_test))
    assert_array_equal(
        restored.predict_uncertainty(X_test), est.predict_uncertainty(X_test)
    )
    if hasattr(est, "predict_proba"):
        assert_array_equal(restored.predict_proba(X_test), est.predict_proba(X_test))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sample_weight_is_routed_by_cross_val_score(moons):
    X, _, y, _ = moons
    weights = np.where(y == 1, 2.0, 1.0)
    with config_context(enable_metadata_routing=True):
        clf = BayesianMLPClassifier(
            hidden_layer_sizes=(4,), max_iter=300, random_state=0
        ).set_fit_request(sample_weight=True)
        clf.set_score_request(sample_weight=False)
        scores = cross_val_score(clf, X, y, cv=2, params={"sample_weight": weights})
        search = GridSearchCV(clf, {"hidden_layer_sizes": [(4,), (6,)]}, cv=2)
        search.fit(X, y, sample_weight=weights)
    assert scores.shape == (2,)
    assert (scores > 0.8).all()
    assert (search.cv_results_["mean_test_score"] > 0.8).all()
