"""Whether a fit learned anything: the model against a trivial predictor.

The ELBO can prefer a posterior that explains the data as noise (a network
of many weights on few rows, a step size that threw the fit off its path), and
then predictions are the class frequencies or the mean, whatever the input.
After every fit and ``partial_fit`` call, the fitted model's score on (a
sample of) its training rows is set beside that of the trivial predictor
fitted to the same rows, in the units a user reads: the log-likelihood of the
class-prior probabilities for a classifier, :math:`R^2` of the mean for a
regressor. A model no better than it gets a ``ConvergenceWarning`` that names
the likely causes.
"""

import inspect
import math
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

# The training rows the check scores after a fit, with the estimator's own
# posterior draws (so that it compiles nothing its predictions do not):
# enough to tell a model from the trivial predictor, few enough to cost a
# small part of a fit. A stream calls partial_fit often: its check scores
# fewer rows with fewer draws, whose forward pass compiles once a stream.
CHECK_ROWS = 1000
STREAM_CHECK_ROWS = 256
STREAM_CHECK_DRAWS = 10

# A model must beat the trivial predictor's score by this fraction of it
# (at least of 1: R^2 is 0 for the mean); a classifier whose most probable
# classes are right no more often than the majority class's, by this factor
# more.
MARGIN = 0.01
ACCURACY_MARGIN_FACTOR = 5.0
# A stream has learned once a call's skill exceeds this many margins.
LEARNED_MARGINS = 10.0


def _sample(X, y, sample_weight, seed, most):
    """At most ``most`` rows, drawn without replacement and in order."""
    n_rows = X.shape[0]
    if n_rows > most:
        rows = np.sort(np.random.default_rng(seed).choice(n_rows, most, False))
    else:
        rows = np.arange(n_rows)
    X_rows = X.subset(rows)[:] if hasattr(X, "subset") else X[rows]
    weights = None if sample_weight is None else sample_weight[rows]
    return X_rows, y[rows], weights


def skill(estimator, X, y, sample_weight, rows=CHECK_ROWS, draws=None):
    """Score the model on its training rows, less the trivial predictor's score.

    Parameters
    ----------
    estimator : BaseBayesianNetwork
        Fitted; its task scores expectations (``_validation_score``) and
        supplies the trivial predictor's (``_trivial_expectations``).
    X : ndarray, SparseRows or OutOfCoreRows
        Validated training inputs.
    y : ndarray
        Encoded training targets.
    sample_weight : ndarray or None
        Their weights.
    rows : int
        The most rows scored.
    draws : int or None
        Posterior draws; None: the estimator's ``n_posterior_draws``.

    Returns
    -------
    skill : float
        Positive where the model beats the trivial predictor.
    margin : float
        The least skill that counts as learning.
    unit : float
        The margin before a classifier's accuracy widened it: the unit in
        which a stream's earlier skill is judged.
    """
    X_rows, y_rows, weights = _sample(
        X, y, sample_weight, estimator._prediction_seed, rows
    )
    model = estimator._posterior_expectations(X_rows, estimator.posterior_, draws)
    trivial = estimator._trivial_expectations(y, sample_weight, y_rows.shape[0])
    score = estimator._validation_score(model, y_rows, weights)
    baseline = estimator._validation_score(trivial, y_rows, weights)
    margin = MARGIN * max(abs(baseline), 1.0)
    if _labels_no_better(model, trivial, y_rows, weights):
        # Class probabilities a little sharper than the frequencies that
        # pick no more right classes than the majority class: a model that
        # learned next to nothing needs a wider margin of log-likelihood.
        return score - baseline, margin * ACCURACY_MARGIN_FACTOR, margin
    return score - baseline, margin, margin


def _labels_no_better(model, trivial, y, sample_weight):
    """Whether the model's most probable classes are right no more often."""
    if "proba" not in model or y.ndim != 1:
        return False
    right = [
        np.average(np.argmax(e["proba"], axis=1) == y, weights=sample_weight)
        for e in (model, trivial)
    ]
    return right[0] <= right[1] + MARGIN


def _likely_causes(estimator, n_rows, total_weight):
    defaults = inspect.signature(type(estimator).__init__).parameters
    default_step = defaults["learning_rate_init"].default
    n_weights = sum(
        math.prod(shape) for _, shape, _ in estimator._fitted_network.parameters()
    )
    causes = []
    if estimator.learning_rate_init > default_step:
        causes.append(
            f"a step size too large for these data (learning_rate_init="
            f"{estimator.learning_rate_init:g}; the default is {default_step:g})"
        )
    if total_weight < n_weights:
        causes.append(
            f"too little data for the prior: {total_weight:.4g} rows for "
            f"{n_weights} weights, so the posterior can stay at the prior "
            "(fewer hidden units, a smaller prior_scale or more data help)"
        )
    if total_weight < n_rows / 10:
        causes.append(
            f"sample weights that make the {n_rows} rows count as {total_weight:.3g}"
        )
    if not causes:
        causes.append(
            "too few epochs (max_iter), or features that carry nothing about "
            "the targets"
        )
    return causes


def warn_if_trivial(
    estimator, X, y, sample_weight, *, what="The fitted model", measured=None
):
    """Warn when the model scores no better than the trivial predictor.

    ``measured`` is what :func:`skill` returned, if it has been called.
    Returns the skill, for a stream to compare its calls by.
    """
    if measured is None:
        measured = skill(estimator, X, y, sample_weight)
    gain, margin, _ = measured
    if gain > margin:
        return gain
    total = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
    causes = "; ".join(_likely_causes(estimator, X.shape[0], total))
    warnings.warn(
        f"{what} is no better on its training data than "
        f"{estimator._trivial_name} (its score is {gain:+.4g} beside it). "
        f"Likely causes: {causes}.",
        ConvergenceWarning,
    )
    return gain


def check_learned(estimator, X, y, sample_weight, continued, incremental):
    """Warn when the fit is no better than the trivial predictor.

    A ``partial_fit`` call warns when the stream falls back to it after
    an earlier call did clearly better. The first call of a stream does not
    count: one pass from the initial network can score well on a small chunk
    by chance, and a chunk's score is noisier than a fit's.
    """
    if X.shape[0] < 2:  # a score of one row says nothing
        return
    if not incremental:
        estimator._best_skill = warn_if_trivial(estimator, X, y, sample_weight)
        return
    best = estimator._best_skill if continued else -np.inf
    measured = skill(
        estimator, X, y, sample_weight, STREAM_CHECK_ROWS, STREAM_CHECK_DRAWS
    )
    gain, margin, unit = measured
    # Had clearly learned (ten times the margin), and lost it all.
    if gain <= margin and best > LEARNED_MARGINS * unit:
        warn_if_trivial(
            estimator,
            X,
            y,
            sample_weight,
            what=f"After partial_fit call {estimator.n_iter_}, the model",
            measured=measured,
        )
    estimator._best_skill = max(best, gain) if continued else -np.inf
