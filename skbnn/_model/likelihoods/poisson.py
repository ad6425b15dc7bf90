"""Poisson counts: the network's output is the log of each target's rate."""

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy import stats
from scipy.special import gammaln, pdtr, xlogy

from .regression import RegressionLikelihood, as_float64


def _poisson_logp(count, log_rate):
    return count * log_rate - pt.exp(log_rate) - pt.gammaln(count + 1.0)


@dataclass(frozen=True)
class PoissonLikelihood(RegressionLikelihood):
    """Count regression: ``y ~ Poisson(exp(outputs))``.

    The log link of ``sklearn.linear_model.PoissonRegressor`` and of
    ``HistGradientBoostingRegressor(loss="poisson")``. The rate's draws are
    the network's mean; the noise is the rate itself (a Poisson variable's
    variance is its mean), so the aleatoric uncertainty is the root of the
    posterior-mean rate. Counts are never standardised.

    Parameters
    ----------
    n_outputs : int
        Number of count targets.
    """

    n_outputs: int
    inverse_link: str = "exp"

    standardises_targets = False
    statistics = {
        "mean": as_float64,
        "mean_squared": lambda rate: np.square(as_float64(rate)),
        "noise_variance": as_float64,
    }

    def observe(self, outputs, y):
        """Attach ``y ~ Poisson(exp(outputs))`` to the model in context."""
        # PyMC's Poisson casts its observations to int64, and its log-density
        # then to float64, which a float32 step cannot take; the same density
        # on the float targets, from the log-rate without an exp and a log.
        return pm.CustomDist("y", outputs, logp=_poisson_logp, observed=y)

    def check_targets(self, y):
        """Raise as ``PoissonRegressor`` does for negative or all-zero counts."""
        if np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for "
                "Poisson regression."
            )
        if np.any(np.sum(y, axis=0) <= 0):
            raise ValueError(
                "Sum of y is not strictly positive which is necessary for "
                "Poisson regression."
            )

    def noise_variance(self, expectations, posterior):
        """Return each sample's posterior-mean rate: a Poisson count's variance."""
        return expectations["noise_variance"]

    discrete = True

    def components(self, outputs, noise, draws):
        """Each draw's Poisson: ``{"rate"}``."""
        return {"rate": as_float64(outputs)}

    def component_logpdf(self, y, components):
        """Each draw's log-probability of the counts ``y``."""
        rate = components["rate"]
        return xlogy(y, rate) - rate - gammaln(y + 1.0)

    def component_cdf(self, y, components):
        """Each draw's probability of at most ``y`` counts."""
        counts = np.floor(y)
        return np.where(
            counts < 0, 0.0, pdtr(np.maximum(counts, 0), components["rate"])
        )

    def component_ppf(self, q, components):
        """Each draw's quantile ``q``: the least count whose cdf reaches it."""
        return stats.poisson.ppf(q, components["rate"])

    def component_sample(self, rng, components):
        """One count from each draw's distribution."""
        return rng.poisson(components["rate"]).astype(np.float64)

    def component_moments(self, components):
        """Each draw's mean and variance: both its rate."""
        return components["rate"], components["rate"]
