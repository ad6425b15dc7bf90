"""Minibatch ADVI: fit a mean-field Gaussian posterior to a PyMC model."""

from dataclasses import dataclass, field

import numpy as np
import pymc as pm
import pytensor
from pymc.variational.approximations import MeanField, MeanFieldGroup
from pymc.variational.inference import KLqp


class _StaticMeanFieldGroup(MeanFieldGroup):
    """Mean-field group whose parameter vectors have a static length.

    PyMC creates ``mu`` and ``rho`` without a static shape. The JAX backend
    (our GPU path) then meets reshapes of unknown size, which ``jax.jit``
    cannot trace; a static length lets PyTensor fold those shapes to constants.
    """

    short_name = "static_mean_field"
    alias_names = frozenset()

    def create_shared_params(self, start=None, start_sigma=None):
        params = super().create_shared_params(start, start_sigma)
        return {
            name: pytensor.shared(
                param.get_value(), name, shape=param.get_value().shape
            )
            for name, param in params.items()
        }


class _StaticMeanField(MeanField):
    _group_class = _StaticMeanFieldGroup


def _softplus(x):
    return np.logaddexp(0.0, x)


def _inverse_softplus(y):
    # PyMC parametrises each standard deviation as softplus(rho).
    return y + np.log(-np.expm1(-y))


@dataclass
class AdviResult:
    """What a run of ADVI leaves behind.

    Attributes
    ----------
    posterior : dict of str to (ndarray, ndarray)
        Mean and standard deviation of the Gaussian over each free variable,
        in PyMC's unconstrained space, keyed by value-variable name.
    loss_curve : list of float
        Mean negative ELBO of each epoch, divided by ``loss_scale``.
    n_steps : int
        Optimisation steps taken.
    """

    posterior: dict
    loss_curve: list = field(default_factory=list)
    n_steps: int = 0


class _VariationalState:
    """Read and write the flat ``mu``/``rho`` vectors by variable name."""

    def __init__(self, approx):
        self._mu, self._rho = approx.params
        (group,) = approx.groups
        self._ordering = {
            name: (slice_, shape) for name, slice_, shape, _ in group.ordering.values()
        }

    def read(self):
        mu, rho = self._mu.get_value(), self._rho.get_value()
        # JAX mode leaves device arrays here; np.asarray copies them to the host.
        mu, sigma = np.asarray(mu), _softplus(np.asarray(rho))
        return {
            name: (mu[slice_].reshape(shape), sigma[slice_].reshape(shape))
            for name, (slice_, shape) in self._ordering.items()
        }

    def write(self, posterior, default_std):
        mu, rho = np.array(self._mu.get_value()), np.array(self._rho.get_value())
        for name, (slice_, shape) in self._ordering.items():
            std = default_std
            if name in posterior:
                mean, std = posterior[name]
                mu[slice_] = np.ravel(mean)
            rho[slice_] = _inverse_softplus(np.ravel(np.broadcast_to(std, shape)))
        self._mu.set_value(mu.astype(self._mu.dtype))
        self._rho.set_value(rho.astype(self._rho.dtype))

    def is_finite(self):
        return bool(
            np.isfinite(np.asarray(self._mu.get_value())).all()
            and np.isfinite(np.asarray(self._rho.get_value())).all()
        )


def make_approximation(model, random_seed):
    """Create the mean-field approximation that ADVI fits to ``model``.

    Parameters
    ----------
    model : pm.Model
        The model.
    random_seed : int
        Seeds the approximation's Monte Carlo draws.

    Returns
    -------
    approx : pymc.variational.approximations.MeanField
        Its objective is the full-data ELBO, also on minibatches.
    """
    approx = _StaticMeanField(model=model, random_seed=random_seed)
    # PyMC divides the whole ELBO by n_samples / batch_size by default; we keep
    # it on the full-data scale so the reported loss is the ELBO estimate
    # itself (Adam's steps do not depend on a constant factor).
    approx.scale_cost_to_minibatch = False
    return approx


def _divergence_error(epoch, step, loss, learning_rate):
    return ValueError(
        f"ADVI diverged: the negative ELBO became {loss} at epoch {epoch} "
        f"(step {step}). Lower learning_rate_init (now {learning_rate}), "
        "standardise the inputs (e.g. StandardScaler in a Pipeline), or choose "
        "a smaller prior_scale."
    )


def fit_advi(
    model,
    *,
    initial_posterior,
    default_std,
    learning_rate,
    max_epochs,
    steps_per_epoch,
    loss_scale,
    random_seed,
    mode,
    on_epoch_end=None,
):
    """Fit a mean-field Gaussian approximation by stochastic ADVI with Adam.

    Parameters
    ----------
    model : pm.Model
        The model; minibatching, if any, is part of it.
    initial_posterior : dict of str to (ndarray, ndarray)
        Initial variational mean and standard deviation by value-variable name,
        as in ``AdviResult.posterior``; it may name only some variables.
    default_std : float
        Initial standard deviation of the variables not in
        ``initial_posterior``, whose means start at the model's initial point.
    learning_rate : float
        Adam's step size.
    max_epochs : int
        Upper bound on the number of epochs.
    steps_per_epoch : int
        Optimisation steps that make one epoch.
    loss_scale : float
        Each epoch's mean negative ELBO is divided by this (the number of
        training samples gives a per-sample loss).
    random_seed : int
        Seeds the Monte Carlo draws of the ELBO and the minibatch indices.
    mode : str
        PyTensor mode that compiles the optimisation step.
    on_epoch_end : callable, default=None
        Called as ``on_epoch_end(epoch_loss, read_posterior)`` after each
        epoch, where ``read_posterior()`` returns the current posterior; a true
        return value stops the optimisation.

    Returns
    -------
    result : AdviResult

    Raises
    ------
    ValueError
        If the ELBO or the variational parameters stop being finite.
    """
    approx = make_approximation(model, random_seed)
    state = _VariationalState(approx)
    state.write(initial_posterior, default_std)

    step = KLqp(approx).objective.step_function(
        obj_n_mc=1,
        obj_optimizer=pm.adam(learning_rate=learning_rate),
        score=True,
        compile_kwargs={"mode": mode},
    )

    result = AdviResult(posterior={})
    for epoch in range(1, max_epochs + 1):
        epoch_loss = 0.0
        for _ in range(steps_per_epoch):
            loss = float(step())
            result.n_steps += 1
            if not np.isfinite(loss):
                raise _divergence_error(epoch, result.n_steps, loss, learning_rate)
            epoch_loss += loss
        result.loss_curve.append(epoch_loss / steps_per_epoch / loss_scale)
        if on_epoch_end is not None and on_epoch_end(result.loss_curve[-1], state.read):
            break
    if not state.is_finite():
        raise _divergence_error(epoch, result.n_steps, "nan", learning_rate)
    result.posterior = state.read()
    return result
