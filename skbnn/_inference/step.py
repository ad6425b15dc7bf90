"""The compiled step of minibatch ADVI on a PyMC model's log-density.

PyMC builds the model and its log-density; this module compiles one step of
ADVI on it: a mean-field Gaussian over the model's free variables, one
reparametrised draw, the entropy, the minibatch's scaled log-likelihood and an
Adam update. The step is compiled once per model structure and kept in a
cache: the minibatch, its rows' likelihood weights and the learning rate are
inputs of the compiled function, and the variational parameters are reset in
place at the start of each run. A refit on other data (a cross-validation
fold, a warm start) compiles nothing. ``skbnn._inference.trainer`` runs the steps.
"""

import contextlib
import time

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.tensor.random.type import RandomType

from .._model.build import build_model
from .approximation import (
    PosteriorSnapshot,
    inverse_softplus,
    moments_and_draws,
    shared_vectors,
    vector_layout,
)
from .device import compile_mode, device_context, pytensor_mode
from .epochs import StepBlock
from .initialisation import initial_point_function
from .objective import local_weights, negative_elbo
from .step_cache import StepCache
from .updates import adam_updates

# How the step estimates the gradient of the ELBO (see AdviStep).
GRADIENT_ESTIMATORS = ("local", "weights")


class AdviStep:
    """One compiled step of minibatch ADVI with Adam, and the state it updates.

    The objective is the negative ELBO of a mean-field Gaussian ``q``:
    ``-(E_q[log p(z)] + sum_i w_i E_q[log p(y_i | z, x_i)] + H[q])`` over the
    rows ``i`` of a minibatch, each expectation estimated from one draw per
    step and ``H[q]`` the Gaussian entropy (up to a constant). With row
    weights ``w_i = n_samples / batch_size`` on a minibatch drawn uniformly at
    random the objective is an unbiased estimate of the full-data one
    (Hoffman et al., "Stochastic Variational Inference", JMLR 2013); a weight
    of zero leaves out a padding row.

    How the draws are made is the gradient estimator; both estimate the same
    objective, without bias:

    - ``"weights"``: one reparametrised draw ``z ~ q`` of every variable per
      step, shared by the minibatch's rows; PyMC's log-density is evaluated
      at it.
    - ``"local"``: the network's layers sample their outputs for each row
      given the Gaussians of their weights (``skbnn._inference.sampled_layers``), and
      the log-prior of every variable with a Normal prior is its exact
      expectation under ``q``: PyMC's log-density at the mean plus the
      Normal's curvature term. Such weights are
      never drawn; the other variables (prior scales, noise) are, as above.
      Lower variance, and no draw of millions of weights per step.

    Parameters
    ----------
    batch_model : skbnn._model.build.BatchModel
        The model and its symbolic minibatch.
    mode : str
        PyTensor mode that compiles the step.
    gradient_estimator : {"local", "weights"}, default="weights"
        How the step draws, as above.
    """

    def __init__(self, batch_model, mode, gradient_estimator="weights"):
        if gradient_estimator not in GRADIENT_ESTIMATORS:
            raise ValueError(
                f"gradient_estimator must be one of {GRADIENT_ESTIMATORS}, got "
                f"{gradient_estimator!r}."
            )
        dtype = batch_model.X_batch.dtype
        # Python float constants take floatX; float64 would upcast the step.
        with pytensor.config.change_flags(floatX=dtype):
            self._compile(batch_model, mode, gradient_estimator == "local")
        self._mode = mode
        self.dtype = dtype
        self.gradient_estimator = gradient_estimator

    def _compile(self, batch_model, mode, local):
        model = batch_model.model
        dtype = batch_model.X_batch.dtype
        self._prior_scale = batch_model.prior_scale
        # The initial point of the variables outside the network (a learned
        # prior scale) follows the prior scale set at each reset.
        self._initial_point = initial_point_function(model)
        initial_point = self._initial_point()
        self._layout, sizes = vector_layout(
            [
                (value.name, np.shape(initial_point[value.name]))
                for value in model.value_vars
            ]
        )
        self._vectors = shared_vectors(sizes, dtype)
        values = {value.name: value for value in model.value_vars}
        network_weights, expected_prior, undrawn = (
            local_weights(batch_model, values) if local else ({}, set(), set())
        )
        moments, draws, entropy, updates = moments_and_draws(
            self._vectors, sizes, self._layout, values, undrawn, dtype
        )
        row_weights = pt.vector("row_weights", dtype=dtype)
        learning_rate = pt.scalar("learning_rate", dtype=dtype)
        loss, row_updates = negative_elbo(
            batch_model,
            moments,
            draws,
            entropy,
            row_weights,
            (network_weights, expected_prior) if local else None,
        )
        updates.update(row_updates)
        params = [variable for pair in self._vectors for variable in pair]
        inputs = [batch_model.X_batch, batch_model.y_batch, row_weights]
        # What gradient() compiles, on first use.
        self._gradient_graph = (inputs, loss, params, dict(updates))
        self._gradient_function = None
        self._block = None
        self._seed = 0
        step_updates = adam_updates(loss, params, learning_rate)
        self._adam_state = [var for var in step_updates if var not in params]
        updates.update(step_updates)
        self._function = pytensor.function(
            [*inputs, learning_rate], loss, updates=updates, mode=pytensor_mode(mode)
        )

    def gradient(self, X_batch, y_batch, row_weights):
        """Return one draw of the gradient of the negative ELBO estimate.

        The gradient with respect to every vector of variational parameters
        (means, then the softplus-parametrised stds), as the step follows
        it, without moving the parameters. Its own draws, seeded as the
        step's were by the last :meth:`reset` or :meth:`restore`: the step's
        are not advanced.

        Returns
        -------
        gradients : list of ndarray
            One per vector: ``[mean_0, rho_0, mean_1, rho_1, ...]``.
        """
        if self._gradient_function is None:
            inputs, loss, params, draw_updates = self._gradient_graph
            with pytensor.config.change_flags(floatX=self.dtype):
                self._gradient_function = pytensor.function(
                    inputs,
                    pt.grad(loss, params),
                    updates=draw_updates,
                    mode=pytensor_mode(self._mode),
                )
            _seed_draws(self._gradient_function, self._mode, self._seed)
        return [
            np.asarray(grad)
            for grad in self._gradient_function(X_batch, y_batch, row_weights)
        ]

    def block(self):
        """Return the step looped in one JAX call, or None off JAX.

        Compiled on first use (see ``skbnn._inference.epochs.StepBlock``).
        """
        if self._mode != "JAX":
            return None
        if self._block is None:
            self._block = StepBlock(self._function)
        return self._block

    @property
    def variable_names(self):
        """Names of the model's value variables that ``q`` covers."""
        return [name for name, _, _, _ in self._layout]

    @property
    def n_free(self):
        """Scalars that ``q`` covers: the size of each vector of means, summed."""
        return sum(mean.type.shape[0] for mean, _ in self._vectors)

    def reset(self, posterior, default_std, seed, prior_scale=None):
        """Start a new fit: set ``q``, clear Adam's state, reseed the draws.

        Parameters
        ----------
        posterior : dict of str to (array-like, array-like)
            Initial mean and standard deviation by value-variable name; it may
            name only some variables.
        default_std : float
            Initial standard deviation of the variables not in ``posterior``,
            whose means start at the model's initial point.
        seed : int
            Seed of the Monte Carlo draws.
        prior_scale : float, default=None
            Scale of the weight prior; None keeps the current one.
        """
        if prior_scale is not None:
            self._prior_scale.set_value(np.asarray(prior_scale, dtype=self.dtype))
        initial_point = self._initial_point()
        means = [np.empty(mean.type.shape, self.dtype) for mean, _ in self._vectors]
        stds = [np.empty_like(mean) for mean in means]
        for name, index, entries, shape in self._layout:
            mean, std = posterior.get(name, (initial_point[name], default_std))
            means[index][entries] = np.broadcast_to(mean, shape).ravel()
            stds[index][entries] = np.broadcast_to(std, shape).ravel()
        for (mean, rho), mean_value, std_value in zip(self._vectors, means, stds):
            mean.set_value(mean_value)
            rho.set_value(inverse_softplus(std_value).astype(self.dtype))
        for variable in self._adam_state:
            variable.set_value(np.zeros_like(np.asarray(variable.get_value())))
        self._reseed(seed)

    def state(self):
        """Return the optimiser's whole state as numpy arrays.

        The variational parameters and Adam's moments and step count: what
        :meth:`restore` needs to continue exactly where this step is, in
        another process too (``partial_fit`` keeps it between calls).

        Returns
        -------
        state : list of ndarray
        """
        variables = [var for pair in self._vectors for var in pair]
        return [
            np.array(variable.get_value())
            for variable in [*variables, *self._adam_state]
        ]

    def restore(self, state, seed, prior_scale):
        """Continue from a :meth:`state`, with fresh Monte Carlo draws.

        Parameters
        ----------
        state : list of ndarray
            As :meth:`state` returned it, from a step of the same model.
        seed : int
            Seed of the Monte Carlo draws from here on.
        prior_scale : float
            Scale of the weight prior.
        """
        self._prior_scale.set_value(np.asarray(prior_scale, dtype=self.dtype))
        variables = [var for pair in self._vectors for var in pair]
        for variable, value in zip([*variables, *self._adam_state], state, strict=True):
            variable.set_value(np.array(value, dtype=variable.dtype))
        self._reseed(seed)

    def _reseed(self, seed):
        self._seed = seed
        for function in (self._function, self._gradient_function):
            if function is not None:
                _seed_draws(function, self._mode, seed)

    def __call__(self, X_batch, y_batch, row_weights, learning_rate):
        """Take one optimisation step; return the negative ELBO estimate."""
        return float(
            self._function(
                X_batch,
                y_batch,
                row_weights,
                np.asarray(learning_rate, dtype=self.dtype),
            )
        )

    def read(self):
        """Return the current posterior as float64 numpy arrays.

        Returns
        -------
        posterior : dict of str to (ndarray, ndarray)
        """
        return dict(self.snapshot())

    def snapshot(self):
        """Return the current posterior, converted to numpy only when read.

        The stopping rule keeps the best posterior it sees, which on small
        data is a new one almost every step; converting each would cost more
        than the step. The JAX linker replaces the arrays of the variational
        parameters at each step instead of writing into them, so holding on
        to the current ones copies nothing.

        Returns
        -------
        posterior : PosteriorSnapshot
        """
        # borrow=True hands out the stored arrays; other linkers update
        # them in place, so they are copied there.
        borrow = self._mode == "JAX"
        return PosteriorSnapshot(
            [
                (mean.get_value(borrow=borrow), rho.get_value(borrow=borrow))
                for mean, rho in self._vectors
            ],
            self._layout,
        )

    def is_finite(self):
        """Whether every variational parameter is finite."""
        return all(
            np.isfinite(np.asarray(variable.get_value())).all()
            for pair in self._vectors
            for variable in pair
        )


