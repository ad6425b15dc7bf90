import pickle
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

import skbnn._inference.device as device_module
from skbnn import BayesianMLPClassifier, BayesianMLPRegressor
from skbnn._inference.device import (
    CPU_MODE,
    GPU_MODE,
    compile_mode,
    gpu_unavailable_reason,
    resolve_device,
)

needs_no_gpu = pytest.mark.skipif(
    device_module.gpu_unavailable_reason() is None,
    reason="a GPU is usable here; these tests are about machines without one",
)


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-2, 1, (60, 2)), rng.normal(2, 1, (60, 2))])
    return X, np.repeat([0, 1], 60)


@pytest.fixture
def pretend_gpu(monkeypatch):
    """Make skbnn believe JAX sees a GPU, so "gpu" takes the JAX backend.

    JAX then runs on the CPU: every line of the GPU code path runs, only not
    on GPU hardware.
    """
    pytest.importorskip("jax")
    monkeypatch.setattr(device_module, "gpu_unavailable_reason", lambda: None)
    monkeypatch.setattr(device_module, "jax_device", lambda resolved: _cpu())


def _cpu():
    import jax

    return jax.devices("cpu")[0]


def test_cpu_is_the_default():
    clf = BayesianMLPClassifier()
    assert clf.device == "cpu"
    assert compile_mode("cpu") == CPU_MODE == "JAX"


def test_cpu_computes_on_the_cpu_in_32_bits():
    import jax
    import jax.numpy as jnp

    with device_module.device_context("cpu") as resolved:
        array = jnp.ones(3, dtype=jnp.float64)
    assert resolved == "cpu"
    assert array.dtype == jnp.float32
    assert array.devices() == {jax.devices("cpu")[0]}


@needs_no_gpu
def test_gpu_without_a_gpu_raises_a_clear_error(blobs):
    X, y = blobs
    clf = BayesianMLPClassifier(device="gpu")
    with pytest.raises(RuntimeError, match="device='gpu' was requested but no GPU"):
        clf.fit(X, y)
    with pytest.raises(RuntimeError, match="device='gpu' was requested but no GPU"):
        BayesianMLPClassifier(device="gpu").partial_fit(X, y, classes=[0, 1])
    message = device_module.gpu_unavailable_reason()
    assert "JAX" in message


@needs_no_gpu
def test_auto_falls_back_to_the_cpu(blobs):
    X, y = blobs
    assert resolve_device("auto") == "cpu"
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), device="auto", random_state=0)
    assert clf.fit(X, y).score(X, y) > 0.95


def test_gpu_maps_to_the_jax_backend(pretend_gpu):
    assert resolve_device("gpu") == resolve_device("auto") == "gpu"
    assert compile_mode("gpu") == GPU_MODE == "JAX"


def test_jax_backend_fits_and_predicts(pretend_gpu, blobs):
    X, y = blobs
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), device="gpu", random_state=0)
    clf.fit(X, y)
    assert clf.score(X, y) > 0.95
    # The fitted state comes back to the host as plain numpy arrays.
    free_variables = clf.posterior_.free_variables(0).values()
    assert all(type(mean) is np.ndarray for mean, _ in free_variables)
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    # partial_fit runs the same path and keeps its state as numpy arrays.
    clf.partial_fit(X, y)
    assert all(type(value) is np.ndarray for value in clf._stream["states"][0])


# The device's fit runs and learns; 1,000 epochs show it, unconverged.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_jax_backend_regressor_with_hierarchical_prior(pretend_gpu):
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (600, 1))
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.normal(size=600)
    reg = BayesianMLPRegressor(
        prior="hierarchical",
        device="gpu",
        ensemble_size=1,
        max_iter=1000,
        random_state=0,
    )
    assert reg.fit(X, y).score(X, y) > 0.9


@pytest.mark.skipif(gpu_unavailable_reason() is None, reason="a GPU is usable here")
def test_model_fitted_on_a_gpu_predicts_on_a_cpu(moons):
    X, X_test, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    expected = clf.predict_proba(X_test)
    # A model fitted with device="gpu" has the same plain numpy state.
    served = pickle.loads(pickle.dumps(clf.set_params(device="gpu")))
    with pytest.warns(UserWarning, match="no GPU can be used here.*on the CPU"):
        proba = served.predict_proba(X_test)
    assert_array_equal(proba, expected)
    # Fitting still needs the GPU it asks for.
    with pytest.raises(RuntimeError, match="device='gpu'"):
        served.fit(X, y)


def test_a_fit_never_reaches_pytensors_c_backend():
    # Its BLAS detection imports setuptools, probes the compiler and warns
    # that PyTensor "could not link to a BLAS installation": none of it is
    # for skbnn, whose arithmetic JAX does.
    script = (
        "import sys, warnings\n"
        "from sklearn.datasets import load_diabetes\n"
        "from skbnn import BayesianMLPClassifier, BayesianMLPRegressor\n"
        "X, y = load_diabetes(return_X_y=True)\n"
        "warnings.simplefilter('ignore')\n"
        "warnings.filterwarnings('error', message='.*BLAS')\n"
        "BayesianMLPRegressor(max_iter=2).fit(X[:40], y[:40]).predict(X[:5])\n"
        "BayesianMLPClassifier(max_iter=2).fit(X[:40], y[:40] > 100).predict(X[:5])\n"
        "print('setuptools' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert "BLAS" not in done.stderr
    assert done.stdout.split()[-1] == "False"
