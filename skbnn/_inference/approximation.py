"""The mean-field Gaussian approximation, laid out in flat vectors.

Each free variable of the PyMC model has a mean and a softplus-parametrised
standard deviation, as in PyMC's ``MeanField``; they live in a few flat
shared vectors (:func:`vector_layout`), and one reparametrised draw per step
covers every drawn variable.
"""

from collections.abc import Mapping

import numpy as np
import pytensor
import pytensor.tensor as pt

from .sampled_layers import normal_draw

# Variables with this many entries or more get a vector of variational
# parameters of their own (see vector_layout).
OWN_VECTOR_FROM = 2**14


def softplus(x):
    """``log(1 + exp(x))``, the std of a softplus-parametrised ``rho``."""
    return np.logaddexp(0.0, x)


def inverse_softplus(y):
    """Return the ``rho`` of a standard deviation ``y``."""
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


def vector_layout(names_and_shapes):
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


def variable_in(vector, entries, size, shape):
    """Return one variable's entries of a symbolic vector, in its shape.

    A variable alone in its vector (of ``size`` entries) is the whole vector,
    unsliced.
    """
    if entries.stop - entries.start < size:
        vector = vector[entries]
    return vector.reshape(shape)


def shared_vectors(sizes, dtype):
    """Return the shared ``(mean, rho)`` vectors of a layout's ``sizes``."""
    return [
        tuple(
            pytensor.shared(np.zeros(size, dtype), name, shape=(size,))
            for name in (f"advi_mu_{index}", f"advi_rho_{index}")
        )
        for index, size in enumerate(sizes)
    ]


def moments_and_draws(vectors, sizes, layout, values, undrawn, dtype):
    """Symbolic moments and one draw of each variable, and ``q``'s entropy.

    Parameters
    ----------
    vectors : list of (SharedVariable, SharedVariable)
        The ``(mean, rho)`` vectors.
    sizes, layout
        As :func:`vector_layout` returned them.
    values : dict of str to TensorVariable
        The model's value variables by name.
    undrawn : set of str
        Variables that are not drawn (their expectation is exact).
    dtype : str
        Float type.

    Returns
    -------
    moments : dict of TensorVariable to (TensorVariable, TensorVariable)
        Each value variable's mean and std.
    draws : dict of TensorVariable to TensorVariable
        A draw of each drawn value variable.
    entropy : TensorVariable
        The Gaussian entropy, up to a constant.
    updates : dict
        The draw's RNG update.
    """
    drawn_vectors = {index for name, index, _, _ in layout if name not in undrawn}
    # One draw for all drawn variables: a random draw per variable made up
    # much of the compiled graph.
    n_drawn = sum(sizes[index] for index in drawn_vectors)
    updates = {}
    if n_drawn:
        noise, rng, next_rng = _standard_normal((n_drawn,), dtype)
        updates[rng] = next_rng
    vector_moments, vector_draws, entropy, offset = [], [], 0.0, 0
    for index, ((mean, rho), size) in enumerate(zip(vectors, sizes)):
        std = pt.softplus(rho)
        vector_moments.append((mean, std))
        entropy = entropy + pt.log(std).sum()
        if index in drawn_vectors:
            vector_draws.append(mean + std * noise[offset : offset + size])
            offset += size
        else:
            vector_draws.append(None)
    moments, draws = {}, {}
    for name, index, entries, shape in layout:
        size = sizes[index]
        moments[values[name]] = tuple(
            variable_in(vector, entries, size, shape)
            for vector in vector_moments[index]
        )
        if name not in undrawn:
            draws[values[name]] = variable_in(vector_draws[index], entries, size, shape)
    return moments, draws, entropy, updates


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
                    softplus(np.asarray(rho, dtype=np.float64)),
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
