"""Model selection on a Dask cluster through joblib's Dask backend."""

import pickle

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_validate

from skbnn import BayesianMLPClassifier

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")

GRID = {"learning_rate_init": [0.01, 0.03]}


def compiled_steps():
    """Run on a worker: the ADVI steps its process has compiled."""
    from skbnn._inference.step import STEP_CACHE

    return len(STEP_CACHE)


@pytest.fixture(scope="module")
def cluster_client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_on_a_dask_cluster_matches_one_process(moons, cluster_client):
    X, _, y, _ = moons
    estimator = BayesianMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=30, random_state=0
    )
    serial = GridSearchCV(estimator, GRID, cv=2, n_jobs=1).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        on_cluster = GridSearchCV(estimator, GRID, cv=2, n_jobs=2).fit(X, y)
    for key, values in serial.cv_results_.items():
        if not key.endswith("_time"):
            np.testing.assert_array_equal(on_cluster.cv_results_[key], values)
    # Four fits of one architecture: each worker compiled its step once.
    steps = cluster_client.run(compiled_steps)
    assert sorted(steps.values()) == [1, 1]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_estimators_fitted_on_the_cluster_pickle_and_predict(moons, cluster_client):
    X, X_test, y, _ = moons
    estimator = BayesianMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=30, random_state=0
    )
    serial = cross_validate(estimator, X, y, cv=2, return_estimator=True)
    with joblib.parallel_config(backend="dask"):
        on_cluster = cross_validate(estimator, X, y, cv=2, return_estimator=True)
    np.testing.assert_array_equal(on_cluster["test_score"], serial["test_score"])
    for remote, local in zip(on_cluster["estimator"], serial["estimator"], strict=True):
        restored = pickle.loads(pickle.dumps(remote))
        np.testing.assert_array_equal(
            restored.predict_proba(X_test), local.predict_proba(X_test)
        )
