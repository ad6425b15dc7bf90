"""Priors over network weights, by name.

Each prior is a function ``prior(name, shape, scale)`` that, inside a
``pm.Model`` context, creates and returns the PyMC random variable ``name``.
"""

import pymc as pm


def normal_prior(name, shape, scale):
    """Independent ``Normal(0, scale)`` prior on every entry.

    Parameters
    ----------
    name : str
        Name of the random variable.
    shape : tuple of int
        Its shape.
    scale : float
        Prior standard deviation.

    Returns
    -------
    variable : TensorVariable
    """
    return pm.Normal(name, mu=0.0, sigma=scale, shape=shape)


def hierarchical_prior(name, shape, scale):
    """``Normal(0, s)`` prior whose scale ``s ~ HalfNormal(scale)`` is learned.

    One scale per weight tensor lets each layer find its own weight magnitude,
    as in the hierarchical MNIST network of the PyMC tutorials.

    Parameters
    ----------
    name : str
        Name of the random variable; its scale is named ``name + "_scale"``.
    shape : tuple of int
        Its shape.
    scale : float
        Standard deviation of the HalfNormal hyperprior.

    Returns
    -------
    variable : TensorVariable
    """
    # Shape (1,) rather than a scalar: with scalar scales PyTensor 2.38's fusion
    # rewrite fails on the ADVI graph and logs an error (it then compiles the
    # graph unfused). The scale broadcasts over the tensor either way.
    layer_scale = pm.HalfNormal(f"{name}_scale", sigma=scale, shape=(1,))
    return pm.Normal(name, mu=0.0, sigma=layer_scale, shape=shape)


PRIORS = {"normal": normal_prior, "hierarchical": hierarchical_prior}
