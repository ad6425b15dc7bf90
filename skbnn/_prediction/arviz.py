"""The fitted posterior as ArviZ data, for PyMC users' plots and summaries."""

import importlib


def posterior_to_arviz(samples):
    """Wrap posterior draws as ArviZ's posterior group.

    Parameters
    ----------
    samples : dict of str to ndarray of shape (n_chains, n_draws, ...)
        Draws of each variable.

    Returns
    -------
    data : arviz.InferenceData or xarray.DataTree
        What ``arviz.from_dict`` returns: ``InferenceData`` under ArviZ 0.x,
        a ``DataTree`` with the same groups under ArviZ 1.x.
    """
    try:
        arviz = importlib.import_module("arviz")
    except ImportError as error:  # pragma: no cover - PyMC installs ArviZ
        raise ImportError(
            "to_inference_data needs ArviZ, which PyMC installs: pip install arviz"
        ) from error
    major = int(arviz.__version__.split(".")[0])
    if major >= 1:  # ArviZ 1 takes the groups as one mapping
        return arviz.from_dict({"posterior": samples})
    return arviz.from_dict(posterior=samples)
