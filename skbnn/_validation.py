"""Checks of the data an estimator is given, and its validation split."""

import warnings

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_consistent_length, validate_data

from ._inference.out_of_core import OutOfCoreRows, is_out_of_core, validate_out_of_core

# The fit and the predictions compute in float32 whatever the input dtype:
# ADVI follows a one-draw Monte Carlo estimate of the gradient whose noise
# dwarfs float32 rounding, and float32 halves the memory traffic of every
# step (benchmarks/bench_mnist.py compares the two).
DTYPE = np.float32

# Inputs whose root mean square exceeds this look unscaled: in the thousands,
# where scikit-learn's own test data stay below.
UNSCALED_FEATURE_SCALE = 1000.0


def _root_mean_square(X):
    # einsum sums the squares column by column without a squared copy of X.
    return np.sqrt(np.einsum("ij,ij->j", X, X, dtype=np.float64) / X.shape[0])


def _warn_if_unscaled(root_mean_square):
    # Weights start at the scale of standardised inputs, and the prior
    # assumes it; inputs in the hundreds slow ADVI and can make it diverge.
    feature = int(np.argmax(root_mean_square))
    if root_mean_square[feature] > UNSCALED_FEATURE_SCALE:
        warnings.warn(
            f"X looks unscaled: feature {feature} has a root mean square of "
            f"{root_mean_square[feature]:.3g}. Bayesian networks fit best on "
            "standardised inputs; put a StandardScaler before the estimator in "
            "a Pipeline.",
            UserWarning,
        )


def validate_training_data(estimator, X, y, *, reset, target_checks):
    """Validate the inputs and targets of a fit, in float32.

    Arrays on disk are validated block by block and stay there.

    Parameters
    ----------
    estimator : estimator
        Records ``n_features_in_`` and ``feature_names_in_`` with ``reset``.
    X : array-like, np.memmap or Dask array of shape (n_samples, n_features)
        Inputs, one row per sample.
    y : array-like
        Targets.
    reset : bool
        Whether this fit starts afresh (else a warm start checks against the
        previous fit).
    target_checks : dict
        Keyword arguments of ``validate_data`` that check the targets.

    Returns
    -------
    X, y : validated inputs and targets.
    """
    if is_out_of_core(X):
        X, root_mean_square = validate_out_of_core(
            estimator, X, reset=reset, dtype=DTYPE
        )
        y = validate_data(estimator, X="no_validation", y=y, **target_checks)
        check_consistent_length(X, y)
    else:
        X, y = validate_data(estimator, X, y, reset=reset, dtype=DTYPE, **target_checks)
        root_mean_square = _root_mean_square(X)
    _warn_if_unscaled(root_mean_square)
    return X, y


def validate_input(estimator, X):
    """Validate the inputs of a prediction, in float32, against the fit's."""
    if is_out_of_core(X):
        return validate_out_of_core(estimator, X, reset=False, dtype=DTYPE)[0]
    return validate_data(estimator, X, reset=False, dtype=DTYPE)


def split_validation(estimator, X, y, sample_weight, fraction, seed):
    """Hold out ``fraction`` of the rows, stratified for a classifier's labels.

    Rows on disk are split by index: the validation rows stay there too.

    Returns
    -------
    X, X_val, y, y_val, sample_weight, weight_val
        The weights are None where ``sample_weight`` is.

    Raises
    ------
    ValueError
        If fewer than two rows would be held out.
    """
    on_disk = isinstance(X, OutOfCoreRows)
    rows = np.arange(X.shape[0]) if on_disk else X
    arrays = [rows, y] + ([] if sample_weight is None else [sample_weight])
    split = train_test_split(
        *arrays,
        test_size=fraction,
        # As MLPClassifier: no stratification by rows of multilabel targets.
        stratify=y if is_classifier(estimator) and y.ndim == 1 else None,
        random_state=seed,
    )
    if split[1].shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase "
            "'validation_fraction' or the size of your dataset."
        )
    if on_disk:
        split[:2] = X.subset(split[0]), X.subset(split[1])
    if sample_weight is None:
        split += [None, None]
    return split
