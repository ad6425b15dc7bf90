"""Inputs that stay on disk: memory-mapped and Dask arrays, read block by block.

``fit`` and the predictions take an ``np.memmap`` (``np.load(...,
mmap_mode="r")`` gives one) or a Dask array without loading it whole. They
validate it one block at a time, and draw minibatches from a buffer of blocks
picked at random, so the memory they hold is a buffer, whatever the size of
the data.
"""

import mmap
import sys

import numpy as np
from sklearn.utils.validation import _check_feature_names, _check_n_features

from .minibatches import iter_minibatches

# Rows are read in blocks of about this many bytes (of the float32 rows fit
# computes on); a Dask array is read in its own chunks, cut to this size.
BLOCK_BYTES = 2**23

# Minibatches are drawn from a buffer of this many bytes of blocks picked at
# random, so one buffer mixes four parts of the file. Python, PyMC and JAX
# take about 800 MB to fit a small network (benchmarks/bench_out_of_core.py);
# the buffer, its copy and the next blocks add about three times this. Data
# that fit in one buffer are read once and batched as an array in memory is.
BUFFER_BYTES = 2**25


def is_out_of_core(X):
    """Whether ``X`` is an array that is read block by block from disk.

    Parameters
    ----------
    X : object
        Input of ``fit`` or of a prediction.

    Returns
    -------
    out_of_core : bool
        True for an ``np.memmap`` and a Dask array.
    """
    if isinstance(X, np.memmap):
        return True
    # A Dask array's module is loaded whenever one exists; skbnn itself never
    # imports Dask.
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and isinstance(X, dask_array.Array)


def _release_pages(array):
    # Pages of a file mapping that have been read count towards the process's
    # resident memory until they are unmapped. Unmapping them after each read
    # keeps the fit's memory at its buffer; the data stay in the OS's page
    # cache. Only for shared mappings: unmapping a copy-on-write one ("c")
    # would drop the user's changes.
    mapping = getattr(array, "_mmap", None)
    if (
        mapping is None
        or getattr(array, "mode", None) not in ("r", "r+", "w+")
        or not hasattr(mmap, "MADV_DONTNEED")
    ):
        return
    try:
        mapping.madvise(mmap.MADV_DONTNEED)
    except (OSError, ValueError):  # a closed mapping; nothing to release
        pass


