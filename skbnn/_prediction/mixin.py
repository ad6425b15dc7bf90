"""How a fitted estimator predicts: draw, complete, average, summarise.

The draw engine (:mod:`skbnn._prediction.draws`) pushes ``X`` through the
network under posterior draws; the fitted likelihood completes each draw's
outputs with its own draws, names the statistics averaged over them and reads
the uncertainty kinds from those averages. The estimator validates ``X``
(``_validated_input``) and chooses the likelihood (``_likelihood``).
"""

import warnings
from numbers import Integral

import numpy as np
from scipy.special import logsumexp
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._inference import device as _device
from .._inference.device import compile_mode, device_context
from .._model.networks import coef_name, intercept_name
from .averages import posterior_expectations, stack_draw_outputs
from .draws import draw_members, iter_draw_outputs

# Seeds the noise draws of the predictive density apart from the weights'.
_NOISE_STREAM = 2**32 - 2


def requested_kinds(kind, kinds):
    """Validate ``kind``; return the list of kinds it asks for.

    ``kind`` is one of ``kinds``, a list or tuple of them, or ``"all"``.
    """
    if isinstance(kind, str) and kind == "all":
        return sorted(kinds)
    requested = list(kind) if isinstance(kind, list | tuple) else [kind]
    for one in requested:
        if not isinstance(one, str) or one not in kinds:
            raise ValueError(
                f"The 'kind' parameter of predict_uncertainty must be a str among "
                f"{sorted(kinds)}, 'all', or a list of them. Got {kind!r} instead."
            )
    return requested


def by_kind(kind, values):
    """Return ``values[kind]`` for one kind, else the dict of those asked for."""
    if isinstance(kind, str) and kind != "all":
        return values[kind]
    return values


