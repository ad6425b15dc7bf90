"""The compiled step of minibatch ADVI on a PyMC model's log-density.

PyMC builds the model and its log-density; this module compiles one step of
ADVI on it: a mean-field Gaussian over the model's free variables, one
reparametrised draw, the entropy, the minibatch's scaled log-likelihood and an
Adam update. The step is compiled once per model structure and kept in a
cache: the minibatch, its rows' likelihood weights and the learning rate are
inputs of the compiled function, and the variational parameters are reset in
place at the start of each run. A refit on other data (a cross-validation
fold, a warm start) compiles nothing. ``skbnn._training`` runs the steps.
"""

import contextlib
import threading
import time
from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
from pymc.initial_point import make_initial_point_fn
from pytensor.graph.replace import graph_replace
from pytensor.tensor.random.basic import NormalRV
from pytensor.tensor.random.type import RandomType

try:
    from pytensor.graph.traversal import graph_inputs
except ImportError:  # PyTensor before 2.32
    from pytensor.graph.basic import graph_inputs

from ._device import compile_mode, device_context
from ._model import build_model
from ._posterior import free_weight_name
from ._sampled_layers import (
    GaussianWeights,
    NoiseSource,
    SampledOutputLayers,
    normal_draw,
)

# Variables with this many entries or more get a vector of variational
# parameters of their own (see _vector_layout).
OWN_VECTOR_FROM = 2**14

# How the step estimates the gradient of the ELBO (see AdviStep).
GRADIENT_ESTIMATORS = ("local", "weights")

# Adam's constants (Kingma and Ba, 2015).
ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON = 0.9, 0.999, 1e-8


def _softplus(x):
    return np.logaddexp(0.0, x)


def _inverse_softplus(y):
    # Each standard deviation is parametrised as softplus(rho), as in PyMC.
    return y + np.log(-np.expm1(-y))


def _standard_normal(shape, dtype):
    """Return a symbolic N(0, 1) draw, its RNG and the RNG's next state.

    Updating the RNG to its next state on every call of the compiled function
    makes every call draw afresh.
    """
    rng = pytensor.shared(np.random.default_rng())
    noise, next_rng = normal_draw(rng, shape, dtype)
    return noise, rng, next_rng


def _adam_updates(loss, params, learning_rate):
    step = pytensor.shared(np.asarray(0.0, dtype=loss.dtype), name="adam_t")
    t = step + 1
    updates = {step: t}
    grads = pt.grad(loss, params)
    # Bias corrections folded into the step size, as in the Adam paper's
    # "efficient version" of its algorithm.
    step_size = (
        learning_rate * pt.sqrt(1 - ADAM_BETA2**t) / (1 - ADAM_BETA1**t)
    ).astype(loss.dtype)
    for param, grad in zip(params, grads, strict=True):
        zeros = np.zeros(param.type.shape, dtype=param.dtype)
        first = pytensor.shared(zeros, shape=param.type.shape)
        second = pytensor.shared(zeros.copy(), shape=param.type.shape)
        new_first = ADAM_BETA1 * first + (1 - ADAM_BETA1) * grad
        new_second = ADAM_BETA2 * second + (1 - ADAM_BETA2) * pt.square(grad)
        updates[first] = new_first
        updates[second] = new_second
        updates[param] = param - step_size * new_first / (
            pt.sqrt(new_second) + ADAM_EPSILON
        )
    return updates


def _vector_layout(names_and_shapes):
    """Place the variables in flat vectors of variational parameters.

    Small variables share one vector, so the compiled step updates them all
    with one Adam update: one update per variable made up much of the graph,
    and compiling it dominated a cold fit on small data. Large variables get
    a vector each, as slicing them out of a shared vector made XLA's CPU step
    of the MNIST 2x800 MLP half as fast.

    Parameters
    ----------
    names_and_shapes : list of (str, tuple of int)

    Returns
    -------
    layout : list of (str, int, slice, tuple of int)
        Name, vector index, entries in that vector and shape of each variable.
    sizes : list of int
        Length of each vector.
    """
    sizes, layout, shared_vector = [], [], None
    for name, shape in names_and_shapes:
        size = int(np.prod(shape, dtype=int))
        if size >= OWN_VECTOR_FROM:
            index, start = len(sizes), 0
            sizes.append(size)
        else:
            if shared_vector is None:
                shared_vector = len(sizes)
                sizes.append(0)
            index, start = shared_vector, sizes[shared_vector]
            sizes[index] += size
        layout.append((name, index, slice(start, start + size), shape))
    return layout, sizes


