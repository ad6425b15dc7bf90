"""How a fit starts: its seeds, each run's initial posterior, the batch size."""

import warnings
from dataclasses import dataclass

import numpy as np

from .._model.priors import free_weight_name


@dataclass(frozen=True)
class FitSeeds:
    """The seeds of one fit, all drawn from its ``random_state``.

    Attributes
    ----------
    split : int
        Seeds the validation split.
    prediction : int
        Seeds the posterior draws of every prediction of the fitted model.
    members : list of list of (int, int)
        ``(init_seed, advi_seed)`` of each restart of each member.
    """

    split: int
    prediction: int
    members: list


def draw_fit_seeds(random_state, ensemble_size, n_init):
    """Draw a fit's seeds from a ``RandomState``.

    The first member's first run has seeds drawn before the others', so it is
    the same fit whatever ``ensemble_size`` and ``n_init`` are.
    """
    most = np.iinfo(np.int32).max
    init_seed, split_seed, advi_seed, prediction_seed = random_state.randint(
        most, size=4
    )
    seeds = [
        (init_seed, advi_seed),
        *random_state.randint(most, size=(ensemble_size * n_init - 1, 2)),
    ]
    members = [seeds[m * n_init : (m + 1) * n_init] for m in range(ensemble_size)]
    return FitSeeds(split_seed, prediction_seed, members)


# Variational standard deviations start small, so the first steps follow the
# means as plain gradient descent would, before the posterior spread grows.
# Weights start at 1/64 of their layer's Glorot bound: near 1e-2 for small
# networks and 1e-3 for MNIST's 2x800 MLP, the values that suited each
# (benchmarks/bench_small.py, examples/mnist_mlp.py). Other variables (prior
# scales, noise) start at INITIAL_STD.
INITIAL_STD = 1e-2
INITIAL_STD_OF_BOUND = 1 / 64


def glorot_initial_posterior(network, variable_names, activation, seed):
    """Return a run's initial posterior: Glorot-uniform means, small stds.

    Glorot-uniform means as in scikit-learn's MLP (Glorot and Bengio, 2010)
    are random enough to break the symmetry between hidden units. The
    hierarchical prior's standardised weights start there too; its layer
    scales, left out, start at their prior's initial point and multiply them.

    Parameters
    ----------
    network : object
        Architecture description from ``skbnn._model.networks``.
    variable_names : container of str
        The model's free variables.
    activation : str
        The hidden layers' activation.
    seed : int
        Seeds the means.

    Returns
    -------
    posterior : dict of str to (ndarray, float)
    """
    rng = np.random.default_rng(seed)
    factor = 2.0 if activation == "logistic" else 6.0
    posterior = {}
    for name, shape, fan_in in network.parameters():
        bound = np.sqrt(factor / (fan_in + shape[-1]))
        posterior[free_weight_name(variable_names, name)] = (
            rng.uniform(-bound, bound, shape),
            INITIAL_STD_OF_BOUND * bound,
        )
    return posterior


def resolve_batch_size(batch_size, n_samples):
    """Rows of a minibatch: ``"auto"`` is ``min(200, n_samples)``.

    A larger batch than the data is clipped to it, with scikit-learn's MLP's
    warning.
    """
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is "
            "going to be clipped"
        )
    return min(batch_size, n_samples)


def initial_point_function(model):
    """Return a function that evaluates the model's initial point.

    The support points of the free variables on their transformed scale,
    without jitter: what ``pymc.initial_point.make_initial_point_fn(model=model,
    return_transformed=True)`` gives. PyMC compiles that function with the
    ``FAST_COMPILE`` mode, whose virtual machine imports PyTensor's C backend
    (and, with it, setuptools: most of a second of a first fit, and PyTensor's
    warning about BLAS); this one is compiled for PyTensor's Python linker,
    which is all a few scalars need.

    Parameters
    ----------
    model : pymc.Model

    Returns
    -------
    initial_point : callable
        Called without arguments, gives a dict from each value variable's
        name to its initial value. It follows shared variables the model
        reads (a prior scale set later).
    """
    from pymc.initial_point import make_initial_point_expression
    from pymc.pytensorf import compile as compile_pymc
    from pytensor.compile.mode import Mode

    values = make_initial_point_expression(
        free_rvs=model.free_RVs,
        rvs_to_transforms=model.rvs_to_transforms,
        initval_strategies=model.rvs_to_initial_values,
        return_transformed=True,
    )
    function = compile_pymc(
        [], values, mode=Mode(linker="py", optimizer="fast_compile")
    )
    names = [model.rvs_to_values[rv].name for rv in model.free_RVs]
    return lambda: dict(zip(names, function()))
