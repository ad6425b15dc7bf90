"""Normal noise, one level per target or a level that depends on the input."""

from dataclasses import dataclass

import numpy as np
import pymc as pm
from scipy.special import ndtr, ndtri

from ..networks import coef_name, intercept_name
from ..priors import free_weight_name, log_value_name
from .base import noise_ratio
from .regression import (
    RegressionLikelihood,
    as_float64,
    draw_log_normal,
    log_normal_median,
)

NOISE_NAME = "noise_std"
# PyMC infers positive variables such as the noise scale on the log scale, and
# the mean-field posterior is Gaussian in that unconstrained space.
NOISE_VALUE_NAME = log_value_name(NOISE_NAME)


def normal_log_density(residual, scale):
    """Log density of ``Normal(0, scale)`` at ``residual``, elementwise."""
    z = residual / scale
    return -0.5 * np.log(2 * np.pi) - np.log(scale) - 0.5 * z**2


@dataclass(frozen=True)
class NormalLikelihood(RegressionLikelihood):
    """Regression: ``y ~ Normal(outputs, noise_std)`` with the noise learned.

    Parameters
    ----------
    n_outputs : int
        Number of regression targets; each has its own noise scale.
    noise_prior_scale : float, default=1.0
        Scale of the HalfNormal prior on each noise standard deviation.
    """

    n_outputs: int
    noise_prior_scale: float = 1.0
    inverse_link: str = "identity"

    def noise_level(self):
        """Create each target's noise std under its HalfNormal prior."""
        return pm.HalfNormal(
            NOISE_NAME, sigma=self.noise_prior_scale, shape=(self.n_outputs,)
        )

    def observe(self, outputs, y):
        """Attach the Normal likelihood and its noise prior to the model."""
        return self._observed(outputs, self.noise_level(), y)

    def _observed(self, mean, scale, y):
        return pm.Normal("y", mu=mean, sigma=scale, observed=y)

    def _member_noise_variance(self, free_variables):
        # The noise scale is log-normal under a member: its mean square is
        # exp(2 m + 2 s^2) for log-scale mean m and std s.
        mean, std = free_variables[NOISE_VALUE_NAME]
        return np.exp(2.0 * mean + 2.0 * np.square(std))

    def _mean_noise_variance(self, posterior, members):
        variances = [
            self._member_noise_variance(posterior.free_variables(member))
            for member in members
        ]
        return np.mean(variances, axis=0)

    def noise_variance(self, expectations, posterior):
        """Return the mixture's noise variance per target: the members' average."""
        return self._mean_noise_variance(posterior, range(posterior.n_members))

    def noise_std(self, posterior):
        """Posterior median of each target's noise std (geometric mean of members')."""
        return log_normal_median(posterior, NOISE_VALUE_NAME)

    def draw_noise(self, posterior, rng, members):
        """Draw each draw's noise scale: ``{"scale": (n_draws, n_outputs)}``."""
        return {"scale": draw_log_normal(posterior, NOISE_VALUE_NAME, rng, members)}

    def _draw_scale(self, noise, outputs, draws):
        return noise["scale"][draws][:, None, :]

    def components(self, outputs, noise, draws):
        """Each draw's Normal: ``{"loc", "scale"}``; see the base class."""
        outputs = as_float64(outputs)
        return {
            "loc": outputs[..., : self.n_outputs],
            "scale": self._draw_scale(noise, outputs, draws),
        }

    def component_logpdf(self, y, components):
        """Each draw's log-density at ``y``, target by target."""
        return normal_log_density(y - components["loc"], components["scale"])

    def component_cdf(self, y, components):
        """Each draw's distribution function at ``y``."""
        return ndtr((y - components["loc"]) / components["scale"])

    def component_ppf(self, q, components):
        """Each draw's quantile ``q``."""
        return components["loc"] + components["scale"] * ndtri(q)

    def component_sample(self, rng, components):
        """One value from each draw's distribution."""
        loc, scale = np.broadcast_arrays(components["loc"], components["scale"])
        return loc + scale * rng.standard_normal(loc.shape)

    def component_moments(self, components):
        """Each draw's mean and variance."""
        return components["loc"], np.square(components["scale"])


def _half(outputs, second):
    # Heteroscedastic outputs: each target's mean, then its noise variance.
    n_targets = outputs.shape[-1] // 2
    part = outputs[..., n_targets:] if second else outputs[..., :n_targets]
    return part.astype(np.float64)


@dataclass(frozen=True)
class HeteroscedasticNormalLikelihood(NormalLikelihood):
    """Regression: ``y ~ Normal(mean(x), noise_std * exp(log_ratio(x)))``.

    The network has two outputs per target: its mean and the log of the ratio
    of its noise standard deviation to a learned level ``noise_std``, both
    functions of the input sharing the hidden layers, under the weight prior;
    ``noise_std`` has the HalfNormal prior of :class:`NormalLikelihood`.
    With the ratio's output weights at zero the model is the homoscedastic
    one, which is where a fit starts.

    Parameters
    ----------
    n_outputs : int
        Number of regression targets.
    noise_prior_scale : float, default=1.0
        Scale of the HalfNormal prior on each noise level.
    """

    inverse_link: str = "mean_and_noise_variance"

    statistics = {
        "mean": lambda outputs: _half(outputs, second=False),
        "mean_squared": lambda outputs: np.square(_half(outputs, second=False)),
        "noise_variance": lambda outputs: _half(outputs, second=True),
    }

    @property
    def n_network_outputs(self):
        """int: width of the network's output layer, a mean and a log ratio each."""
        return 2 * self.n_outputs

    def observe(self, outputs, y):
        """Attach the Normal likelihood with input-dependent noise."""
        mean, log_ratio = outputs[:, : self.n_outputs], outputs[:, self.n_outputs :]
        return self._observed(mean, self.noise_level() * noise_ratio(log_ratio), y)

    def noise_variance(self, expectations, posterior):
        """Return the noise variance of each sample, averaged over the draws."""
        return expectations["noise_variance"]

    def noise_std(self, posterior):
        """None: the noise varies with the input."""
        return None

    def prediction_outputs(self, draw_outputs, posterior, members):
        """Scale each draw's ratio ``exp(2 r(x))`` by its member's level."""
        # Under each member's mean-field Gaussian the level is independent of
        # the weights, so the mean of its square enters.
        levels = np.stack(
            [
                self._mean_noise_variance(posterior, [member])
                for member in range(posterior.n_members)
            ]
        )
        n_targets = self.n_outputs
        for draws, rows, outputs in draw_outputs:
            level = levels[members[draws]][:, None, :]
            yield (
                draws,
                rows,
                np.concatenate(
                    [outputs[..., :n_targets], outputs[..., n_targets:] * level],
                    axis=-1,
                ),
            )

    def initial_posterior(self, posterior, network, variable_names):
        """Start the ratio's output weights at zero: the homoscedastic model.

        The noise then varies only as far as the data ask.
        """
        last = network.n_weight_layers - 1
        for name in (coef_name(last), intercept_name(last)):
            key = free_weight_name(variable_names, name)
            mean, std = posterior[key]
            mean = np.array(mean)
            mean[..., self.n_outputs :] = 0.0
            posterior[key] = (mean, std)
        return posterior

    def _draw_scale(self, noise, outputs, draws):
        scale = super()._draw_scale(noise, outputs, draws)
        return scale * np.sqrt(outputs[..., self.n_outputs :])
