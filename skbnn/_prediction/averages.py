"""Averages over posterior draws, summed in one order whatever the row block."""

import numpy as np


def _sum_over_draws(values):
    """Sum ``values`` over their leading axis of draws, row by row.

    NumPy orders a reduction over a leading axis by the array's shape, so a
    block of one row and a block of many would add the same draws in another
    order and round differently. Summed along a contiguous last axis, each
    row's draws are added in the same order whatever the block.
    """
    return np.ascontiguousarray(np.moveaxis(values, 0, -1)).sum(axis=-1)


def posterior_expectations(draw_outputs, n_samples, n_draws, statistics):
    """Average statistics of the per-draw outputs over the posterior draws.

    Parameters
    ----------
    draw_outputs : iterable of (slice, slice, ndarray)
        As yielded by :func:`iter_draw_outputs`.
    n_samples : int
        Number of rows of ``X``.
    n_draws : int
        Number of draws every row receives.
    statistics : dict of str to callable
        Each maps outputs of shape (n_draws, n_rows, n_outputs) to an array
        with leading shape (n_draws, n_rows).

    Returns
    -------
    expectations : dict of str to ndarray
        The posterior mean of each statistic, shaped (n_samples, ...).
    """
    sums = {}
    for _, rows, outputs in draw_outputs:
        for name, statistic in statistics.items():
            value = _sum_over_draws(statistic(outputs))
            if name not in sums:
                sums[name] = np.zeros((n_samples, *value.shape[1:]))
            sums[name][rows] += value
    return {name: total / n_draws for name, total in sums.items()}


def stack_draw_outputs(draw_outputs, n_samples, n_draws):
    """Gather the per-draw outputs into one array.

    Parameters
    ----------
    draw_outputs : iterable of (slice, slice, ndarray)
        As yielded by :func:`iter_draw_outputs`.
    n_samples : int
        Number of rows of ``X``.
    n_draws : int
        Number of draws.

    Returns
    -------
    outputs : ndarray of shape (n_draws, n_samples, n_outputs)
    """
    stacked = None
    for draws, rows, outputs in draw_outputs:
        if stacked is None:
            stacked = np.empty((n_draws, n_samples, outputs.shape[-1]), outputs.dtype)
        stacked[draws, rows] = outputs
    return stacked