class PosteriorPredictiveMixin:
    """Prediction from ``posterior_`` and the posterior's weight summaries.

    Prediction is a pure function of the fitted posterior and the seed drawn
    at fit time: the same call gives the same numbers, and it changes nothing
    on the estimator.
    """

    def __sklearn_is_fitted__(self):
        # A fit that failed midway leaves other attributes behind, but no
        # posterior: such an estimator is not fitted.
        return hasattr(self, "posterior_")

    def _prediction_device(self):
        # The fitted state is numpy arrays: a model fitted on a GPU predicts on
        # a machine without one, on its CPU.
        reason = _device.gpu_unavailable_reason() if self.device == "gpu" else None
        if reason is not None:
            warnings.warn(
                "This model has device='gpu' but no GPU can be used here "
                f"({reason}); predicting on the CPU. Set "
                "device='cpu' or 'auto' to silence this warning.",
                UserWarning,
            )
            return "cpu"
        return self.device

    def _iter_draw_outputs(self, X, posterior, n_draws, seed, joint=False):
        """Yield ``iter_draw_outputs`` inside the prediction's device context.

        ``joint=False`` (averages over draws, row by row) lets an MLP draw its
        first layer's pre-activations given each row; ``joint=True`` draws
        whole networks, for draws of the network's function.
        """
        with device_context(self._prediction_device()) as device:
            yield from iter_draw_outputs(
                posterior,
                X,
                network=self._fitted_network,
                inverse_link=self._likelihood().inverse_link,
                n_draws=n_draws,
                seed=seed,
                mode=compile_mode(device),
                joint=joint,
            )

    def _posterior_expectations(self, X, posterior, n_draws=None):
        """Average the likelihood's statistics over the posterior draws.

        ``n_draws`` defaults to ``n_posterior_draws``.
        """
        likelihood = self._likelihood()
        n_draws = self.n_posterior_draws if n_draws is None else n_draws
        seed = self._prediction_seed
        draw_outputs = likelihood.prediction_outputs(
            self._iter_draw_outputs(X, posterior, n_draws, seed),
            posterior,
            draw_members(n_draws, posterior.n_members, seed),
        )
        return posterior_expectations(
            draw_outputs, X.shape[0], n_draws, likelihood.statistics
        )

    def _sample_outputs(self, X, n_samples, random_state):
        """Validate ``X``; return outputs of ``n_samples`` fresh posterior draws.

        Returns an array of shape (n_samples_X, n_outputs, n_samples).
        """
        X = self._validated_input(X)
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}.")
        seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
        draw_outputs = self._iter_draw_outputs(
            X, self.posterior_, n_samples, seed, joint=True
        )
        outputs = stack_draw_outputs(draw_outputs, X.shape[0], n_samples)
        return np.moveaxis(outputs, 0, -1).astype(np.float64)

    def _expectations(self, X):
        """Validate ``X`` and average the prediction statistics over draws."""
        return self._posterior_expectations(self._validated_input(X), self.posterior_)

    def _uncertainties(self, X, kind):
        """Validate ``kind`` and ``X``; read each kind asked for from one pass.

        Returns the uncertainty (an array for one kind, a dict by kind for a
        list or ``"all"``) and the expectations it was read from.
        """
        check_is_fitted(self)
        likelihood = self._likelihood()
        kinds = requested_kinds(kind, likelihood.uncertainty_kinds)
        expectations = self._expectations(X)
        values = {
            one: likelihood.uncertainty(expectations, one, self.posterior_)
            for one in kinds
        }
        return by_kind(kind, values), expectations

    def _noise_draws(self):
        """Draw the likelihood's own variables for every prediction draw."""
        n_draws, seed = self.n_posterior_draws, self._prediction_seed
        members = draw_members(n_draws, self.posterior_.n_members, seed)
        rng = np.random.default_rng([seed, _NOISE_STREAM])
        return self._likelihood().draw_noise(self.posterior_, rng, members)

    def _log_predictive_density(self, X, y):
        """Each row's log of the mean over draws of the likelihood of ``y``.

        ``X`` is validated and ``y`` encoded as in the fit; each draw is one of
        the weights and one of the likelihood's noise.
        """
        likelihood, noise = self._likelihood(), self._noise_draws()
        n_draws, seed = self.n_posterior_draws, self._prediction_seed
        posterior = self.posterior_
        log_sum = np.full(X.shape[0], -np.inf)
        for draws, rows, outputs in self._iter_draw_outputs(
            X, posterior, n_draws, seed
        ):
            log_density = likelihood.log_density(y[rows], outputs, noise, draws)
            log_sum[rows] = np.logaddexp(log_sum[rows], logsumexp(log_density, 0))
        return log_sum - np.log(n_draws)

    def _draw_components(self, X):
        """Every draw's distribution of the encoded targets of ``X``.

        The draws of :meth:`_log_predictive_density`: the same seeds, whole.
        """
        likelihood, noise = self._likelihood(), self._noise_draws()
        n_draws, seed = self.n_posterior_draws, self._prediction_seed
        posterior = self.posterior_
        draw_outputs = self._iter_draw_outputs(X, posterior, n_draws, seed)
        outputs = stack_draw_outputs(draw_outputs, X.shape[0], n_draws)
        return likelihood.components(outputs, noise, slice(None))

    def _layer_moments(self, name_of, part):
        check_is_fitted(self)
        n_weight_layers = self._fitted_network.n_weight_layers
        return [
            self.posterior_.moments(name_of(i))[part] for i in range(n_weight_layers)
        ]

    @property
    def coefs_(self):
        """List of ndarray: posterior mean of each layer's weight matrix."""
        return self._layer_moments(coef_name, 0)

    @property
    def coefs_std_(self):
        """List of ndarray: posterior std of each layer's weight matrix."""
        return self._layer_moments(coef_name, 1)

    @property
    def intercepts_(self):
        """List of ndarray: posterior mean of each layer's bias vector."""
        return self._layer_moments(intercept_name, 0)

    @property
    def intercepts_std_(self):
        """List of ndarray: posterior std of each layer's bias vector."""
        return self._layer_moments(intercept_name, 1)
