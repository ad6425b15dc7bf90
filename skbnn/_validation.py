"""Checks of the data an estimator is given, and its validation split."""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_consistent_length, validate_data

from ._inference.out_of_core import is_out_of_core, validate_out_of_core
from ._inference.sparse_rows import SparseRows, root_mean_square
from ._model.target_transforms import YeoJohnsonTransform

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
        X, rms = validate_out_of_core(estimator, X, reset=reset, dtype=DTYPE)
        y = validate_data(estimator, X="no_validation", y=y, **target_checks)
        check_consistent_length(X, y)
    else:
        X, y = validate_data(
            estimator,
            X,
            y,
            reset=reset,
            dtype=DTYPE,
            accept_sparse="csr",
            **target_checks,
        )
        X, rms = _rows_and_root_mean_square(X)
    _warn_if_unscaled(rms)
    return X, y


def _rows_and_root_mean_square(X):
    """Wrap a sparse ``X`` to be densified as used; each feature's RMS."""
    if sp.issparse(X):
        return SparseRows(X), root_mean_square(X)
    return X, _root_mean_square(X)


def validate_input(estimator, X):
    """Validate the inputs of a prediction, in float32, against the fit's."""
    if is_out_of_core(X):
        return validate_out_of_core(estimator, X, reset=False, dtype=DTYPE)[0]
    X = validate_data(estimator, X, reset=False, dtype=DTYPE, accept_sparse="csr")
    return SparseRows(X) if sp.issparse(X) else X


# The total weight above which the float32 objective's gradients, and their
# squares in Adam, overflow.
MAX_TOTAL_WEIGHT = 1e12

# A total weight further than this factor from the row count gets a warning.
WEIGHT_TOTAL_FACTOR = 10.0


def check_weight_total(sample_weight):
    """Refuse weights that leave no data or overflow; warn where they mislead.

    skbnn's likelihood counts a row of weight 2 as a row seen twice, so the
    total weight is the size of the data set the posterior believes it saw.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_samples,)
        Validated, non-negative weights.
    """
    n_rows, total = sample_weight.shape[0], float(np.sum(sample_weight))
    if total == 0:
        raise ValueError("Sample weights must contain at least one non-zero number.")
    if total > MAX_TOTAL_WEIGHT:
        raise ValueError(
            f"sample_weight sums to {total:.3g}: more than {MAX_TOTAL_WEIGHT:.0e}, "
            "beyond what the float32 objective can weigh. Weights count rows "
            "here (a weight of 2 is a row seen twice); rescale them."
        )
    if not 1 / WEIGHT_TOTAL_FACTOR <= total / n_rows <= WEIGHT_TOTAL_FACTOR:
        posterior = (
            "close to the prior (the data count for little)"
            if total < n_rows
            else "narrower than the rows themselves support"
        )
        warnings.warn(
            f"sample_weight sums to {total:.3g} over {n_rows} rows. The "
            "likelihood counts weights as frequencies (a weight of 2 is a row "
            f"seen twice), so the posterior is that of {total:.3g} rows: "
            f"{posterior}. For relative weights (class balance, importance) "
            "pass sample_weight / np.mean(sample_weight).",
            UserWarning,
        )


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
    # Rows on disk and sparse rows are split by index.
    on_disk = hasattr(X, "subset")
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


def target_scaling(y, target_transform, *, standardise):
    """How a regressor encodes its targets ``y`` (n_samples, n_outputs).

    Returns
    -------
    transform : YeoJohnsonTransform or None
        Fitted to ``y`` for ``target_transform="yeo-johnson"``.
    mean, scale : ndarray of shape (n_outputs,)
        Of the (transformed) targets with ``standardise``, else 0 and 1.
    """
    transform = None
    if target_transform == "yeo-johnson":
        transform = YeoJohnsonTransform.fitted(y)
        y = transform.forward(y)
    if not standardise:
        return transform, np.zeros(y.shape[1]), np.ones(y.shape[1])
    return (transform, *mean_and_scale(y))


def mean_and_scale(y):
    """Each column's mean and standard deviation (1 where it is 0).

    Targets whose squares overflow float64 (values near 1e200) have their
    standard deviation computed on the columns divided by their largest
    deviation.
    """
    mean = y.mean(axis=0, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        std = y.std(axis=0, dtype=np.float64)
    if not np.isfinite(std).all():
        spread = np.abs(y - mean).max(axis=0)
        spread = np.where(spread > 0, spread, 1.0)
        std = ((y - mean) / spread).std(axis=0, dtype=np.float64) * spread
    return mean, np.where(std > 0, std, 1.0)


def check_float32_range(values, hint):
    """Raise ``ValueError`` for values that float32, the fit's dtype, cannot hold."""
    most = np.abs(values).max(initial=0.0)
    if not most <= np.finfo(DTYPE).max:
        raise ValueError(
            f"y has values as large as {most:.3g} (after scaling), beyond "
            f"float32's range, in which skbnn fits. {hint}"
        )
