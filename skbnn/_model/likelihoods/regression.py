"""The prediction half that every regression likelihood shares.

Each draw's outputs give the network's mean of each target; averaged over
draws they are ``predict``, and their spread is the epistemic uncertainty.
Each family adds its noise: its variance (the aleatoric uncertainty), its
draws and its log-density, which together give the log of the posterior
predictive density.
"""

import numpy as np
import pytensor.tensor as pt

from .base import Likelihood, variance

REGRESSION_UNCERTAINTY_KINDS = frozenset({"std", "epistemic", "aleatoric"})


def as_float64(values):
    """Return ``values`` in float64, the precision of every average."""
    return values.astype(np.float64)


MEAN_STATISTICS = {
    "mean": as_float64,
    "mean_squared": lambda mean: np.square(as_float64(mean)),
}


def regression_uncertainty(expectations, noise_variance, kind):
    """Per-sample predictive standard deviation of a regressor, or a part of it.

    Parameters
    ----------
    expectations : dict of str to ndarray
        Posterior means of ``"mean"`` and ``"mean_squared"``.
    noise_variance : ndarray of shape (n_outputs,) or (n_samples, n_outputs)
        Posterior mean of the observation noise variance, per sample when
        the noise depends on the input.
    kind : {"std", "epistemic", "aleatoric"}
        ``"std"`` is the total predictive standard deviation; its square is the
        sum of the squares of ``"epistemic"`` (spread of the network's mean
        over the posterior) and ``"aleatoric"`` (observation noise).

    Returns
    -------
    uncertainty : ndarray of shape (n_samples, n_outputs)
    """
    epistemic = variance(expectations["mean_squared"], expectations["mean"])
    aleatoric = np.broadcast_to(noise_variance, epistemic.shape)
    return np.sqrt(
        {
            "std": epistemic + aleatoric,
            "epistemic": epistemic,
            "aleatoric": aleatoric,
        }[kind]
    )


def draw_log_normal(posterior, key, rng, members):
    """Draw a positive free variable, Gaussian on PyMC's log scale.

    Returns an array of shape ``(len(members), *its shape)``.
    """
    mean, std = posterior.free_variable_moments(key, members)
    shape = (len(members), *np.shape(posterior.free_variable(key)[0]))
    return np.exp(mean + std * rng.standard_normal(shape))


def log_normal_median(posterior, key):
    """Median of a positive free variable; the members' geometric mean of it."""
    means = [posterior.free_variable(key, m)[0] for m in range(posterior.n_members)]
    return np.exp(np.mean(means, axis=0))


class RegressionLikelihood(Likelihood):
    """Base of the regression likelihoods: targets are real columns.

    Attributes
    ----------
    standardises_targets : bool
        Whether the targets may be standardised before the fit (a location
        and scale family: the density in y's units is the standardised one
        less the log of the scale). Counts are not.
    """

    statistics = MEAN_STATISTICS
    uncertainty_kinds = REGRESSION_UNCERTAINTY_KINDS
    standardises_targets = True

    def target_variable(self, name, dtype):
        """Symbolic targets: one column per output."""
        return pt.matrix(name, shape=(None, self.n_outputs), dtype=dtype)

    def check_targets(self, y):
        """Raise ``ValueError`` for targets outside the likelihood's support."""

    def noise_variance(self, expectations, posterior):
        """Posterior mean of the noise variance, per target or per sample."""
        raise NotImplementedError

    def uncertainty(self, expectations, kind, posterior):
        """Per-sample uncertainty; see :func:`regression_uncertainty`."""
        noise_variance = self.noise_variance(expectations, posterior)
        return regression_uncertainty(expectations, noise_variance, kind)

    def draw_noise(self, posterior, rng, members):
        """Draw the noise's own variables for each posterior draw.

        Returns a dict of arrays, each of shape ``(len(members), n_outputs)``;
        empty where the noise has no variable of its own.
        """
        return {}

    # Whether the targets are counts (the distribution's quantiles are then
    # whole numbers).
    discrete = False

    def components(self, outputs, noise, draws):
        """Each draw's distribution of the encoded targets, by its parameters.

        Parameters
        ----------
        outputs : ndarray of shape (n_chunk_draws, n_rows, n_network_outputs)
            The draws' outputs, through the inverse link.
        noise : dict of str to ndarray
            :meth:`draw_noise`'s draws, for all draws.
        draws : slice
            The draws ``outputs`` belong to.

        Returns
        -------
        components : dict of str to ndarray
            Arrays that broadcast to ``(n_chunk_draws, n_rows, n_outputs)``;
            the ``component_*`` methods read them.
        """
        raise NotImplementedError

    def log_density(self, y, outputs, noise, draws):
        """Log-density of ``y`` under each draw, summed over the targets.

        ``y`` (of shape (n_rows, n_outputs)) holds targets encoded as in the
        fit; the other parameters are :meth:`components`'s.

        Returns
        -------
        log_density : ndarray of shape (n_chunk_draws, n_rows)
        """
        components = self.components(outputs, noise, draws)
        return self.component_logpdf(y, components).sum(axis=-1)

    def noise_std(self, posterior):
        """Posterior median of each target's noise scale, or None if it has none."""
        return None

    def noise_df(self, posterior):
        """Posterior median of each target's degrees of freedom, or None."""
        return None
