"""Assemble the PyMC model of a Bayesian neural network."""

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt

from .priors import PRIORS


@dataclass(frozen=True)
class BatchModel:
    """A PyMC model of the network on one symbolic minibatch.

    The data are not part of the model: ``X_batch`` and ``y_batch`` are
    symbolic inputs, so one compiled function serves every data set, batch
    and fold of the same architecture.

    Attributes
    ----------
    model : pm.Model
        The model; its free variables are the network's parameters plus
        whatever the prior and likelihood add.
    X_batch : TensorVariable of shape (batch_size, n_features)
        Symbolic minibatch of inputs.
    y_batch : TensorVariable
        Symbolic minibatch of targets, encoded for the likelihood.
    prior_scale : SharedVariable
        Scale of the weight prior. A shared variable rather than a constant,
        so that a refit with another scale (a grid search over it) compiles
        nothing.
    network : object
        The architecture description the model was built from.
    params : dict of str to TensorVariable
        The network's parameters as the model defines them (random
        variables, or functions of them).
    outputs : TensorVariable of shape (batch_size, n_network_outputs)
        The network's outputs on ``X_batch``, as the likelihood takes them.
    """

    model: pm.Model
    X_batch: pt.TensorVariable
    y_batch: pt.TensorVariable
    prior_scale: pytensor.compile.SharedVariable
    network: object
    params: dict
    outputs: pt.TensorVariable


def build_model(network, *, prior, prior_scale, likelihood, dtype):
    """Build the Bayesian network as a PyMC model of one minibatch.

    Parameters
    ----------
    network : object
        Architecture description from ``skbnn._model.networks``.
    prior : str
        Weight prior, a key of ``skbnn._model.priors.PRIORS``.
    prior_scale : float
        Initial value of the prior's scale, ``batch_model.prior_scale``.
    likelihood : object
        One of the likelihoods of ``skbnn._model.likelihoods``.
    dtype : str
        Float type of the model, e.g. ``"float32"``.

    Returns
    -------
    batch_model : BatchModel
    """
    make_prior = PRIORS[prior]
    with pytensor.config.change_flags(floatX=dtype), pm.Model() as model:
        n_features = network.n_features
        X_batch = pt.matrix("X_batch", shape=(None, n_features), dtype=dtype)
        y_batch = likelihood.target_variable("y_batch", dtype)
        scale = pytensor.shared(np.asarray(prior_scale, dtype=dtype), "prior_scale")
        params = {
            name: make_prior(name, shape, scale)
            for name, shape, _ in network.parameters()
        }
        outputs = network.forward(X_batch, params)
        likelihood.observe(outputs, y_batch)
    return BatchModel(model, X_batch, y_batch, scale, network, params, outputs)
