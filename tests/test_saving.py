"""Saving fitted models with skops, for files that come from others."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skbnn import BayesianMLPClassifier, BayesianMLPRegressor

sio = pytest.importorskip("skops.io")

# What the saving guide tells users to trust after reading a file's types.
SKBNN_TYPES = {
    "skbnn._model.networks.MLPNetwork",
    "skbnn._prediction.posterior.Posterior",
}


@pytest.mark.parametrize("estimator", [BayesianMLPClassifier, BayesianMLPRegressor])
def test_skops_file_loads_to_identical_predictions_once_trusted(
    estimator, moons, tmp_path
):
    X, X_test, y, _ = moons
    model = estimator(hidden_layer_sizes=(4,), max_iter=30, random_state=0)
    with pytest.warns(UserWarning):  # ConvergenceWarning: 30 epochs is short
        model.fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = set(sio.get_untrusted_types(file=path))
    assert untrusted == SKBNN_TYPES | {f"skbnn.{_module(model)}.{estimator.__name__}"}
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path)
    loaded = sio.load(path, trusted=sorted(untrusted))
    assert_array_equal(loaded.predict(X_test), model.predict(X_test))
    assert np.array_equal(
        loaded.predict_uncertainty(X_test), model.predict_uncertainty(X_test)
    )


def _module(model):
    return type(model).__module__.rsplit(".", 1)[1]


def test_a_streamed_model_lists_the_same_types_and_streams_on(moons, tmp_path):
    X, _, y, _ = moons
    model = BayesianMLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    model.partial_fit(X, y, classes=[0, 1])
    path = tmp_path / "streamed.skops"
    sio.dump(model, path)
    untrusted = set(sio.get_untrusted_types(file=path))
    assert untrusted == SKBNN_TYPES | {"skbnn._classifier.BayesianMLPClassifier"}
    loaded = sio.load(path, trusted=sorted(untrusted))
    loaded.partial_fit(X, y)
    model.partial_fit(X, y)
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
