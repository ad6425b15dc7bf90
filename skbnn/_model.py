"""Assemble the PyMC model of a Bayesian neural network."""

from itertools import pairwise

import pymc as pm

from ._layers import mlp
from ._priors import PRIORS


def coef_name(layer):
    """Name of the weight matrix of ``layer`` in the model and the posterior."""
    return f"coef_{layer}"


def intercept_name(layer):
    """Name of the bias vector of ``layer`` in the model and the posterior."""
    return f"intercept_{layer}"


def build_model(
    X, y, layer_units, *, activation, prior, prior_scale, likelihood, batch_size
):
    """Build the Bayesian MLP as a PyMC model.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training inputs.
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Training targets, already encoded for ``likelihood``.
    layer_units : list of int
        Widths of all layers, input and output included.
    activation : str
        Hidden activation, a key of ``skbnn._layers.ACTIVATIONS``.
    prior : str
        Weight prior, a key of ``skbnn._priors.PRIORS``.
    prior_scale : float
        Scale passed to the prior.
    likelihood : object
        One of the likelihoods of ``skbnn._likelihoods``.
    batch_size : int
        Minibatch size; when it covers the data the model uses all of it.

    Returns
    -------
    model : pm.Model
        The model; its free variables are ``coef_i`` and ``intercept_i`` for
        each layer ``i`` plus whatever the prior and likelihood add.
    """
    n_samples = X.shape[0]
    make_prior = PRIORS[prior]
    with pm.Model() as model:
        if batch_size < n_samples:
            # One index draw slices X and y alike, so pairs stay together;
            # total_size rescales the minibatch log-likelihood to the full data,
            # which makes the minibatch ELBO an unbiased estimate of the full one.
            X_batch, y_batch = pm.Minibatch(X, y, batch_size=batch_size)
            total_size = n_samples
        else:
            X_batch, y_batch, total_size = X, y, None
        coefs, intercepts = [], []
        for layer, (fan_in, fan_out) in enumerate(pairwise(layer_units)):
            coefs.append(make_prior(coef_name(layer), (fan_in, fan_out), prior_scale))
            intercepts.append(
                make_prior(intercept_name(layer), (fan_out,), prior_scale)
            )
        outputs = mlp(X_batch, coefs, intercepts, activation)
        likelihood.observe(outputs, y_batch, total_size)
    return model
