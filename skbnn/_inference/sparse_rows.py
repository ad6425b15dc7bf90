"""Sparse inputs, densified a minibatch or a block of rows at a time.

A one-hot encoding of a column with many levels (``OneHotEncoder``'s
default, sparse output, in a ``ColumnTransformer``) is mostly zeros: dense,
it can take more memory than the machine has. ``fit`` and the predictions
keep it sparse and densify only the rows a step or a forward pass uses, as
they read rows on disk (``skbnn._inference.out_of_core``).
"""

import numpy as np

from .minibatches import iter_minibatches


class SparseRows:
    """Rows of a CSR matrix, each read dense when it is used.

    Stands in for the validated ``X`` in ``fit`` and the predictions, as
    :class:`~skbnn._inference.out_of_core.OutOfCoreRows` does: it has a
    ``shape`` and a ``dtype``, reads a slice of rows dense with
    ``X[start:stop]``, and yields minibatches with :meth:`iter_minibatches`.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix or csr_array of shape (n_samples, n_features)
        The validated rows, of the dtype of the computation.
    """

    ndim = 2

    def __init__(self, matrix):
        self.matrix = matrix
        self.shape = matrix.shape
        self.dtype = matrix.dtype

    def __len__(self):
        return self.shape[0]

    def subset(self, indices):
        """Return the rows ``indices``, in that order."""
        return SparseRows(self.matrix[np.asarray(indices)])

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise TypeError("Sparse rows are read by a slice.")
        return self.matrix[key].toarray()

    def iter_minibatches(self, batch_size, rng):
        """Yield one epoch's minibatches, each densified alone.

        The same rows, in the same order, as an array in memory gets
        (:func:`~skbnn._inference.minibatches.iter_minibatches`).

        Yields
        ------
        indices : ndarray of shape (batch_size,)
            The batch's rows.
        rows : ndarray of shape (batch_size, n_features)
            Those rows, dense ...
        positions : ndarray of shape (batch_size,)
            ... in this order.
        """
        positions = np.arange(batch_size)
        for indices in iter_minibatches(self.shape[0], batch_size, rng):
            yield indices, self.matrix[indices].toarray(), positions


def root_mean_square(matrix):
    """Root mean square of each column of a sparse matrix, in float64."""
    squares = matrix.multiply(matrix).sum(axis=0, dtype=np.float64)
    return np.sqrt(np.asarray(squares).ravel() / matrix.shape[0])
