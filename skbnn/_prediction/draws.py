"""The draw engine: a fitted network's outputs under posterior draws, averaged.

Weights are drawn from the mean-field posterior, or from an equal-weight
mixture of several, in chunks of draws and pushed through one compiled forward
pass per chunk, vectorised over the draws. Averages over draws need only each
row's draws to follow its posterior predictive: an MLP's first layer then
draws its pre-activations from their Gaussian given the row instead of its
weights. The draws depend only on the seed and the chunk, never on ``X``.
Every call of a compiled forward pass gets a block of the same number of
rows, the last one padded, so every row goes through the same compiled code
whatever the other rows are: a matrix product compiled for another row count
may pick other kernels and round differently.
Each row's draws are then summed in one order whatever its block. Predicting a
subset of rows, or the rows in another order, therefore gives the same numbers
to the bit.
"""

import functools
import math

import numpy as np
import pytensor
import pytensor.tensor as pt
from sklearn.utils import gen_batches

from .._inference.device import pytensor_mode
from .._model.likelihoods import INVERSE_LINKS
from .._model.networks import coef_name, intercept_name

# Networks with fewer weights than this are evaluated on many draws per call,
# where call overhead would dominate; larger ones one draw per call, as JAX's
# batched matrix products on the CPU run at about half the speed of its plain
# ones on the MNIST MLP's layers.
_VECTORISE_DRAWS_BELOW = 2**18

# Upper bounds on the floats held at once, so memory stays bounded for wide
# networks, many draws and many rows. Smaller blocks of rows stay in cache:
# the default conv net predicted faster with 2**22 activations than with 2**23,
# and the 2x800 MLP no slower (benchmarks/bench_predict.py).
_SAMPLED_WEIGHTS_BUDGET = 2**22
_ACTIVATIONS_BUDGET = 2**22

# The stream of the seed that assigns draws to mixture members; the chunks'
# streams are numbered from 0 and never reach it.
_MEMBERS_STREAM = 2**32 - 1

# Bounds on the rows of the one block shape. A power of two of at least 8
# rows fills the matrix products' tiles. A one-row prediction computes a whole
# block, so the block is kept small enough that its forward pass costs about
# what drawing a large network's weights costs, and large enough that a large
# prediction runs as fast as on larger blocks (benchmarks/bench_predict.py).
_MIN_BLOCK_ROWS = 8
_MAX_BLOCK_ROWS = 512


@functools.cache
def _compiled_forward(network, inverse_link, mode, dtype, n_chunk_draws):
    """Compile ``X, params -> inverse_link(network(X, params))``.

    With ``n_chunk_draws`` every parameter has a leading axis of that many
    draws. Its size is fixed: layers that broadcast a draws axis against
    another (a convolution's feature maps against its kernel) then need no
    shape arithmetic at run time, which JAX cannot trace.
    """
    X = pt.matrix("X", dtype=dtype)
    draws = () if n_chunk_draws is None else (n_chunk_draws,)
    params = _parameter_inputs(network, dtype, draws)
    outputs = INVERSE_LINKS[inverse_link](network.forward(X, params))
    return _trusting(
        pytensor.function([X, *params.values()], outputs, mode=pytensor_mode(mode))
    )


def _trusting(function):
    """Make ``function`` take its inputs as given: arrays already on the device.

    The callers build every input with the compiled dtype and shape, so
    PyTensor's checks, which would copy a device array back to the host,
    are skipped.
    """
    function.trust_input = True
    return function


def _on_device(arrays, mode):
    """Move ``arrays`` to JAX's device once, for the calls that reuse them."""
    if mode != "JAX":
        return arrays
    import jax

    return [jax.device_put(array) for array in arrays]


