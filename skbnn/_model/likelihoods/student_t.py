"""Student-t noise: heavy tails whose weight the data decide."""

from dataclasses import dataclass

import numpy as np
import pymc as pm
from scipy.special import gammaln, stdtr, stdtrit

from ..priors import log_value_name
from .normal import HeteroscedasticNormalLikelihood, NormalLikelihood
from .regression import draw_log_normal, log_normal_median

# The degrees of freedom are 2 plus this variable, so that the noise has a
# variance; PyMC infers it on the log scale.
DF_EXCESS_NAME = "df_excess"
DF_EXCESS_VALUE_NAME = log_value_name(DF_EXCESS_NAME)
# Gamma(2, 0.1) on the excess: mean 20 (nearly Normal noise) with room for
# heavy tails (Juarez and Steel, "Model-based clustering of non-Gaussian
# panel data based on skew-t distributions", JBES 2010, use it on the df).
DF_EXCESS_ALPHA, DF_EXCESS_BETA = 2.0, 0.1


def student_t_log_density(residual, scale, df):
    """Log density of ``StudentT(df, 0, scale)`` at ``residual``, elementwise."""
    z = residual / scale
    return (
        gammaln((df + 1) / 2)
        - gammaln(df / 2)
        - 0.5 * np.log(df * np.pi)
        - np.log(scale)
        - (df + 1) / 2 * np.log1p(z**2 / df)
    )


class _StudentTNoise:
    """Student-t noise in place of the Normal: ``y ~ t_nu(mean, scale)``.

    ``nu = 2 + df_excess`` per target, with ``df_excess ~ Gamma(2, 0.1)``:
    the noise keeps a finite variance, ``scale**2 * nu / (nu - 2)``, and the
    data decide how heavy its tails are. Outlying rows pull the network's
    mean less than under Normal noise.
    """

    def _observed(self, mean, scale, y):
        df_excess = pm.Gamma(
            DF_EXCESS_NAME,
            alpha=DF_EXCESS_ALPHA,
            beta=DF_EXCESS_BETA,
            shape=(self.n_outputs,),
        )
        return pm.StudentT("y", nu=2.0 + df_excess, mu=mean, sigma=scale, observed=y)

    def _member_noise_variance(self, free_variables):
        # nu / (nu - 2) = 1 + 2 / e times the scale's square, with e log-normal
        # and independent of the scale under a member: the mean of 1 / e is
        # exp(-m + s^2 / 2) for its log-scale m and s.
        variance = super()._member_noise_variance(free_variables)
        mean, std = free_variables[DF_EXCESS_VALUE_NAME]
        return variance * (1.0 + 2.0 * np.exp(-mean + np.square(std) / 2))

    def noise_df(self, posterior):
        """Posterior median of each target's degrees of freedom.

        ``2 + e`` at the median of the log-normal excess ``e``; with several
        members, at the geometric mean of their medians.
        """
        return 2.0 + log_normal_median(posterior, DF_EXCESS_VALUE_NAME)

    def draw_noise(self, posterior, rng, members):
        """Draw each draw's noise scale and degrees of freedom (``"df"``)."""
        noise = super().draw_noise(posterior, rng, members)
        noise["df"] = 2.0 + draw_log_normal(
            posterior, DF_EXCESS_VALUE_NAME, rng, members
        )
        return noise

    def components(self, outputs, noise, draws):
        """Each draw's Student-t: ``{"loc", "scale", "df"}``."""
        components = super().components(outputs, noise, draws)
        components["df"] = noise["df"][draws][:, None, :]
        return components

    def component_logpdf(self, y, components):
        """Each draw's log-density at ``y``, target by target."""
        return student_t_log_density(
            y - components["loc"], components["scale"], components["df"]
        )

    def component_cdf(self, y, components):
        """Each draw's distribution function at ``y``."""
        z = (y - components["loc"]) / components["scale"]
        return stdtr(components["df"], z)

    def component_ppf(self, q, components):
        """Each draw's quantile ``q``."""
        df = components["df"]
        return components["loc"] + components["scale"] * stdtrit(df, q)

    def component_sample(self, rng, components):
        """One value from each draw's distribution."""
        loc, scale, df = np.broadcast_arrays(
            components["loc"], components["scale"], components["df"]
        )
        return loc + scale * rng.standard_t(df)

    def component_moments(self, components):
        """Each draw's mean and variance, ``scale**2 * df / (df - 2)``."""
        df = components["df"]
        return components["loc"], np.square(components["scale"]) * df / (df - 2.0)


@dataclass(frozen=True)
class StudentTLikelihood(_StudentTNoise, NormalLikelihood):
    """Regression: ``y ~ StudentT(2 + df_excess, outputs, noise_std)``.

    The noise scale ``noise_std`` has the HalfNormal prior of
    :class:`~skbnn._model.build.likelihoods.normal.NormalLikelihood`; see
    :class:`_StudentTNoise` for the degrees of freedom.
    """


@dataclass(frozen=True)
class HeteroscedasticStudentTLikelihood(
    _StudentTNoise, HeteroscedasticNormalLikelihood
):
    """Regression: Student-t noise whose scale depends on the input.

    The scale is that of the heteroscedastic Normal likelihood; the degrees
    of freedom those of :class:`StudentTLikelihood`.
    """
