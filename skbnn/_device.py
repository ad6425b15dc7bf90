"""Map the estimators' ``device`` parameter onto a PyTensor compilation mode."""

import functools

# PyTensor's default C backend runs on the CPU; its JAX backend runs wherever JAX
# puts arrays, which is the GPU when a CUDA-enabled jaxlib sees one.
CPU_MODE = "FAST_RUN"
GPU_MODE = "JAX"


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
