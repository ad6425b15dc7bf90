"""What a regressor's predictions add: its predictive distribution.

The log-density of targets, the distribution itself, and its short forms:
central intervals and quantiles. The fitted likelihood gives each draw's
distribution; the targets' standardisation (``_y_mean``, ``_y_scale``) maps
it to the units of ``y``.
"""

import numpy as np
from sklearn.utils import gen_batches
from sklearn.utils.validation import check_array, check_consistent_length

from .distribution import PredictiveDistribution

DEFAULT_QUANTILES = (0.05, 0.5, 0.95)
# Rows of a transformed target's median found at a time: each block holds
# every draw's parameters for its rows.
MEDIAN_BLOCK_ROWS = 10_000


def _validated_targets(estimator, X, y):
    """Validate a fitted regressor's targets for ``X``, as a float64 matrix."""
    y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
    y = y.reshape(y.shape[0], -1)
    check_consistent_length(X, y)
    if y.shape[1] != estimator.n_outputs_:
        raise ValueError(
            f"y has {y.shape[1]} targets, but {type(estimator).__name__} was "
            f"fitted with {estimator.n_outputs_}."
        )
    return y


class PredictiveDistributionMixin:
    """Adds the posterior predictive distribution to the regressor."""

    def log_predictive_density(self, X, y):
        """Log density of the posterior predictive distribution at ``y``.

        The log of the average, over ``n_posterior_draws`` draws of the
        weights and the noise, of the likelihood of each row's targets: the
        test log-likelihood of Bayesian regression benchmarks, and the
        density of heavy-tailed (Student-t) noise, which a Normal with
        :meth:`predict`'s mean and standard deviation would misstate. The
        same numbers as ``predict_distribution(X).logpdf(y)``, computed a
        block of rows at a time.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, in the units the model was fitted on.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            Each row's log predictive density, its targets jointly.
        """
        X = self._validated_input(X)
        y = _validated_targets(self, X, y)
        transform = self._target_transform
        encoded = y if transform is None else transform.forward(y)
        encoded = (encoded - self._y_mean) / self._y_scale
        log_density = self._log_predictive_density(X, encoded)
        log_density -= np.log(self._y_scale).sum()
        if transform is not None:
            log_density += transform.log_jacobian(y).sum(axis=1)
        return log_density

    def predict_distribution(self, X):
        """Return the posterior predictive distribution of each row's targets.

        The mixture, over ``n_posterior_draws`` posterior draws of the weights
        and the noise, of the likelihood's distribution under each draw (a
        mixture of Student-t distributions by default), seeded as every
        prediction is. Its methods follow ``scipy.stats`` and NGBoost's
        ``pred_dist``: ``mean``, ``std``, ``var``, ``logpdf``, ``pdf``,
        ``cdf``, ``ppf``, ``interval``, ``sample`` and ``crps``.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        distribution : skbnn.PredictiveDistribution
            Holds every draw's parameters for these rows: for many rows, ask
            for a block at a time.
        """
        return self._distribution_of(self._validated_input(X))

    def _distribution_of(self, X):
        """Return the predictive distribution of validated inputs ``X``."""
        return PredictiveDistribution(
            self._likelihood(),
            self._draw_components(X),
            self._y_mean,
            self._y_scale,
            seed=self._prediction_seed,
            transform=self._target_transform,
        )

    def _predictive_median(self, X):
        """Each row's predictive median, a block of rows at a time."""
        X = self._validated_input(X)
        medians = [
            self._distribution_of(X[rows]).ppf(0.5)
            for rows in gen_batches(X.shape[0], MEDIAN_BLOCK_ROWS)
        ]
        return np.concatenate(medians, axis=0)

    def _check_no_moments(self, call):
        """Refuse ``call`` (a moment in y's units) when the target is transformed."""
        if self._target_transform is not None:
            raise ValueError(
                f"{call} is not available with a target transform "
                "(target_transform='yeo-johnson'): the predictive distribution of a "
                "transformed target need not have a mean or a standard "
                "deviation. Use predict_interval, predict_quantiles or "
                "predict_distribution."
            )

    def predict_interval(self, X, confidence=0.9):
        """Return each row's central predictive interval.

        The quantiles ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` of
        the predictive distribution, not ``mean +/- z std``: under Student-t
        noise the distribution has heavier tails than a Normal with its
        standard deviation, and a mixture is no Normal.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Inputs.
        confidence : float, default=0.9
            The probability the interval holds, strictly between 0 and 1.

        Returns
        -------
        interval : ndarray of shape (n_samples, 2) or (n_samples, n_outputs, 2)
            Lower and upper bounds, in the units of ``y``.
        """
        lower, upper = self.predict_distribution(X).interval(confidence)
        return np.stack([lower, upper], axis=-1)

    def predict_quantiles(self, X, quantiles=DEFAULT_QUANTILES):
        """Return quantiles of each row's predictive distribution.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Inputs.
        quantiles : sequence of float, default=(0.05, 0.5, 0.95)
            Levels strictly between 0 and 1.

        Returns
        -------
        quantiles : ndarray of shape (n_samples, n_quantiles) or \
                (n_samples, n_outputs, n_quantiles)
            In the units of ``y``; for counts, whole counts.
        """
        distribution = self.predict_distribution(X)
        return np.stack([distribution.ppf(q) for q in quantiles], axis=-1)
