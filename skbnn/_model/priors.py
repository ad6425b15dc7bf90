"""Priors over network weights, by name.

Each prior is a function ``prior(name, shape, scale)`` that, inside a
``pm.Model`` context, creates the PyMC random variables behind the weights
``name`` and returns the weights: the random variable ``name`` itself, or for
the hierarchical prior a scale times standard-normal weights. ``scale`` may be
a symbolic scalar (the model's shared ``prior_scale``). ``skbnn.Posterior``
reads a fitted posterior's weights either way, by the names given here.
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


# PyMC fits a positive variable on the log scale, under its name and this
# suffix.
LOG_SUFFIX = "_log__"


def log_value_name(name):
    """Name of the free (log-scale) variable behind the positive variable ``name``."""
    return name + LOG_SUFFIX


def free_weight_name(variable_names, name):
    """Name of the free variable that holds the weights ``name``, or its ``z``.

    Parameters
    ----------
    variable_names : container of str
        The free variables of the model.
    name : str
        A network parameter.

    Returns
    -------
    free_name : str
    """
    return name if name in variable_names else standardised_name(name)


def standardised_name(name):
    """Name of the standard-normal variable behind a hierarchical weight."""
    return f"{name}_standardised"


def layer_scale_name(name):
    """Name of the learned scale of a hierarchical weight tensor."""
    return f"{name}_scale"


def _non_centred(name, shape, scale, scale_shape):
    """Weights ``s * z``: learned scales ``s ~ HalfNormal(scale)``, ``z ~ N(0, 1)``.

    ``scale_shape`` broadcasts against ``shape``: one scale per tensor, or per
    row. The free variables are named by :func:`layer_scale_name` and
    :func:`standardised_name`, which ``skbnn.Posterior`` decodes.
    """
    learned_scale = pm.HalfNormal(
        layer_scale_name(name), sigma=scale, shape=scale_shape
    )
    standardised = pm.Normal(standardised_name(name), mu=0.0, sigma=1.0, shape=shape)
    return learned_scale * standardised


def hierarchical_prior(name, shape, scale):
    """``Normal(0, s)`` prior whose scale ``s ~ HalfNormal(scale)`` is learned.

    One scale per weight tensor lets each layer find its own weight magnitude,
    as in the hierarchical MNIST network of the PyMC tutorials. The weights are
    parametrised non-centred, ``s * z`` with ``z ~ Normal(0, 1)``: the same
    model, but the mean-field posterior then covers ``z`` and ``s``, which it
    fits far better than the centred form's strongly coupled ``s`` and
    weights.

    Parameters
    ----------
    name : str
        Name of the weight tensor; its free variables are named by
        :func:`standardised_name` and :func:`layer_scale_name`.
    shape : tuple of int
        Its shape.
    scale : float or scalar TensorVariable
        Standard deviation of the HalfNormal hyperprior.

    Returns
    -------
    weights : TensorVariable
    """
    # Shape (1,) rather than a scalar: with scalar scales PyTensor 2.38's fusion
    # rewrite fails on the ADVI graph and logs an error (it then compiles the
    # graph unfused). The scale broadcasts over the tensor either way.
    return _non_centred(name, shape, scale, scale_shape=(1,))


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


# The weights that the ARD prior gives a scale per input feature: the first
# layer's (one row per feature); the other parameters get the normal prior.
ARD_WEIGHTS = "coef_0"


def ard_prior(name, shape, scale):
    """Automatic relevance determination on the input layer, normal elsewhere.

    The input layer's weights out of feature ``j`` are ``Normal(0, s_j)`` with
    one scale ``s_j ~ HalfNormal(scale)`` per input feature, learned from the
    data, so that features the data do not need shrink to zero together (the
    prior of MacKay and Neal's Bayesian networks, and the length scales of an
    ARD kernel's GP). Written ``s_j * z`` with ``z ~ Normal(0, 1)``, as the
    hierarchical prior. Every other parameter gets :func:`normal_prior`.

    Parameters
    ----------
    name : str
        Name of the weight tensor.
    shape : tuple of int
        Its shape; the input layer's is ``(n_features, n_units)``.
    scale : float or scalar TensorVariable
        Standard deviation of the HalfNormal hyperprior, and of the normal
        prior elsewhere.

    Returns
    -------
    weights : TensorVariable

    References
    ----------
    Neal, "Bayesian Learning for Neural Networks", Springer, 1996, section 1.2.
    """
    if name != ARD_WEIGHTS:
        return normal_prior(name, shape, scale)
    return _non_centred(name, shape, scale, scale_shape=(shape[0], 1))


PRIORS = {
    "normal": normal_prior,
    "hierarchical": hierarchical_prior,
    "scale_mixture": scale_mixture_prior,
    "ard": ard_prior,
}