def _variable_in(vector, entries, size, shape):
    """Return one variable's entries of a symbolic vector, in its shape.

    A variable alone in its vector (of ``size`` entries) is the whole vector,
    unsliced.
    """
    if entries.stop - entries.start < size:
        vector = vector[entries]
    return vector.reshape(shape)


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
      given the Gaussians of their weights (``skbnn._sampled_layers``), and
      the log-prior of every variable with a Normal prior is its exact
      expectation under ``q``: PyMC's log-density at the mean plus the
      Normal's curvature term. Such weights are
      never drawn; the other variables (prior scales, noise) are, as above.
      Lower variance, and no draw of millions of weights per step.

    Parameters
    ----------
    batch_model : skbnn._model.BatchModel
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
        self._initial_point = make_initial_point_fn(
            model=model, return_transformed=True
        )
        initial_point = self._initial_point(0)
        self._layout, sizes = _vector_layout(
            [
                (value.name, np.shape(initial_point[value.name]))
                for value in model.value_vars
            ]
        )
        self._vectors = [
            tuple(
                pytensor.shared(np.zeros(size, dtype), name, shape=(size,))
                for name in (f"advi_mu_{index}", f"advi_rho_{index}")
            )
            for index, size in enumerate(sizes)
        ]
        values = {value.name: value for value in model.value_vars}
        network_weights = (
            {
                free_weight_name(values, name): name
                for name, _, _ in batch_model.network.parameters()
            }
            if local
            else {}
        )
        expected_prior = _normal_prior_variables(model) if local else set()
        undrawn = expected_prior & network_weights.keys()
        drawn_vectors = {
            index for name, index, _, _ in self._layout if name not in undrawn
        }
        # One draw for all drawn variables: a random draw per variable made up
        # much of the compiled graph.
        n_drawn = sum(sizes[index] for index in drawn_vectors)
        updates = {}
        if n_drawn:
            noise, rng, next_rng = _standard_normal((n_drawn,), dtype)
            updates[rng] = next_rng
        vector_moments, vector_draws, entropy, offset = [], [], 0.0, 0
        for index, ((mean, rho), size) in enumerate(zip(self._vectors, sizes)):
            std = pt.softplus(rho)
            vector_moments.append((mean, std))
            entropy = entropy + pt.log(std).sum()
            if index in drawn_vectors:
                vector_draws.append(mean + std * noise[offset : offset + size])
                offset += size
            else:
                vector_draws.append(None)
        moments, draws = {}, {}
        for name, index, entries, shape in self._layout:
            size = sizes[index]
            moments[values[name]] = tuple(
                _variable_in(vector, entries, size, shape)
                for vector in vector_moments[index]
            )
            if name not in undrawn:
                draws[values[name]] = _variable_in(
                    vector_draws[index], entries, size, shape
                )
        row_weights = pt.vector("row_weights", dtype=dtype)
        learning_rate = pt.scalar("learning_rate", dtype=dtype)
        if local:
            prior_logp = _expected_prior_logp(model, expected_prior, moments, draws)
            noise_source = NoiseSource(dtype)
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
        loss = -(prior_logp + pt.dot(row_weights, row_logp) + entropy)
        params = [variable for pair in self._vectors for variable in pair]
        inputs = [batch_model.X_batch, batch_model.y_batch, row_weights]
        # What gradient() compiles, on first use.
        self._gradient_graph = (inputs, loss, params, dict(updates))
        self._gradient_function = None
        self._seed = 0
        adam_updates = _adam_updates(loss, params, learning_rate)
        self._adam_state = [var for var in adam_updates if var not in params]
        updates.update(adam_updates)
        self._function = pytensor.function(
            [*inputs, learning_rate], loss, updates=updates, mode=mode
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
                    mode=self._mode,
                )
            _seed_draws(self._gradient_function, self._mode, self._seed)
        return [
            np.asarray(grad)
            for grad in self._gradient_function(X_batch, y_batch, row_weights)
        ]

    @property
    def variable_names(self):
        """Names of the model's value variables that ``q`` covers."""
        return [name for name, _, _, _ in self._layout]

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
        initial_point = self._initial_point(0)
        means = [np.empty(mean.type.shape, self.dtype) for mean, _ in self._vectors]
        stds = [np.empty_like(mean) for mean in means]
        for name, index, entries, shape in self._layout:
            mean, std = posterior.get(name, (initial_point[name], default_std))
            means[index][entries] = np.broadcast_to(mean, shape).ravel()
            stds[index][entries] = np.broadcast_to(std, shape).ravel()
        for (mean, rho), mean_value, std_value in zip(self._vectors, means, stds):
            mean.set_value(mean_value)
            rho.set_value(_inverse_softplus(std_value).astype(self.dtype))
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


class PosteriorSnapshot(Mapping):
    """A posterior read lazily: means and softplus-parametrised stds.

    Maps each variable name to its (mean, std) as float64 numpy arrays,
    converted from the stored ``(mean, rho)`` arrays on first access.
    """

    def __init__(self, vectors, layout):
        self._vectors = vectors
        self._layout = layout
        self._posterior = None

    def _converted(self):
        if self._posterior is None:
            vectors = [
                (
                    np.asarray(mean, dtype=np.float64),
                    _softplus(np.asarray(rho, dtype=np.float64)),
                )
                for mean, rho in self._vectors
            ]
            self._posterior = {
                name: tuple(vector[entries].reshape(shape) for vector in vectors[index])
                for name, index, entries, shape in self._layout
            }
            self._vectors = None
        return self._posterior

    def __getitem__(self, name):
        return self._converted()[name]

    def __iter__(self):
        return iter(self._converted())

    def __len__(self):
        return len(self._converted())


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


class StepCache:
    """Compiled ADVI steps by key, each lent to one fit at a time.

    A compiled step holds its variational state, so two fits running at once
    in one process (threads) get separate copies.
    """

    def __init__(self):
        self._free = {}
        self._lock = threading.Lock()

    def borrow(self, key, build):
        """Take a free step for ``key``, or build one with ``build()``."""
        with self._lock:
            free = self._free.get(key, [])
            if free:
                return free.pop()
        return build()

    def give_back(self, key, step):
        """Make ``step`` available to the next fit with the same ``key``."""
        with self._lock:
            self._free.setdefault(key, []).append(step)

    def __len__(self):
        """Return the number of compiled steps not lent out (all, between fits)."""
        with self._lock:
            return sum(len(steps) for steps in self._free.values())


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
        Architecture description from ``skbnn._networks``.
    prior : str
        Key of ``skbnn._priors.PRIORS``.
    prior_scale : float
        Initial scale of the prior (an input of the step).
    likelihood : object
        One of ``skbnn._likelihoods``.
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
