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
# PyMC's log-densities in 32 bits, which is what we ask of it. A rewrite
# that PyTensor runs in every mode reads its C backend's BLAS flags, whose
# detection warns where pip installed PyTensor; skbnn never runs that
# backend (JAX brings its own BLAS).
_BACKEND_NOISE = [
    r"The RandomType SharedVariables .* will not be used",
    r"Skipping .* Op \(assertion: .*\) as JAX tracing would remove it",
    r"Explicitly requested dtype .* is not available",
    r"PyTensor could not link to a BLAS installation",
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
    ):
        for message in _BACKEND_NOISE:
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        yield resolved


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
