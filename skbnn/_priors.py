"""Priors over network weights, by name.

Each prior is a function ``prior(name, shape, scale)`` that, inside a
``pm.Model`` context, creates and returns the PyMC random variable ``name``.
``scale`` may be a symbolic scalar (the model's shared ``prior_scale``).
"""

import math

import pymc as pm
import pytensor.tensor as pt


def normal_prior(name, shape, scale):
    """Independent ``Normal(0, scale)`` prior on every entry.

    Parameters
    ----------
    name : str
        Name of the random variable.
    shape : tuple of int
        Its shape.
    scale : float or scalar TensorVariable
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
    scale : float or scalar TensorVariable
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


# Blundell et al. (2015), section 3.3: an equal mixture of a wide and a narrow
# zero-mean Gaussian; the narrow one is exp(-6) times the wide one, among the
# best of their grid on MNIST.
# Python floats, not numpy ones, so that PyTensor gives them the model's
# floatX instead of float64.
SCALE_MIXTURE_WEIGHT = 0.5
SCALE_MIXTURE_NARROW = math.exp(-6.0)


def _scale_mixture_logp(value, scale):
    narrow = scale * SCALE_MIXTURE_NARROW
    wide_logp = pm.logp(pm.Normal.dist(0.0, scale), value)
    narrow_logp = pm.logp(pm.Normal.dist(0.0, narrow), value)
    return pt.logaddexp(
        math.log(SCALE_MIXTURE_WEIGHT) + wide_logp,
        math.log(1 - SCALE_MIXTURE_WEIGHT) + narrow_logp,
    )


def scale_mixture_prior(name, shape, scale):
    """Scale-mixture prior of Bayes by Backprop on every entry.

    ``0.5 Normal(0, scale) + 0.5 Normal(0, scale * exp(-6))``: a heavy-tailed
    prior whose narrow component lets the weights that the data do not need
    sit near zero with little spread, instead of adding the prior's full
    noise to the network.

    Parameters
    ----------
    name : str
        Name of the random variable.
    shape : tuple of int
        Its shape.
    scale : float or scalar TensorVariable
        Standard deviation of the wide component.

    Returns
    -------
    variable : TensorVariable

    References
    ----------
    Blundell, Cornebise, Kavukcuoglu and Wierstra, "Weight Uncertainty in
    Neural Networks", ICML 2015.
    """
    return pm.CustomDist(
        name, scale, logp=_scale_mixture_logp, shape=shape, signature="()->()"
    )


PRIORS["scale_mixture"] = scale_mixture_prior
