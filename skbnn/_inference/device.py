"""Map the estimators' ``device`` parameter onto a PyTensor compilation mode."""

import contextlib
import functools
import warnings

from .compilation_cache import use_compilation_cache

# Both devices compile through PyTensor's JAX backend; JAX puts the arrays on
# the device that device_context selects. On the CPU it runs the ADVI step
# faster than PyTensor's C and NUMBA backends, and compiles it in a fraction
# of their time (benchmarks/bench_mnist.py --backends).
CPU_MODE = GPU_MODE = "JAX"


@functools.cache
def gpu_unavailable_reason():
    """Say why no GPU can be used, or return None when one can.

    The answer is cached: JAX's device list does not change within a process.

    Returns
    -------
    reason : str or None
        A sentence for the user, or None if JAX sees at least one GPU.
    """
    try:
        import jax
    except ImportError:
        return (
            "JAX is not installed; the GPU backend runs through PyTensor's JAX "
            "mode and needs a CUDA-enabled JAX ('pip install skbnn[gpu]')"
        )
    try:
        gpus = jax.devices("gpu")
    except RuntimeError as exc:
        return f"JAX found no GPU ({exc})"
    if not gpus:
        return "JAX found no GPU"
    return None


def resolve_device(device):
    """Resolve ``"cpu"``, ``"gpu"`` or ``"auto"`` to the device that will be used.

    Parameters
    ----------
    device : {"cpu", "gpu", "auto"}
        The estimator's ``device`` parameter.

    Returns
    -------
    resolved : {"cpu", "gpu"}
        ``"auto"`` becomes ``"gpu"`` when one is usable and ``"cpu"`` otherwise.

    Raises
    ------
    RuntimeError
        If ``device="gpu"`` and no GPU is usable.
    """
    if device == "cpu":
        return "cpu"
    reason = gpu_unavailable_reason()
    if reason is None:
        return "gpu"
    if device == "auto":
        return "cpu"
    raise RuntimeError(
        f"device='gpu' was requested but no GPU can be used: {reason}. "
        "Use device='cpu', or device='auto' to fall back to the CPU."
    )


# Messages of PyTensor's JAX backend that say nothing a user can act on: it
# compiles copies of random generators, drops PyMC's parameter checks (ours
# are valid by construction), and JAX computes float64/int64 constants of
# PyMC's log-densities in 32 bits, which is what we ask of it.
_BACKEND_NOISE = [
    r"The RandomType SharedVariables .* will not be used",
    r"Skipping .* Op \(assertion: .*\) as JAX tracing would remove it",
    r"Explicitly requested dtype .* is not available",
]


def jax_device(resolved):
    """Return the first JAX device of kind ``resolved`` ("cpu" or "gpu")."""
    import jax

    return jax.devices(resolved)[0]


@contextlib.contextmanager
def device_context(device):
    """Run PyTensor's JAX backend on ``device``, without its routine warnings.

    Inside, JAX places new arrays on the resolved device and computes in 32
    bits: with 64-bit types enabled, PyMC's float64 constants turn parts of
    the float32 ADVI step into float64, which runs it at less than half the
    speed.

    Parameters
    ----------
    device : {"cpu", "gpu", "auto"}
        The estimator's ``device`` parameter.

    Yields
    ------
    resolved : {"cpu", "gpu"}
        The device in use.
    """
    import jax
    import pytensor

    # PyTensor sets JAX's global 64-bit flag from floatX when its JAX backend
    # is first imported; import it here, outside any floatX change of ours, so
    # that what it sets does not depend on where skbnn happened to import it.
    import pytensor.link.jax.dispatch  # noqa: F401

    use_compilation_cache()
    resolved = resolve_device(device)
    with (
        warnings.catch_warnings(),
        jax.default_device(jax_device(resolved)),
        jax.enable_x64(False),
        # Where each of skbnn's graph nodes was made in Python: recording it
        # walks the call stack for every node (a tenth of a first fit), and
        # it points into skbnn, not into the user's code.
        pytensor.config.change_flags(traceback__limit=0),
    ):
        for message in _BACKEND_NOISE:
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        yield resolved


@functools.cache
def pytensor_mode(mode):
    """Return the PyTensor mode object that compiles for ``mode``.

    ``mode`` is a name from :func:`compile_mode`. Before PyTensor 3 its JAX
    mode still runs a rewrite for sparse products in its C backend
    (``local_usmm``) whose check reads the C backend's BLAS flags: finding
    them imports setuptools and probes the compiler (most of a second of
    the first fit in a process) and warns that PyTensor "could not link to a
    BLAS installation" where pip installed it. JAX brings its own BLAS, so
    that rewrite is left out.

    Parameters
    ----------
    mode : str
        A PyTensor mode name.

    Returns
    -------
    mode : pytensor.compile.mode.Mode
    """
    from pytensor.compile.mode import get_mode

    return get_mode(mode).excluding("local_usmm")


def compile_mode(device):
    """Return the PyTensor mode that compiles functions for ``device``.

    Parameters
    ----------
    device : {"cpu", "gpu", "auto"}
        The estimator's ``device`` parameter.

    Returns
    -------
    mode : str
        A PyTensor mode name accepted by ``pytensor.function(mode=...)``.
    """
    return GPU_MODE if resolve_device(device) == "gpu" else CPU_MODE