def _seed_draws(function, mode, seed):
    # The JAX linker compiles copies of the RNG shared variables, so the
    # copies held by the compiled function are the ones to reseed.
    convert = _rng_converter(mode)
    for index, variable in enumerate(function.maker.fgraph.inputs):
        if isinstance(variable.type, RandomType):
            rng = np.random.default_rng([seed, index])
            function.input_storage[index].storage[0] = convert(rng)


def _rng_converter(mode):
    if mode == "JAX":
        from pytensor.link.jax.dispatch import jax_typify

        return jax_typify
    return lambda rng: rng


STEP_CACHE = StepCache()


def build_step(
    network,
    *,
    prior,
    prior_scale,
    likelihood,
    dtype,
    mode,
    verbose,
    gradient_estimator="weights",
):
    """Build the PyMC model of ``network`` and compile its ADVI step.

    Parameters
    ----------
    network : object
        Architecture description from ``skbnn._model.networks``.
    prior : str
        Key of ``skbnn._model.priors.PRIORS``.
    prior_scale : float
        Initial scale of the prior (an input of the step).
    likelihood : object
        One of ``skbnn._model.likelihoods``.
    dtype : str
        Float type of the step.
    mode : str
        PyTensor mode that compiles it.
    verbose : bool
        Say how long building took: the first fit of an architecture in a
        process pays for it, and JAX compiles on the first step.
    gradient_estimator : {"local", "weights"}, default="weights"
        See :class:`AdviStep`.

    Returns
    -------
    step : AdviStep
    """
    start = time.perf_counter()
    batch_model = build_model(
        network,
        prior=prior,
        prior_scale=prior_scale,
        likelihood=likelihood,
        dtype=dtype,
    )
    step = AdviStep(batch_model, mode=mode, gradient_estimator=gradient_estimator)
    if verbose:
        print(
            f"Built the ADVI step in {time.perf_counter() - start:.1f} s; JAX "
            "compiles it on the first step (once per architecture and process)."
        )
    return step


@contextlib.contextmanager
def compiled_step(
    network,
    likelihood,
    *,
    prior,
    prior_scale,
    dtype,
    device,
    verbose,
    gradient_estimator="weights",
):
    """Lend the cached ADVI step of a model, inside its device's context.

    A step is built (see :func:`build_step`) only when none of the same
    network, prior, likelihood, gradient estimator, dtype and device is free
    in ``STEP_CACHE``;
    the prior scale is an input of the step, not part of the key.

    Yields
    ------
    step : AdviStep
    """
    with device_context(device) as resolved:
        key = (network, prior, likelihood, gradient_estimator, dtype, resolved)

        def build():
            return build_step(
                network,
                prior=prior,
                prior_scale=prior_scale,
                likelihood=likelihood,
                dtype=dtype,
                mode=compile_mode(resolved),
                verbose=verbose,
                gradient_estimator=gradient_estimator,
            )

        step = STEP_CACHE.borrow(key, build)
        try:
            yield step
        finally:
            STEP_CACHE.give_back(key, step)