class OutOfCoreRows:
    """Rows of a memory-mapped or Dask array, read as needed in one dtype.

    Stands in for the validated ``X`` in ``fit`` and the predictions: it has a
    ``shape`` and a ``dtype``, reads a slice of rows with ``X[start:stop]``,
    and yields minibatches with :meth:`iter_minibatches`.

    Parameters
    ----------
    source : np.memmap or dask.array.Array of shape (n_source_rows, n_features)
        The data.
    dtype : numpy dtype
        Dtype of the rows read.
    rows : ndarray of int, default=None
        The rows of ``source`` that this object holds, in its order; None
        holds all rows in theirs.
    """

    ndim = 2

    def __init__(self, source, dtype, rows=None):
        self.source = source
        self.dtype = np.dtype(dtype)
        self.rows = rows
        n_rows = source.shape[0] if rows is None else rows.shape[0]
        self.shape = (int(n_rows), int(source.shape[1]))
        self._bounds = self._block_bounds()
        if rows is None:
            self._order = None
            self._block_starts = self._bounds
        else:
            # Blocks read the source in order; a subset's rows are found in
            # them through its rows sorted by position in the source.
            self._order = np.argsort(rows, kind="stable")
            self._block_starts = np.searchsorted(rows[self._order], self._bounds)
        self._in_memory = None

    def __len__(self):
        return self.shape[0]

    def subset(self, indices):
        """Return the rows ``indices`` of this object, in that order."""
        rows = indices if self.rows is None else self.rows[indices]
        return OutOfCoreRows(self.source, self.dtype, np.asarray(rows))

    def _block_bounds(self):
        """Row numbers of the source where its blocks start, and its length."""
        n_source_rows = int(self.source.shape[0])
        row_bytes = max(1, self.shape[1] * self.dtype.itemsize)
        block_rows = max(1, BLOCK_BYTES // row_bytes)
        if isinstance(self.source, np.memmap):
            chunk_bounds = [0, n_source_rows]
        else:
            chunk_bounds = np.cumsum((0, *self.source.chunks[0])).tolist()
        bounds = []
        for start, stop in zip(chunk_bounds[:-1], chunk_bounds[1:], strict=True):
            bounds.extend(range(start, stop, block_rows))
        return np.asarray([*bounds, n_source_rows])

    def _read_range(self, start, stop):
        """Read the source's rows ``start:stop``."""
        block = self.source[start:stop]
        # Values too large for the dtype become inf, which validation reports.
        with np.errstate(over="ignore"):
            if isinstance(self.source, np.memmap):
                block = np.array(block, dtype=self.dtype)
                _release_pages(self.source)
                return block
            return np.asarray(block.compute(), dtype=self.dtype)

    def _read_block(self, index):
        """Read block ``index``; return its rows' indices here and the rows."""
        start, stop = self._bounds[index], self._bounds[index + 1]
        if self._order is None:
            return np.arange(start, stop), self._read_range(start, stop)
        indices = self._order[self._block_starts[index] : self._block_starts[index + 1]]
        source_rows = self.rows[indices]
        first = source_rows[0]
        block = self._read_range(first, source_rows[-1] + 1)
        return indices, block[source_rows - first]

    def _block_sizes(self):
        return np.diff(self._block_starts)

    def iter_blocks(self):
        """Yield every row once, block by block in the order of the source.

        Yields
        ------
        indices : ndarray of int
            The block's rows of this object.
        block : ndarray of shape (n_block_rows, n_features)
            Those rows.
        """
        for index in np.flatnonzero(self._block_sizes()):
            yield self._read_block(index)

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise TypeError("Rows read from disk are indexed by a slice.")
        start, stop, step = key.indices(self.shape[0])
        if self.rows is None and step == 1:
            return self._read_range(start, stop)
        source_rows = (
            np.arange(start, stop, step)
            if self.rows is None
            else self.rows[start:stop:step]
        )
        order = np.argsort(source_rows, kind="stable")
        rows = np.empty((source_rows.shape[0], self.shape[1]), dtype=self.dtype)
        if isinstance(self.source, np.memmap):
            rows[order] = self.source[source_rows[order]]
            _release_pages(self.source)
        else:
            rows[order] = self.source[source_rows[order]].compute()
        return rows

    def _read_all(self):
        """All rows in memory, in order; kept for the next epochs."""
        if self._in_memory is None:
            rows = np.empty(self.shape, dtype=self.dtype)
            for indices, block in self.iter_blocks():
                rows[indices] = block
            self._in_memory = rows
        return self._in_memory

    def iter_minibatches(self, batch_size, rng):
        """Yield one epoch's minibatches, reading a buffer of blocks at a time.

        Each buffer holds blocks picked at random plus the rows the previous
        buffer had left over, and is cut into batches in a random order. Every
        row is used once an epoch, and every row is equally likely to land in
        any batch, so the scaled minibatch ELBO stays unbiased. The last batch
        is filled up with rows of the last buffer. Data that fit in one buffer
        are read once and batched exactly as an array in memory.

        Parameters
        ----------
        batch_size : int
            Rows of a minibatch, at most ``len(self)``.
        rng : numpy.random.Generator
            Source of the random order.

        Yields
        ------
        indices : ndarray of shape (batch_size,)
            The batch's rows of this object.
        buffer : ndarray
            The rows in memory that hold the batch ...
        positions : ndarray of shape (batch_size,)
            ... at these positions.
        """
        row_bytes = self.shape[1] * self.dtype.itemsize
        buffer_rows = max(batch_size, BUFFER_BYTES // max(1, row_bytes))
        if self.shape[0] <= buffer_rows:
            rows = self._read_all()
            for indices in iter_minibatches(self.shape[0], batch_size, rng):
                yield indices, rows, indices
            return
        groups = _group_blocks(
            rng.permutation(np.flatnonzero(self._block_sizes())),
            self._block_sizes(),
            buffer_rows,
            batch_size,
        )
        left_indices = np.empty(0, dtype=np.intp)
        left_rows = np.empty((0, self.shape[1]), dtype=self.dtype)
        for number, group in enumerate(groups):
            blocks = [self._read_block(index) for index in group]
            indices = np.concatenate([left_indices, *(i for i, _ in blocks)])
            buffer = np.concatenate([left_rows, *(rows for _, rows in blocks)])
            del blocks
            order = rng.permutation(indices.shape[0])
            n_full = indices.shape[0] - indices.shape[0] % batch_size
            for start in range(0, n_full, batch_size):
                positions = order[start : start + batch_size]
                yield indices[positions], buffer, positions
            rest = order[n_full:]
            if number < len(groups) - 1:
                left_indices, left_rows = indices[rest], buffer[rest]
            elif rest.shape[0]:
                positions = np.concatenate([rest, order[: batch_size - rest.shape[0]]])
                yield indices[positions], buffer, positions
            del buffer


def _group_blocks(block_order, block_sizes, buffer_rows, batch_size):
    """Cut an order of blocks into buffers of at least ``buffer_rows`` rows.

    A last buffer of fewer than ``batch_size`` rows joins the one before, so
    that every buffer can fill a batch by itself.
    """
    groups, group, rows = [], [], 0
    for index in block_order:
        group.append(index)
        rows += block_sizes[index]
        if rows >= buffer_rows:
            groups.append(group)
            group, rows = [], 0
    if group:
        if rows < batch_size and groups:
            groups[-1].extend(group)
        else:
            groups.append(group)
    return groups


def validate_out_of_core(estimator, X, *, reset, dtype):
    """Validate an out-of-core ``X`` one block at a time.

    The checks and messages of ``sklearn.utils.validation.validate_data`` for
    a 2-D numeric array: the number of features (set on ``estimator`` when
    ``reset``), feature names, and finite values.

    Parameters
    ----------
    estimator : estimator instance
        The estimator that is fitted or predicts.
    X : np.memmap or dask.array.Array
        Input read from disk.
    reset : bool
        Whether this call fits, and so records the number of features.
    dtype : numpy dtype
        Dtype of the rows read.

    Returns
    -------
    X : OutOfCoreRows
        The validated input.
    root_mean_square : ndarray of shape (n_features,)
        Root mean square of each feature, for the check that inputs are
        scaled.
    """
    _check_shape_and_dtype(X)
    _check_n_features(estimator, X, reset=reset)
    _check_feature_names(estimator, X, reset=reset)
    rows = OutOfCoreRows(X, dtype)
    sum_of_squares = np.zeros(X.shape[1])
    for _, block in rows.iter_blocks():
        if not np.isfinite(block).all():
            raise ValueError(
                "Input X contains NaN."
                if np.isnan(block).any()
                else "Input X contains infinity or a value too large for "
                f"dtype({rows.dtype.name!r})."
            )
        sum_of_squares += np.einsum("ij,ij->j", block, block, dtype=np.float64)
    return rows, np.sqrt(sum_of_squares / X.shape[0])


def _check_shape_and_dtype(X):
    """Raise validate_data's errors for what the array's metadata tells."""
    if X.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {X.ndim}D array of shape {X.shape} instead. "
            "Reshape your data, e.g. with array.reshape(len(array), -1)."
        )
    if np.dtype(X.dtype).kind not in "biuf":
        raise ValueError(
            f"X of dtype {X.dtype} read from disk must hold real numbers "
            "(bool, int or float)."
        )
    n_samples, n_features = X.shape
    if not np.isfinite(n_samples):
        raise ValueError(
            "X is a Dask array whose chunk sizes are unknown; call "
            "X.compute_chunk_sizes() first."
        )
    for count, what in ((n_samples, "sample"), (n_features, "feature")):
        if count < 1:
            raise ValueError(
                f"Found array with {count} {what}(s) (shape={X.shape}) while a "
                "minimum of 1 is required."
            )
