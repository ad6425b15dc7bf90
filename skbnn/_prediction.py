"""How a fitted estimator predicts: validate ``X``, draw, average, summarise."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import _device
from ._device import compile_mode, device_context
from ._networks import coef_name, intercept_name
from ._predictive import iter_draw_outputs, posterior_expectations, stack_draw_outputs
from ._validation import validate_input


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

    def _posterior_expectations(self, X, posterior):
        draw_outputs = self._iter_draw_outputs(
            X, posterior, self.n_posterior_draws, self._prediction_seed
        )
        return posterior_expectations(
            draw_outputs, X.shape[0], self.n_posterior_draws, self._statistics
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

    def _validated_input(self, X):
        """Check that the model is fitted and its parameters valid; validate X."""
        check_is_fitted(self)
        # set_params after fit may have changed what prediction reads.
        self._validate_params()
        X, _ = self._as_rows(X, reset=False)
        return validate_input(self, X)

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