def _chunk_size(n_draws, n_weights):
    """Draws evaluated per call: one for large networks, else a balanced share."""
    if n_weights >= _VECTORISE_DRAWS_BELOW:
        return 1
    most = max(1, _SAMPLED_WEIGHTS_BUDGET // n_weights)
    n_chunks = -(-n_draws // most)
    return -(-n_draws // n_chunks)


def _rows_per_block(activations_per_call_row):
    """Rows of the one block shape that every call computes on.

    The largest power of two within the activations budget, clipped to
    ``[_MIN_BLOCK_ROWS, _MAX_BLOCK_ROWS]``; it depends on the network and the
    draws per call only, never on the rows to predict.
    """
    most = max(1, _ACTIVATIONS_BUDGET // activations_per_call_row)
    power_of_two = 1 << (most.bit_length() - 1)
    return max(_MIN_BLOCK_ROWS, min(_MAX_BLOCK_ROWS, power_of_two))


def draw_members(n_draws, n_members, seed):
    """Assign each of ``n_draws`` draws to a member of a mixture.

    Every member gets ``n_draws // n_members`` draws, or one more: stratified
    draws give each member its equal weight with less Monte Carlo noise than
    independent picks. A seeded rotation decides which members get one more,
    and a seeded shuffle the order, so that any one draw, even a single one,
    comes from a member picked uniformly at random.

    Parameters
    ----------
    n_draws : int
        Number of draws.
    n_members : int
        Number of members of the mixture.
    seed : int
        Seed of the draws.

    Returns
    -------
    members : ndarray of int of shape (n_draws,)
    """
    if n_members == 1:
        return np.zeros(n_draws, dtype=int)
    rng = np.random.default_rng([seed, _MEMBERS_STREAM])
    shares = np.arange(n_draws) * n_members // n_draws
    return rng.permutation((shares + rng.integers(n_members)) % n_members)


def _parameter_inputs(network, dtype, draws, skip=()):
    """Symbolic inputs for the parameters of ``network`` not in ``skip``."""
    return {
        name: pt.tensor(name, shape=(*draws, *shape), dtype=dtype)
        for name, shape, _ in network.parameters()
        if name not in skip
    }


@functools.cache
def _compiled_first_layer_moments(mode, dtype):
    """Compile ``X, mean, std -> X @ mean, sqrt(X**2 @ std**2)``.

    The mean and standard deviation of ``X @ W`` for a Gaussian ``W`` with
    independent entries; each unit's pre-activation is Gaussian given ``X``.
    """
    X = pt.matrix("X", dtype=dtype)
    mean = pt.matrix("mean", dtype=dtype)
    std = pt.matrix("std", dtype=dtype)
    outputs = [pt.matmul(X, mean), pt.sqrt(pt.matmul(X**2, std**2))]
    return _trusting(
        pytensor.function([X, mean, std], outputs, mode=pytensor_mode(mode))
    )


@functools.cache
def _compiled_forward_from_moments(
    network, inverse_link, mode, dtype, n_chunk_draws, moments_per_draw
):
    """Compile the forward pass that samples the first layer's pre-activations.

    Inputs are the first layer's pre-activation mean and std without its
    scale and bias (:func:`_compiled_first_layer_moments`), one standard
    normal per unit and draw, one scale per draw, then the first layer's bias
    and every later parameter, each draw's as in :func:`_compiled_forward`.
    With ``moments_per_draw`` the moments have the draws axis too (a mixture
    whose members give each draw its own), else they broadcast over it.
    """
    draws = () if n_chunk_draws is None else (n_chunk_draws,)
    moment_draws = draws if moments_per_draw or not draws else (1,)
    width = network.layer_units[1]
    mean = pt.tensor("mean", shape=(*moment_draws, None, width), dtype=dtype)
    std = pt.tensor("std", shape=(*moment_draws, None, width), dtype=dtype)
    noise = pt.tensor("noise", shape=(*draws, width), dtype=dtype)
    scale = pt.tensor("scale", shape=draws, dtype=dtype)
    params = _parameter_inputs(network, dtype, draws, skip={coef_name(0)})
    first = pt.expand_dims(scale, (-1, -2)) * (mean + std * pt.expand_dims(noise, -2))
    first = first + pt.expand_dims(params[intercept_name(0)], -2)
    outputs = INVERSE_LINKS[inverse_link](
        network.forward_after_first_layer(first, params)
    )
    return _trusting(
        pytensor.function(
            [mean, std, noise, scale, *params.values()],
            outputs,
            mode=pytensor_mode(mode),
        )
    )


def _padded(rows, n_rows):
    """``rows`` followed by zero rows up to ``n_rows``."""
    out = np.empty((n_rows, rows.shape[1]), dtype=rows.dtype)
    out[: len(rows)] = rows
    out[len(rows) :] = 0
    return out


class _DrawnWeights:
    """Every draw is one set of weights, drawn whole, applied to every row."""

    def __init__(
        self, network, posterior, *, inverse_link, mode, dtype, n_chunk_draws, block
    ):
        self._posterior = posterior
        self._mode = mode
        self._block = block
        self._names = [name for name, _, _ in network.parameters()]
        self._dtype = dtype
        self.over_draws = n_chunk_draws is not None
        self._forward = _compiled_forward(
            network, inverse_link, mode, dtype.name, n_chunk_draws
        )

    def rows_per_pass(self):
        # Nothing is kept per row: one pass over every row.
        return None

    def prepare(self, rows):
        # Padded when its turn comes: no copy of X is kept.
        return rows

    def forward(self, rows, draws, members):
        # A new block each call: the call before may still be reading its own.
        return self._forward(_padded(rows, self._block), *draws)

    def draw(self, rng, members):
        draws = [
            self._posterior.draw(name, rng, members, self._dtype)
            for name in self._names
        ]
        return _on_device(
            draws if self.over_draws else [draw[0] for draw in draws], self._mode
        )


class _FirstLayerFromMoments:
    """An MLP whose first layer's pre-activations are drawn given each row.

    For mean-field Gaussian weights ``W`` (or ``s * W`` with one scale ``s``
    per draw), a row's pre-activations ``x @ W`` are independent Gaussians
    with mean ``x @ mean`` and variance ``x**2 @ std**2``: two matrix products
    for all draws instead of one per draw. The standard normals are drawn per
    unit and draw and shared by the rows, so each row's draws are draws of
    its posterior predictive, and a row's numbers do not depend on the
    others; draws of two rows are not draws of one network.
    """

    # Floats of moments kept at once; the draws are drawn again per pass.
    _BUDGET = 2**24

    def __init__(
        self, network, posterior, *, inverse_link, mode, dtype, n_chunk_draws, block
    ):
        self._posterior = posterior
        self._mode = mode
        self._block = block
        self._width = network.layer_units[1]
        self._names = [
            name for name, _, _ in network.parameters() if name != coef_name(0)
        ]
        self._dtype = dtype
        self.over_draws = n_chunk_draws is not None
        self._moments = _compiled_first_layer_moments(mode, dtype.name)
        self._factors = [
            [
                np.asarray(moment, dtype=dtype)
                for moment in posterior.gaussian_factor(coef_name(0), index)
            ]
            for index in range(posterior.n_members)
        ]
        self._mixture = posterior.n_members > 1
        self._forward = _compiled_forward_from_moments(
            network, inverse_link, mode, dtype.name, n_chunk_draws, self._mixture
        )

    def rows_per_pass(self):
        per_row = 2 * len(self._factors) * self._width
        return max(1, self._BUDGET // (per_row * self._block)) * self._block

    def prepare(self, rows):
        # One member's moments stay on the device for every draw; a mixture's
        # are stacked, shaped (n_members, n_rows, width), for each draw to
        # pick its member's.
        block = _padded(rows, self._block)
        if not self._mixture:
            mean, std = self._moments(block, *self._factors[0])
            return (mean[None], std[None]) if self.over_draws else (mean, std)
        means, stds = zip(
            *(self._moments(block, *factor) for factor in self._factors), strict=True
        )
        return np.stack(means), np.stack(stds)

    def draw(self, rng, members):
        noise = rng.standard_normal((len(members), self._width), dtype=self._dtype)
        scale = self._posterior.draw_scale(coef_name(0), rng, members, self._dtype)
        draws = [noise, scale] + [
            self._posterior.draw(name, rng, members, self._dtype)
            for name in self._names
        ]
        return _on_device(
            draws if self.over_draws else [draw[0] for draw in draws], self._mode
        )

    def forward(self, moments, draws, members):
        mean, std = moments
        if self._mixture:
            pick = members if self.over_draws else members[0]
            mean, std = mean[pick], std[pick]
        return self._forward(mean, std, *draws)


def _first_layer_from_moments_applies(network, posterior):
    return network.first_layer_is_dense and posterior.has_one_scale_per_tensor(
        coef_name(0)
    )


def _prediction_plan(posterior, network, inverse_link, n_draws, mode, dtype, joint):
    """Choose how to draw: the plan, draws per call and rows per block."""
    n_weights = sum(math.prod(shape) for _, shape, _ in network.parameters())
    over_draws = n_weights < _VECTORISE_DRAWS_BELOW
    chunk_size = _chunk_size(n_draws, n_weights)
    rows_per_block = _rows_per_block(chunk_size * network.activations_per_row)
    by_moments = not joint and _first_layer_from_moments_applies(network, posterior)
    plan = (_FirstLayerFromMoments if by_moments else _DrawnWeights)(
        network,
        posterior,
        inverse_link=inverse_link,
        mode=mode,
        dtype=dtype,
        n_chunk_draws=chunk_size if over_draws else None,
        block=rows_per_block,
    )
    return plan, chunk_size, rows_per_block


def iter_draw_outputs(
    posterior, X, *, network, inverse_link, n_draws, seed, mode, joint=True
):
    """Yield the network's per-draw outputs on row blocks of ``X``.

    Parameters
    ----------
    posterior : skbnn._prediction.posterior.Posterior
        The posterior over the parameters of ``network``; the draws are shared
        among its members by :func:`draw_members`.
    X : ndarray of shape (n_samples, n_features)
        Inputs; their dtype is the dtype of the computation.
    network : object
        Architecture description from ``skbnn._model.networks``.
    inverse_link : str
        Key of ``skbnn._model.likelihoods.INVERSE_LINKS`` applied to the outputs.
    n_draws : int
        Number of posterior draws.
    seed : int
        Seed of the draws.
    mode : str
        PyTensor compilation mode.
    joint : bool, default=True
        True: each draw is one network applied to every row, a draw of the
        network's function. False: each row's draws need only follow its own
        posterior predictive (all a row's average uses); an MLP's first layer
        then samples its pre-activations given the row.

    Yields
    ------
    draws : slice
        The draws the outputs belong to.
    rows : slice
        The rows of ``X`` the outputs belong to.
    outputs : ndarray of shape (n_chunk_draws, n_rows, n_outputs)
        Outputs for a chunk of draws; every draw appears once per row block.
    """
    plan, chunk_size, rows_per_block = _prediction_plan(
        posterior, network, inverse_link, n_draws, mode, X.dtype, joint
    )
    over_draws = plan.over_draws
    n_samples = X.shape[0]
    members = draw_members(n_draws, posterior.n_members, seed)
    rows_per_pass = plan.rows_per_pass() or max(n_samples, 1)
    in_flight = None
    for pass_rows in gen_batches(n_samples, rows_per_pass):
        blocks = _prepared_blocks(plan, X, pass_rows, rows_per_block)
        for chunk, first_draw in enumerate(range(0, n_draws, chunk_size)):
            draws, chunk_members = _chunk(first_draw, chunk_size, members)
            drawn = plan.draw(np.random.default_rng([seed, chunk]), chunk_members)
            for rows, prepared in blocks:
                # JAX computes a call while Python goes on: the next call is
                # dispatched (or the next chunk drawn) before this one is read.
                started = plan.forward(prepared, drawn, chunk_members)
                if in_flight is not None:
                    yield _finished(*in_flight, over_draws)
                in_flight = draws, rows, started
    if in_flight is not None:
        yield _finished(*in_flight, over_draws)


def _prepared_blocks(plan, X, pass_rows, rows_per_block):
    """Cut a pass's rows into blocks; return each with what the plan prepared."""
    blocks = []
    for start in range(pass_rows.start, pass_rows.stop, rows_per_block):
        rows = slice(start, min(start + rows_per_block, pass_rows.stop))
        blocks.append((rows, plan.prepare(X[rows])))
    return blocks


def _chunk(first_draw, chunk_size, members):
    """Return a chunk's draws and the member of each of its ``chunk_size`` draws.

    Every chunk samples ``chunk_size`` draws, so one compiled function serves
    all; the last chunk drops the draws beyond ``len(members)``. The draws
    depend on the seed and the chunk only, so every pass draws the same.
    """
    draws = slice(first_draw, min(first_draw + chunk_size, len(members)))
    chunk_members = np.zeros(chunk_size, dtype=int)
    chunk_members[: draws.stop - draws.start] = members[draws]
    return draws, chunk_members


def _finished(draws, rows, outputs, over_draws):
    """Wait for a call's outputs; return them as :func:`iter_draw_outputs` does."""
    outputs = np.asarray(outputs)[..., : rows.stop - rows.start, :]
    n_used = draws.stop - draws.start
    return draws, rows, outputs[:n_used] if over_draws else outputs[None]
