"""JAX's persistent compilation cache: skbnn's folder by default, the user's if set."""

import os
import subprocess
import sys

import jax
import pytest

from skbnn._inference.compilation_cache import (
    CACHE_VARIABLE,
    default_cache_folder,
    use_compilation_cache,
)

FIT = (
    "import numpy as np\n"
    "from skbnn import BayesianMLPRegressor\n"
    "X = np.random.default_rng(0).normal(size=(40, 2))\n"
    "BayesianMLPRegressor(hidden_layer_sizes=(3,), max_iter=3).fit(X, X[:, 0])\n"
    "import jax; print(jax.config.jax_compilation_cache_dir)\n"
)


@pytest.fixture
def jax_cache_setting():
    """Restore JAX's cache folder after a test that calls the uncached function."""
    before = jax.config.jax_compilation_cache_dir
    yield use_compilation_cache.__wrapped__
    jax.config.update("jax_compilation_cache_dir", before)


def test_the_cache_goes_in_the_folder_asked_for(
    jax_cache_setting, monkeypatch, tmp_path
):
    jax.config.update("jax_compilation_cache_dir", None)
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    assert jax_cache_setting() == tmp_path / "cache"
    assert jax.config.jax_compilation_cache_dir == str(tmp_path / "cache")
    assert (tmp_path / "cache").is_dir()


@pytest.mark.parametrize("off", ["0", "off", "False"])
def test_the_cache_can_be_switched_off(jax_cache_setting, monkeypatch, off):
    jax.config.update("jax_compilation_cache_dir", None)
    monkeypatch.setenv(CACHE_VARIABLE, off)
    assert jax_cache_setting() is None
    assert jax.config.jax_compilation_cache_dir is None


def test_a_users_own_cache_folder_is_left_alone(jax_cache_setting, tmp_path):
    jax.config.update("jax_compilation_cache_dir", str(tmp_path))
    assert jax_cache_setting() is None
    assert jax.config.jax_compilation_cache_dir == str(tmp_path)


def test_the_default_folder_is_in_the_users_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_folder() == tmp_path / "skbnn" / "jax"


def _fit_in_a_fresh_process(env):
    environment = dict(os.environ)
    environment.pop("JAX_COMPILATION_CACHE_DIR", None)
    # Every program cached, however fast this machine compiles it.
    environment["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    environment.update(env)
    out = subprocess.run(
        [sys.executable, "-c", FIT],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def test_a_fit_in_a_fresh_process_fills_the_cache_or_the_users(tmp_path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    used = _fit_in_a_fresh_process({CACHE_VARIABLE: str(ours)})
    assert used == str(ours)
    assert any(ours.iterdir())  # the fit's compiled programs
    used = _fit_in_a_fresh_process(
        {CACHE_VARIABLE: str(ours / "unused"), "JAX_COMPILATION_CACHE_DIR": str(theirs)}
    )
    assert used == str(theirs)
    assert not (ours / "unused").exists()
