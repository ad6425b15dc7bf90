"""JAX's persistent compilation cache, in skbnn's folder unless the user chose.

The first fit of a network in a process compiles its ADVI steps and its
forward pass with XLA, seconds that every new process (a notebook restart, a
script, each worker of a parallel grid search) would pay again. JAX can keep
compiled programs on disk; skbnn points it at a folder of the user's cache
the first time it compiles, unless:

- the user set JAX's own ``jax_compilation_cache_dir`` (or the
  ``JAX_COMPILATION_CACHE_DIR`` variable): theirs is used, untouched;
- ``SKBNN_COMPILATION_CACHE`` is ``0``, ``off`` or ``false``: no cache.

``SKBNN_COMPILATION_CACHE`` set to a folder puts the cache there. JAX keeps
only programs whose compilation took longer than its
``jax_persistent_cache_min_compile_time_secs`` (1 s by default), which skbnn
leaves as it is. Like any JAX compilation cache, the folder must be writable
by its user alone (JAX runs what it finds there).
"""

import functools
import os
from pathlib import Path

CACHE_VARIABLE = "SKBNN_COMPILATION_CACHE"
_OFF = {"0", "off", "false", "no"}


def default_cache_folder():
    """Return ``$XDG_CACHE_HOME/skbnn/jax`` (``~/.cache/skbnn/jax`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "skbnn" / "jax"


@functools.cache
def use_compilation_cache():
    """Point JAX's persistent compilation cache at skbnn's folder, once a process.

    Returns
    -------
    folder : pathlib.Path or None
        The folder JAX now caches in on skbnn's account; None where the user
        chose a folder of their own, switched it off, or the folder cannot
        be created.
    """
    import jax

    setting = os.environ.get(CACHE_VARIABLE, "").strip()
    if setting.lower() in _OFF or jax.config.jax_compilation_cache_dir:
        return None
    folder = Path(setting) if setting else default_cache_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    return folder
