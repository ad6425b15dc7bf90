"""The base of the Bayesian MLP estimators: parameters, fitting, prediction."""

import contextlib
import warnings
from abc import ABCMeta, abstractmethod
from itertools import pairwise
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._device import compile_mode, device_context
from ._inference import STEP_CACHE, AdviStep, fit_advi
from ._layers import ACTIVATIONS
from ._model import build_model
from ._networks import MLPNetwork, coef_name, intercept_name
from ._predictive import iter_draw_outputs, posterior_expectations
from ._priors import PRIORS
from ._progress import progress_bar, wants_progress_bar
from ._stopping import StoppingRule

# The fit and the predictions compute in float32 whatever the input dtype:
# ADVI follows a one-draw Monte Carlo estimate of the gradient whose noise
# dwarfs float32 rounding, and float32 halves the memory traffic of every
# step (benchmarks/bench_mnist.py compares the two).
DTYPE = np.float32

# ADVI's loss is a one-draw Monte Carlo estimate whose slow late progress only
# shows over several hundred steps, however few steps an epoch has; measured on
# moons, digits and a 1-D regression, stopping within fewer steps leaves the
# posterior clearly short of convergence.
AUTO_PATIENCE_STEPS = 600

# Variational standard deviations start small, so the first steps follow the
# means as plain gradient descent would, before the posterior spread grows.
# Weights start at 1/64 of their layer's Glorot bound: about 1e-2 for the small
# networks of moons, digits and 1-D regressions, whose figures it kept
# (benchmarks/bench_small.py), and about 1e-3 for MNIST's 2x800 MLP, where a
# fixed 1e-3 reached 98.2% test accuracy in 15 epochs and a fixed 1e-2 97.8%
# in 10 (examples/mnist_mlp.py). Other variables (prior scales, noise) start
# at INITIAL_STD.
INITIAL_STD = 1e-2
INITIAL_STD_OF_BOUND = 1 / 64


def _check_hidden_layer_sizes(hidden_layer_sizes):
    if not hasattr(hidden_layer_sizes, "__iter__"):
        hidden_layer_sizes = [hidden_layer_sizes]
    hidden_layer_sizes = list(hidden_layer_sizes)
    if not all(isinstance(size, Integral) and size > 0 for size in hidden_layer_sizes):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden_layer_sizes}.")
    return hidden_layer_sizes


def _check_kinds(kind, kinds):
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


def _by_kind(kind, values):
    """Return ``values[kind]`` for one kind, else the dict of those asked for."""
    if isinstance(kind, str) and kind != "all":
        return values[kind]
    return values


