"""The minibatches of an epoch, for data in memory or read from disk."""

import numpy as np


def iter_minibatches(n_samples, batch_size, rng):
    """Yield the row indices of one epoch's minibatches.

    Each epoch is a fresh permutation cut into ``ceil(n_samples /
    batch_size)`` batches of exactly ``batch_size`` rows; the last one is
    filled up from the start of the permutation. Every batch is thus a
    uniformly drawn subset of the rows, which keeps the scaled minibatch ELBO
    unbiased, and a fixed batch shape keeps the compiled step's shapes fixed.

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
    X : ndarray or skbnn._out_of_core.OutOfCoreRows
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
