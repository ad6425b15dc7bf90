"""The objective: the negative ELBO of the approximation on a minibatch.

PyMC gives the log-density; this module evaluates it at the approximation's
draws (``"weights"``), or with the network's outputs sampled per row and the
Normal log-priors in expectation (``"local"``; see ``AdviStep``).
"""

import pymc as pm
import pytensor.tensor as pt
from pytensor.graph.replace import graph_replace
from pytensor.tensor.random.basic import NormalRV

try:
    from pytensor.graph.traversal import graph_inputs
except ImportError:  # PyTensor before 2.32
    from pytensor.graph.basic import graph_inputs

from .._model.priors import free_weight_name
from .sampled_layers import GaussianWeights, NoiseSource, SampledOutputLayers


def _normal_prior_variables(model):
    """Names of the free variables with a Normal prior, on their own scale."""
    return {
        model.rvs_to_values[rv].name
        for rv in model.free_RVs
        if isinstance(rv.owner.op, NormalRV) and model.rvs_to_transforms[rv] is None
    }


def _expected_prior_logp(model, expected, moments, draws):
    """PyMC's log-prior, in expectation for the variables named ``expected``.

    Under ``z ~ N(m, s^2)`` a ``Normal(mu, sigma)`` log-density has the exact
    expectation ``log p(m) - s^2 / (2 sigma^2)``; ``mu`` and ``sigma`` (which
    may depend on other variables), and the other variables, are at their
    draws.
    """
    total = 0.0
    for rv in model.free_RVs:
        value = model.rvs_to_values[rv]
        logp = model.logp(vars=[rv], sum=True, jacobian=True)
        if value.name in expected:
            mean, std = moments[value]
            (sigma,) = model.replace_rvs_by_values([rv.owner.inputs[-1]])
            curvature = pt.sum(pt.square(std) / (2.0 * pt.square(sigma)))
            at_mean = {**draws, value: mean}
            logp = graph_replace(logp - curvature, at_mean, strict=False)
        else:
            logp = graph_replace(logp, draws, strict=False)
        total = total + logp
    return total


def _gaussian_parameters(batch_model, network_weights, moments, draws):
    """Return the network's parameters as Gaussians given the drawn variables.

    Each parameter is affine in the free variable behind it (the weights
    themselves, or the standardised weights a drawn scale multiplies), so
    given the other variables it is Gaussian, with mean its value at the
    variable's mean and std the slope times the variable's std.
    """
    model = batch_model.model
    names = list(batch_model.params)
    in_values = model.replace_rvs_by_values([batch_model.params[n] for n in names])
    values = {value.name: value for value in model.value_vars}
    by_parameter = {parameter: free for free, parameter in network_weights.items()}
    gaussians = {}
    for name, parameter in zip(names, in_values, strict=True):
        value = values[by_parameter[name]]
        mean, std = moments[value]
        slope = pt.abs(pt.grad(parameter.sum(), value))
        at_mean = {**draws, value: mean}
        gaussians[name] = GaussianWeights(
            mean=graph_replace(parameter, at_mean, strict=False),
            std=graph_replace(slope, at_mean, strict=False) * std,
        )
    return gaussians


def _sampled_row_logp(batch_model, network_weights, moments, draws, noise):
    """Each row's log-likelihood, the network's outputs sampled for each row."""
    model = batch_model.model
    gaussians = _gaussian_parameters(batch_model, network_weights, moments, draws)
    outputs = batch_model.network.forward(
        batch_model.X_batch, gaussians, layers=SampledOutputLayers(noise)
    )
    (observed,) = model.observed_RVs
    row_logp = pm.logp(observed, model.rvs_to_values[observed])
    # The likelihood as a function of the network's outputs and of the other
    # variables (noise), the outputs then replaced by the sampled ones.
    placeholder = batch_model.outputs.type()
    row_logp = graph_replace(row_logp, {batch_model.outputs: placeholder}, strict=False)
    if placeholder not in set(graph_inputs([row_logp])):
        raise RuntimeError("the likelihood does not read the network's outputs")
    (row_logp,) = model.replace_rvs_by_values([row_logp])
    return graph_replace(row_logp, {placeholder: outputs, **draws}, strict=False)


def local_weights(batch_model, values):
    """Return the free variables behind the weights, and those left undrawn.

    Returns ``network_weights`` (free variable to network parameter), the
    variables whose Normal log-prior is taken in expectation, and the
    undrawn ones among them (the network's weights under a Normal prior).
    """
    network_weights = {
        free_weight_name(values, name): name
        for name, _, _ in batch_model.network.parameters()
    }
    expected_prior = _normal_prior_variables(batch_model.model)
    return network_weights, expected_prior, expected_prior & network_weights.keys()


def negative_elbo(batch_model, moments, draws, entropy, row_weights, local):
    """Return the step's loss and the updates of any draws it makes per row.

    ``local`` is a ``(network_weights, expected_prior)`` pair from
    :func:`local_weights`, or None for weight sampling.
    """
    model = batch_model.model
    updates = {}
    if local:
        network_weights, expected_prior = local
        prior_logp = _expected_prior_logp(model, expected_prior, moments, draws)
        noise_source = NoiseSource(batch_model.X_batch.dtype)
        row_logp = _sampled_row_logp(
            batch_model, network_weights, moments, draws, noise_source
        )
        updates.update(noise_source.updates())
    else:
        prior_logp = model.logp(vars=model.free_RVs, sum=True, jacobian=True)
        (row_logp,) = model.logp(vars=model.observed_RVs, sum=False)
        prior_logp, row_logp = graph_replace(
            [prior_logp, row_logp], draws, strict=False
        )
    if row_logp.ndim > 1:  # one column per regression target
        row_logp = row_logp.sum(axis=tuple(range(1, row_logp.ndim)))
    return -(prior_logp + pt.dot(row_weights, row_logp) + entropy), updates