class BaseBayesianMLP(BaseEstimator, metaclass=ABCMeta):
    """Base class of the Bayesian MLPs; use the derived estimators instead."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "prior": [StrOptions(set(PRIORS))],
        "prior_scale": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
            StrOptions({"auto"}),
        ],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_posterior_draws": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "device": [StrOptions({"cpu", "gpu", "auto"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        *,
        prior,
        prior_scale,
        batch_size,
        learning_rate_init,
        max_iter,
        tol,
        n_iter_no_change,
        early_stopping,
        validation_fraction,
        n_posterior_draws,
        warm_start,
        device,
        random_state,
        verbose,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.prior = prior
        self.prior_scale = prior_scale
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_posterior_draws = n_posterior_draws
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # The task subclasses supply these.

    @abstractmethod
    def _validate_targets(self, X, y, reset):
        """Validate X and y; return X and y encoded for the likelihood."""

    @abstractmethod
    def _likelihood(self):
        """Return the likelihood of the fitted task."""

    @abstractmethod
    def _validation_score(self, expectations, y):
        """Score posterior expectations against encoded targets."""

    _statistics: dict

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the variational posterior of the network to data.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Training targets.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        hidden_layer_sizes = _check_hidden_layer_sizes(self.hidden_layer_sizes)
        warm = self.warm_start and hasattr(self, "posterior_")
        X, y = self._validate_targets(X, y, reset=not warm)
        likelihood = self._likelihood()
        layer_units = [X.shape[1], *hidden_layer_sizes, likelihood.n_outputs]
        if warm:
            self._check_warm_start_shapes(layer_units)
        self.n_layers_ = len(layer_units)
        network = MLPNetwork(tuple(layer_units), self.activation)
        # Prediction reads the architecture from here, so that set_params after
        # fit cannot make it disagree with the posterior.
        self._fitted_network = network

        random_state = check_random_state(self.random_state)
        init_seed, split_seed, advi_seed, self._prediction_seed = random_state.randint(
            np.iinfo(np.int32).max, size=4
        )

        validation_score = None
        if self.early_stopping:
            X, X_val, y, y_val = train_test_split(
                X,
                y,
                test_size=self.validation_fraction,
                stratify=y if is_classifier(self) else None,
                random_state=split_seed,
            )
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase "
                    "'validation_fraction' or the size of your dataset."
                )

            def validation_score(posterior):
                expectations = self._posterior_expectations(X_val, posterior)
                return self._validation_score(expectations, y_val)

        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        steps_per_epoch = -(-n_samples // batch_size)
        stopping = StoppingRule(
            self.tol,
            self._patience(steps_per_epoch),
            validation_score=validation_score,
            verbose=self.verbose,
            max_epochs=self.max_iter,
        )

        if warm:
            initial_posterior = self.posterior_
        else:
            initial_posterior = self._initial_posterior(network, init_seed)
            self.loss_curve_ = []
        with device_context(self.device) as device:
            key = (network, self.prior, self.prior_scale, likelihood, DTYPE, device)

            def build_step():
                batch_model = build_model(
                    network,
                    prior=self.prior,
                    prior_scale=self.prior_scale,
                    likelihood=likelihood,
                    dtype=np.dtype(DTYPE).name,
                )
                return AdviStep(batch_model, mode=compile_mode(device))

            step = STEP_CACHE.borrow(key, build_step)
            progress = (
                progress_bar(self.max_iter, steps_per_epoch)
                if wants_progress_bar(self.verbose)
                else contextlib.nullcontext()
            )
            try:
                step.reset(initial_posterior, INITIAL_STD, seed=advi_seed)
                with progress as on_step:
                    result = fit_advi(
                        step,
                        X,
                        y,
                        batch_size=batch_size,
                        learning_rate=self.learning_rate_init,
                        max_epochs=self.max_iter,
                        random_seed=advi_seed,
                        on_epoch_end=stopping,
                        on_step=on_step,
                    )
            finally:
                STEP_CACHE.give_back(key, step)

        self.n_iter_ = len(result.loss_curve)
        self.t_ = result.n_steps * batch_size
        self.loss_curve_ = [*self.loss_curve_, *result.loss_curve]
        if self.early_stopping:
            # Every validation score may be NaN; keep the last posterior then.
            self.posterior_ = stopping.best_posterior or result.posterior
            self.best_loss_ = None
            self.validation_scores_ = stopping.validation_scores
            self.best_validation_score_ = stopping.best_validation_score
        else:
            self.posterior_ = result.posterior
            self.best_loss_ = stopping.best_loss
            self.validation_scores_ = None
            self.best_validation_score_ = None
        if self.n_iter_ == self.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
        return self

    def _patience(self, steps_per_epoch):
        if self.n_iter_no_change != "auto":
            return self.n_iter_no_change
        return max(10, -(-AUTO_PATIENCE_STEPS // steps_per_epoch))

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is "
                "going to be clipped"
            )
        return min(self.batch_size, n_samples)

    def _initial_posterior(self, network, seed):
        # Glorot-uniform means as in scikit-learn's MLP (Glorot and Bengio,
        # 2010): random enough to break the symmetry between hidden units.
        rng = np.random.default_rng(seed)
        factor = 2.0 if self.activation == "logistic" else 6.0
        posterior = {}
        for name, shape, fan_in in network.parameters():
            bound = np.sqrt(factor / (fan_in + shape[-1]))
            posterior[name] = (
                rng.uniform(-bound, bound, shape),
                INITIAL_STD_OF_BOUND * bound,
            )
        return posterior

    def _check_warm_start_shapes(self, layer_units):
        fitted = [coef.shape for coef in self.coefs_]
        wanted = list(pairwise(layer_units))
        if fitted != wanted:
            raise ValueError(
                "warm_start can only be used with the architecture of the "
                f"previous call to fit: it had layers of shapes {fitted}, this "
                f"call asks for {wanted}."
            )

    def __sklearn_is_fitted__(self):
        # A fit that failed midway leaves other attributes behind, but no
        # posterior: such an estimator is not fitted.
        return hasattr(self, "posterior_")

    def _posterior_expectations(self, X, posterior):
        likelihood = self._likelihood()
        with device_context(self.device) as device:
            draw_outputs = iter_draw_outputs(
                posterior,
                X,
                network=self._fitted_network,
                inverse_link=likelihood.inverse_link,
                n_draws=self.n_posterior_draws,
                seed=self._prediction_seed,
                mode=compile_mode(device),
            )
            return posterior_expectations(
                draw_outputs, X.shape[0], self.n_posterior_draws, self._statistics
            )

    def _expectations(self, X):
        """Validate ``X`` and average the prediction statistics over draws."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=DTYPE)
        return self._posterior_expectations(X, self.posterior_)

    def _layer_posterior(self, name_of, part):
        check_is_fitted(self)
        return [self.posterior_[name_of(i)][part] for i in range(self.n_layers_ - 1)]

    @property
    def coefs_(self):
        """List of ndarray: posterior mean of each layer's weight matrix."""
        return self._layer_posterior(coef_name, 0)

    @property
    def coefs_std_(self):
        """List of ndarray: posterior std of each layer's weight matrix."""
        return self._layer_posterior(coef_name, 1)

    @property
    def intercepts_(self):
        """List of ndarray: posterior mean of each layer's bias vector."""
        return self._layer_posterior(intercept_name, 0)

    @property
    def intercepts_std_(self):
        """List of ndarray: posterior std of each layer's bias vector."""
        return self._layer_posterior(intercept_name, 1)
