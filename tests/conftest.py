import gzip
import os
import shutil
import tempfile

import jax
import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import skbnn._inference.step as inference
from skbnn._inference import epochs
from skbnn._inference.device import device_context
from skbnn._inference.epochs import StepBlock
from skbnn._inference.step import AdviStep, StepCache
from skbnn._model.build import build_model
from skbnn._model.likelihoods import BernoulliLikelihood
from skbnn._model.networks import MLPNetwork

# JAX's persistent compilation cache, in the environment so that the test
# processes of pytest-xdist and joblib's workers share it.
JAX_CACHE_SETTINGS = {
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
    "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
}


def pytest_configure(config):
    # Many tests fit and predict networks of the same shapes in several
    # processes, and PyTensor's JAX linker compiles each function's XLA
    # program afresh: with a cache that all the run's processes share, each
    # program compiles once. The process that starts the run makes the
    # directory (a user's own cache directory is kept); its workers inherit
    # it.
    config.jax_cache = None
    if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
        config.jax_cache = tempfile.mkdtemp(prefix="skbnn-tests-jax-cache-")
        os.environ["JAX_COMPILATION_CACHE_DIR"] = config.jax_cache
    for name, value in JAX_CACHE_SETTINGS.items():
        os.environ.setdefault(name, value)
    # JAX read the environment when this module imported it.
    jax.config.update(
        "jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"]
    )
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def pytest_unconfigure(config):
    if config.jax_cache is not None:
        shutil.rmtree(config.jax_cache, ignore_errors=True)


@pytest.fixture(scope="session")
def moons():
    """The PyMC tutorial's problem: scaled two moons, half held out."""
    X, y = make_moons(noise=0.2, random_state=0, n_samples=1000)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.5, random_state=0)


@pytest.fixture(scope="session")
def sine():
    """Noisy 1-D regression on [-2, 2]; returns X, y and the noise std."""
    rng = np.random.default_rng(0)
    noise_std = 0.1
    X = rng.uniform(-2, 2, size=(300, 1))
    y = np.sin(2 * X[:, 0]) + noise_std * rng.normal(size=300)
    return X, y, noise_std


@pytest.fixture
def interrupt_after(monkeypatch):
    """Make the ADVI steps raise KeyboardInterrupt (Ctrl-C) after n of them.

    Data in memory takes its steps in blocks of one step here, so that the
    call interrupted is the step that a Ctrl-C would interrupt.
    """

    def interrupt_after(n_calls):
        monkeypatch.setattr(epochs, "BLOCK_STEPS", 1)
        calls = {"n": 0}

        def interrupting(original):
            def call_or_interrupt(self, *args):
                calls["n"] += 1
                if calls["n"] > n_calls:
                    raise KeyboardInterrupt
                return original(self, *args)

            return call_or_interrupt

        for compiled in (AdviStep, StepBlock):
            monkeypatch.setattr(compiled, "__call__", interrupting(compiled.__call__))

    return interrupt_after


@pytest.fixture
def tanh_step():
    """Compile the ADVI step of a small tanh MLP with a Bernoulli likelihood."""

    def tanh_step(units):
        batch_model = build_model(
            MLPNetwork(units, "tanh"),
            prior="normal",
            prior_scale=1.0,
            likelihood=BernoulliLikelihood(),
            dtype="float32",
        )
        with device_context("cpu"):
            return AdviStep(batch_model, mode="JAX")

    return tanh_step


@pytest.fixture
def step_builds(monkeypatch):
    """An empty step cache; the list of steps compiled while the test runs."""
    monkeypatch.setattr(inference, "STEP_CACHE", StepCache())
    builds = []
    original = inference.AdviStep

    def counting_step(*args, **kwargs):
        builds.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(inference, "AdviStep", counting_step)
    return builds


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def tiny_mnist(tmp_path):
    """Four IDX files in MNIST's format: a bright stripe whose row is the label."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    for prefix, n in [("train", 400), ("t10k", 100)]:
        labels = rng.integers(0, 10, size=n)
        images = rng.integers(0, 60, size=(n, 28, 28))
        images[np.arange(n), 2 * labels + 4] = 255
        _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return folder
