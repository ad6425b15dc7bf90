"""Scores of predicted probabilities that scikit-learn does not have."""

import numpy as np
from sklearn.utils.validation import check_array, check_consistent_length


def expected_calibration_error(y_true, y_prob, *, labels=None, n_bins=15):
    """Top-label expected calibration error of predicted class probabilities.

    The rows are put in ``n_bins`` equal-width bins by the probability of
    their most probable class (the confidence); in each bin the gap between
    the mean confidence and the fraction of rows whose most probable class
    is right is weighted by the bin's share of rows, and the gaps summed
    (Guo et al., "On calibration of modern neural networks", 2017).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_prob : array-like of shape (n_samples, n_classes)
        Predicted probabilities, e.g. from ``predict_proba``.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_prob`` (an estimator's
        ``classes_``). None: the columns are the classes ``0 .. n_classes -
        1``.
    n_bins : int, default=15
        Number of equal-width confidence bins.

    Returns
    -------
    ece : float
        Between 0 (calibrated) and 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skbnn.metrics import expected_calibration_error
    >>> y_prob = np.array([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8], [0.2, 0.8]])
    >>> float(expected_calibration_error([0, 1, 1, 1], y_prob, n_bins=10))
    0.3
    """
    y_true, y_prob, labels = _checked(y_true, y_prob, labels, n_bins)
    confidence = y_prob.max(axis=1)
    correct = labels[y_prob.argmax(axis=1)] == y_true
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    rows = np.bincount(bins, minlength=n_bins)
    gaps = np.abs(
        np.bincount(bins, weights=confidence, minlength=n_bins)
        - np.bincount(bins, weights=correct, minlength=n_bins)
    )
    return float(gaps.sum() / rows.sum())


def _checked(y_true, y_prob, labels, n_bins):
    """Return ``y_true`` and ``y_prob`` validated, and the class of each column."""
    y_prob = check_array(y_prob, ensure_2d=True, dtype="numeric")
    y_true = np.asarray(y_true)
    check_consistent_length(y_true, y_prob)
    if y_true.ndim != 1:
        raise ValueError(f"y_true must be 1-dimensional, got shape {y_true.shape}.")
    if not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}.")
    labels = np.arange(y_prob.shape[1]) if labels is None else np.asarray(labels)
    if labels.shape != (y_prob.shape[1],):
        raise ValueError(
            f"labels has {labels.size} classes but y_prob has {y_prob.shape[1]} "
            "columns."
        )
    unknown = ~np.isin(y_true, labels)
    if unknown.any():
        raise ValueError(
            f"y_true contains labels not in labels: {np.unique(y_true[unknown])}. "
            "Pass labels=estimator.classes_ when the classes are not 0 .. "
            "n_classes - 1."
        )
    return y_true, y_prob, labels
