"""Monotone maps of regression targets to the scale the likelihood models.

A regressor with a target transform fits its likelihood to ``t = T(y)``; its
predictive distribution of ``y`` is the likelihood's pushed back through
``T``: quantiles map through ``T``'s inverse, and densities gain the log of
``T``'s slope (the Jacobian), so that log-likelihoods stay in the units of
``y`` and comparable with any other model's.
"""

import numpy as np
from scipy.stats import yeojohnson, yeojohnson_normmax

# Yeo-Johnson powers outside [0, 2] map the real line onto a half-line, so
# that part of a Normal or Student-t in the transformed scale would have no y
# at all; inside, the transform maps the real line onto itself.
POWER_RANGE = (0.0, 2.0)


class YeoJohnsonTransform:
    """The Yeo-Johnson transform of each target, with its own power.

    ``T(y) = ((y + 1)^p - 1) / p`` for ``y >= 0`` and
    ``-((1 - y)^(2 - p) - 1) / (2 - p)`` below (``log1p`` at ``p = 0`` and
    ``p = 2``), as :func:`scipy.stats.yeojohnson` and scikit-learn's
    ``PowerTransformer`` compute it. Each power is fitted to its target by
    maximum likelihood (:func:`scipy.stats.yeojohnson_normmax`), then clipped
    to ``POWER_RANGE``.

    Parameters
    ----------
    powers : ndarray of shape (n_outputs,)
    """

    def __init__(self, powers):
        self.powers = np.asarray(powers, dtype=np.float64)

    @classmethod
    def fitted(cls, y):
        """Fit each column's power to the targets ``y`` (n_samples, n_outputs)."""
        powers = [yeojohnson_normmax(column) for column in np.asarray(y, np.float64).T]
        return cls(np.clip(powers, *POWER_RANGE))

    def forward(self, y):
        """Return ``T(y)``, column by column."""
        y = np.asarray(y, dtype=np.float64)
        columns = [yeojohnson(y[..., k], p) for k, p in enumerate(self.powers)]
        return np.stack(columns, axis=-1)

    def inverse(self, t):
        """Return ``y`` with ``T(y) = t``, column by column."""
        t = np.asarray(t, dtype=np.float64)
        columns = [_inverse(t[..., k], p) for k, p in enumerate(self.powers)]
        return np.stack(columns, axis=-1)

    def log_jacobian(self, y):
        """Return ``log T'(y)`` of each entry: what a log-density of ``t`` gains."""
        y = np.asarray(y, dtype=np.float64)
        return np.sign(y) * (self.powers - 1) * np.log1p(np.abs(y))


def _inverse(t, power):
    positive = t >= 0
    # Powers in [0, 2] keep both bases non-negative; the maximum only stops
    # the branch np.where discards from warning.
    with np.errstate(over="ignore"):
        if power == 0:
            up = np.expm1(t)
        else:
            up = np.power(np.maximum(power * t + 1, 0), 1 / power) - 1
        if power == 2:
            down = -np.expm1(-t)
        else:
            down = 1 - np.power(np.maximum(1 - (2 - power) * t, 0), 1 / (2 - power))
    return np.where(positive, up, down)
