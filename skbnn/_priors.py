"""Priors over network weights, by name.

Each prior is a function ``prior(name, shape, scale, fan_in)`` that, inside a
``pm.Model`` context, creates and returns the PyMC random variable ``name``.
``fan_in`` is the number of inputs of the layer the tensor belongs to; a scale
of ``"auto"`` becomes ``1 / sqrt(fan_in)``.
"""

import numpy as np
import pymc as pm


def layer_scale(scale, fan_in):
    """Resolve a prior scale for a layer with ``fan_in`` inputs.

    Parameters
    ----------
    scale : float or "auto"
        A fixed scale, or ``"auto"`` for ``1 / sqrt(fan_in)``.
    fan_in : int
        Inputs of the layer.

    Returns
    -------
    scale : float
    """
    # "auto" keeps each unit's prior pre-activation variance independent of
    # the layer's width, as He/LeCun initialisation does for weights.
    return 1.0 / np.sqrt(fan_in) if scale == "auto" else float(scale)


def normal_prior(name, shape, scale, fan_in):
    """Independent ``Normal(0, scale)`` prior on every entry.

    Parameters
    ----------
    name : str
        Name of the random variable.
    shape : tuple of int
        Its shape.
    scale : float or "auto"
        Prior standard deviation.
    fan_in : int
        Inputs of the layer.

    Returns
    -------
    variable : TensorVariable
    """
    return pm.Normal(name, mu=0.0, sigma=layer_scale(scale, fan_in), shape=shape)


def hierarchical_prior(name, shape, scale, fan_in):
    """``Normal(0, s)`` prior whose scale ``s ~ HalfNormal(scale)`` is learned.

    One scale per weight tensor lets each layer find its own weight magnitude,
    as in the hierarchical MNIST network of the PyMC tutorials.

    Parameters
    ----------
    name : str
        Name of the random variable; its scale is named ``name + "_scale"``.
    shape : tuple of int
        Its shape.
    scale : float or "auto"
        Standard deviation of the HalfNormal hyperprior.
    fan_in : int
        Inputs of the layer.

    Returns
    -------
    variable : TensorVariable
    """
    # Shape (1,) rather than a scalar: with scalar scales PyTensor 2.38's fusion
    # rewrite fails on the ADVI graph and logs an error (it then compiles the
    # graph unfused). The scale broadcasts over the tensor either way.
    hyper_scale = layer_scale(scale, fan_in)
    scale_variable = pm.HalfNormal(f"{name}_scale", sigma=hyper_scale, shape=(1,))
    return pm.Normal(name, mu=0.0, sigma=scale_variable, shape=shape)


PRIORS = {"normal": normal_prior, "hierarchical": hierarchical_prior}
