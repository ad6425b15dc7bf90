"""The training data and the minibatches of an epoch, in memory or on disk."""

from dataclasses import dataclass

import numpy as np


def iter_minibatches(n_samples, batch_size, rng):
    """Yield the row indices of one epoch's minibatches.

    Each epoch is a fresh permutation cut into ``ceil(n_samples /
    batch_size)`` batches of exactly ``batch_size`` rows; the last one is
    filled up from the start of the permutation. Every batch is thus a
    uniformly drawn subset of the rows, which keeps the scaled minibatch ELBO
    unbiased, and a fixed batch shape keeps the compiled step's shapes fixed.
    A batch of every row is the rows in order, and draws nothing from
    ``rng``: its order would change no more than the order of a sum.

    Parameters
    ----------
    n_samples : int
        Rows of the training data.
    batch_size : int
        Rows of a minibatch, at most ``n_samples``.
    rng : numpy.random.Generator
        Source of the permutation.

    Yields
    ------
    indices : ndarray of shape (batch_size,)
    """
    if batch_size >= n_samples:
        yield np.arange(n_samples)
        return
    order = rng.permutation(n_samples)
    for start in range(0, n_samples, batch_size):
        indices = order[start : start + batch_size]
        if indices.shape[0] < batch_size:
            indices = np.concatenate([indices, order[: batch_size - indices.shape[0]]])
        yield indices


def iter_row_minibatches(X, batch_size, rng):
    """Yield one epoch's minibatches of ``X`` as where to take their rows from.

    Parameters
    ----------
    X : ndarray or skbnn._inference.out_of_core.OutOfCoreRows
        Training inputs. Data read from disk brings its own minibatches.
    batch_size : int
        Rows of a minibatch, at most ``X.shape[0]``.
    rng : numpy.random.Generator
        Source of the random order.

    Yields
    ------
    indices : ndarray of shape (batch_size,)
        The batch's rows of ``X``, which index the targets and weights too.
    source : ndarray
        An array in memory that holds the batch's inputs ...
    positions : ndarray of shape (batch_size,)
        ... in these rows.
    """
    if hasattr(X, "iter_minibatches"):
        yield from X.iter_minibatches(batch_size, rng)
        return
    for indices in iter_minibatches(X.shape[0], batch_size, rng):
        yield indices, X, indices


# Batches smaller than this are padded to a power of two (see padded_rows).
PAD_BATCHES_BELOW = 256


def padded_rows(batch_size):
    """Rows of the compiled step's minibatch for batches of ``batch_size``.

    Small batches are padded with rows of weight zero up to a power of two:
    on small data sets the batch is the whole data set, and without padding
    every data set size would compile the step anew.

    Parameters
    ----------
    batch_size : int
        Rows that carry data.

    Returns
    -------
    rows : int
    """
    if batch_size >= PAD_BATCHES_BELOW:
        return batch_size
    return 1 << (batch_size - 1).bit_length()


@dataclass(frozen=True)
class TrainingData:
    """What every run of a fit trains on.

    Attributes
    ----------
    X : ndarray or skbnn._inference.out_of_core.OutOfCoreRows
        Inputs, of the step's dtype; rows on disk are read a buffer at a time.
    y : ndarray
        Targets, encoded for the likelihood.
    batch_size : int
        Rows of a minibatch, at most ``n_samples``.
    sample_weight : ndarray of shape (n_samples,) or None
        Weight of each sample's log-likelihood term; a weight of 2 counts a
        sample as if it appeared twice.
    total_size : int or None
        Rows of the data set that the ELBO's likelihood stands for, of which
        these rows are a uniform sample (``partial_fit``: the rows seen so
        far); None: these rows.
    """

    X: object
    y: np.ndarray
    batch_size: int
    sample_weight: np.ndarray | None = None
    total_size: int | None = None

    @property
    def total_weight(self):
        """The summed sample weight that the ELBO's likelihood stands for."""
        if self.total_size is None:
            if self.sample_weight is None:
                return self.X.shape[0]
            return float(np.sum(self.sample_weight))
        mean_weight = 1.0 if self.sample_weight is None else self.sample_weight.mean()
        return self.total_size * float(mean_weight)

    @property
    def steps_per_epoch(self):
        """Optimisation steps of one pass over the rows."""
        return -(-self.X.shape[0] // self.batch_size)


def row_scale(data):
    """Return the weight of each minibatch row's likelihood term.

    Rows drawn uniformly at random, each term scaled by ``n_samples /
    batch_size``: an unbiased estimate of the weighted sum over the data set.
    """
    n_samples = data.X.shape[0] if data.total_size is None else data.total_size
    return n_samples / data.batch_size


def put_minibatch(X_out, y_out, weights_out, data, scale, indices, source, positions):
    """Write a minibatch's inputs, targets and row weights into the buffers.

    The inputs are rows ``positions`` of ``source`` (see
    :func:`iter_row_minibatches`); targets and weights are rows ``indices``.
    """
    n = data.batch_size
    np.take(source, positions, axis=0, out=X_out[:n])
    np.take(data.y, indices, axis=0, out=y_out[:n])
    if data.sample_weight is not None:
        weights_out[:n] = scale * data.sample_weight[indices]


def minibatch_buffers(step, data):
    """Buffers of the padded minibatch, and the weight that scales its rows."""
    rows = padded_rows(data.batch_size)
    scale = row_scale(data)
    row_weights = np.zeros(rows, dtype=step.dtype)
    row_weights[: data.batch_size] = scale
    X_batch = np.zeros((rows, *data.X.shape[1:]), dtype=data.X.dtype)
    y_batch = np.zeros((rows, *data.y.shape[1:]), dtype=data.y.dtype)
    return X_batch, y_batch, row_weights, scale
