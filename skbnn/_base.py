"""The base of the Bayesian network estimators: parameters, fitting, prediction."""

import contextlib
import time
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from . import _device
from ._device import compile_mode, device_context
from ._inference import STEP_CACHE, AdviStep, fit_advi
from ._layers import ACTIVATIONS
from ._model import build_model
from ._networks import MLPNetwork, coef_name, intercept_name
from ._out_of_core import OutOfCoreRows, is_out_of_core, validate_out_of_core
from ._predictive import (
    iter_draw_outputs,
    posterior_expectations,
    stack_draw_outputs,
)
from ._priors import PRIORS, free_weight_name, mixture_weight_moments
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

# The loss that picks the posterior to keep, and that detects a loss running
# away from its best, is the epoch loss averaged over this many steps: ADVI's
# one-draw loss is too noisy to rank posteriors by one step.
SMOOTHING_STEPS = 50

# Inputs whose root mean square exceeds this look unscaled: in the thousands,
# where scikit-learn's own test data stay below.
UNSCALED_FEATURE_SCALE = 1000.0


def _check_hidden_layer_sizes(hidden_layer_sizes):
    if not hasattr(hidden_layer_sizes, "__iter__"):
        hidden_layer_sizes = [hidden_layer_sizes]
    hidden_layer_sizes = list(hidden_layer_sizes)
    if not all(isinstance(size, Integral) and size > 0 for size in hidden_layer_sizes):
        raise ValueError(
            f"hidden_layer_sizes must be integers > 0, got {hidden_layer_sizes}."
        )
    return [int(size) for size in hidden_layer_sizes]


def _run_rank(stopping):
    """Sort key of a run among ``n_init`` runs: lower is better."""
    if stopping.validation_score is not None:
        return -stopping.best_validation_score
    return stopping.best_smoothed_loss


def _root_mean_square(X):
    # einsum sums the squares column by column without a squared copy of X.
    return np.sqrt(np.einsum("ij,ij->j", X, X, dtype=np.float64) / X.shape[0])


def _warn_if_unscaled(root_mean_square):
    # Weights start at the scale of standardised inputs, and the prior
    # assumes it; inputs in the hundreds slow ADVI and can make it diverge.
    feature = int(np.argmax(root_mean_square))
    if root_mean_square[feature] > UNSCALED_FEATURE_SCALE:
        warnings.warn(
            f"X looks unscaled: feature {feature} has a root mean square of "
            f"{root_mean_square[feature]:.3g}. Bayesian networks fit best on "
            "standardised inputs; put a StandardScaler before the estimator in "
            "a Pipeline.",
            UserWarning,
        )


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


class BaseBayesianNetwork(BaseEstimator, metaclass=ABCMeta):
    """Base class of the Bayesian networks; use the derived estimators instead."""

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
        "learning_rate": [StrOptions({"constant", "adaptive"})],
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
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "ensemble_size": [Interval(Integral, 1, None, closed="left")],
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
        learning_rate,
        learning_rate_init,
        max_iter,
        tol,
        n_iter_no_change,
        early_stopping,
        validation_fraction,
        n_posterior_draws,
        warm_start,
        n_init,
        ensemble_size,
        device,
        random_state,
        verbose,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.prior = prior
        self.prior_scale = prior_scale
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_posterior_draws = n_posterior_draws
        self.warm_start = warm_start
        self.n_init = n_init
        self.ensemble_size = ensemble_size
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # The task subclasses supply these.

    # Keyword arguments of validate_data that check the targets.
    _target_checks: dict = {}

    @abstractmethod
    def _encode_targets(self, y, reset):
        """Encode validated targets for the likelihood."""

    @abstractmethod
    def _likelihood(self):
        """Return the likelihood of the fitted task."""

    @abstractmethod
    def _validation_score(self, expectations, y, sample_weight):
        """Score posterior expectations against encoded targets."""

    _statistics: dict

    # The architecture hooks; the MLP's are the defaults.

    def _as_rows(self, X, reset):
        """Return ``X`` with one row per sample, before validation."""
        return X

    def _network(self, n_features, n_outputs):
        """Return the architecture description for data of this width."""
        hidden_layer_sizes = _check_hidden_layer_sizes(self.hidden_layer_sizes)
        layer_units = (n_features, *hidden_layer_sizes, n_outputs)
        return MLPNetwork(layer_units, self.activation)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the variational posterior of the network to data.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Training inputs. An ``np.memmap`` or a Dask array is not loaded:
            it is validated block by block, and the minibatches come from a
            buffer of blocks picked at random (see the README's "Data larger
            than memory"); the predictions read such inputs block by block too.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Training targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample's log-likelihood term in the ELBO: a weight
            of 2 counts a sample as if it appeared twice in the data.
            Minibatches are drawn uniformly and their terms scaled to the
            whole data set, so the ELBO stays unbiased. The early-stopping
            score weighs the held-out samples alike. None weighs every sample
            by one.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "posteriors_")
        if warm and self.ensemble_size < len(self.posteriors_):
            raise ValueError(
                f"ensemble_size={self.ensemble_size} must be larger or equal to "
                f"len(posteriors_)={len(self.posteriors_)} when warm_start==True"
            )
        X, y = self._validate_training_data(X, y, reset=not warm)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        likelihood = self._likelihood()
        network = self._network(X.shape[1], likelihood.n_outputs)
        if warm and network != self._fitted_network:
            raise ValueError(
                "warm_start can only be used with the architecture of the "
                f"previous call to fit: it had {self._fitted_network}, this "
                f"call asks for {network}."
            )
        self.n_layers_ = network.n_weight_layers + 1
        # Prediction reads the architecture from here, so that set_params after
        # fit cannot make it disagree with the posterior.
        self._fitted_network = network

        random_state = check_random_state(self.random_state)
        init_seed, split_seed, advi_seed, self._prediction_seed = random_state.randint(
            np.iinfo(np.int32).max, size=4
        )
        # Seeds of every run of every member, n_init runs each; the first
        # member's first run has the seeds drawn above. A warm start continues
        # each fitted member in one run with its first seeds.
        seeds = [
            (init_seed, advi_seed),
            *random_state.randint(
                np.iinfo(np.int32).max, size=(self.ensemble_size * self.n_init - 1, 2)
            ),
        ]
        member_seeds = [
            seeds[member * self.n_init : (member + 1) * self.n_init]
            for member in range(self.ensemble_size)
        ]
        n_warm = len(self.posteriors_) if warm else 0

        validation_score = None
        if self.early_stopping:
            X, X_val, y, y_val, sample_weight, weight_val = self._split_validation(
                X, y, sample_weight, split_seed
            )

            def validation_score(posterior):
                expectations = self._posterior_expectations(X_val, [posterior])
                return self._validation_score(expectations, y_val, weight_val)

        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        steps_per_epoch = -(-n_samples // batch_size)

        with device_context(self.device) as device:
            # The prior scale is an input of the step: not part of the key.
            key = (network, self.prior, likelihood, DTYPE, device)

            def build_step():
                start = time.perf_counter()
                batch_model = build_model(
                    network,
                    prior=self.prior,
                    prior_scale=self.prior_scale,
                    likelihood=likelihood,
                    dtype=np.dtype(DTYPE).name,
                )
                step = AdviStep(batch_model, mode=compile_mode(device))
                if self.verbose:
                    # The first fit of an architecture in a process pays for
                    # this; say so rather than sit silent.
                    print(
                        f"Built the ADVI step in {time.perf_counter() - start:.1f} "
                        "s; JAX compiles it on the first step (once per "
                        "architecture and process)."
                    )
                return step

            step = STEP_CACHE.borrow(key, build_step)
            try:
                members = []
                for member, seeds in enumerate(member_seeds):
                    start = self.posteriors_[member] if member < n_warm else None
                    result, stopping = self._fit_member(
                        step,
                        X,
                        y,
                        sample_weight,
                        seeds,
                        start,
                        batch_size=batch_size,
                        steps_per_epoch=steps_per_epoch,
                        validation_score=validation_score,
                    )
                    members.append((result, stopping))
                    if result.interrupted:
                        break
            finally:
                STEP_CACHE.give_back(key, step)
        self._store_members(members, batch_size, warm)
        return self

    def _fit_member(
        self,
        step,
        X,
        y,
        sample_weight,
        seeds,
        start,
        *,
        batch_size,
        steps_per_epoch,
        validation_score,
    ):
        """Fit one member of the ensemble; return the result and stopping rule.

        From ``start``, a fitted posterior, one run; else one run per seed pair
        of ``seeds``, keeping the best.
        """
        best = None
        # A warm start continues the fitted posterior: one run, no restarts.
        runs = seeds if start is None else seeds[:1]
        for init_seed, advi_seed in runs:
            stopping = StoppingRule(
                self.tol,
                self._patience(steps_per_epoch),
                validation_score=validation_score,
                verbose=self.verbose,
                max_epochs=self.max_iter,
                smoothing_window=-(-SMOOTHING_STEPS // steps_per_epoch),
                learning_rate_init=self.learning_rate_init,
                adaptive=self.learning_rate == "adaptive",
            )
            initial_posterior = (
                start
                if start is not None
                else self._initial_posterior(
                    self._fitted_network, init_seed, step.variable_names
                )
            )
            step.reset(
                initial_posterior,
                INITIAL_STD,
                seed=advi_seed,
                prior_scale=self.prior_scale,
            )
            progress = (
                progress_bar(self.max_iter, steps_per_epoch)
                if wants_progress_bar(self.verbose)
                else contextlib.nullcontext()
            )
            with progress as on_step:
                result = fit_advi(
                    step,
                    X,
                    y,
                    batch_size=batch_size,
                    learning_rate=stopping.next_learning_rate,
                    max_epochs=self.max_iter,
                    random_seed=advi_seed,
                    sample_weight=sample_weight,
                    on_epoch_end=stopping,
                    on_step=on_step,
                )
            if best is None or _run_rank(stopping) < _run_rank(best[1]):
                best = result, stopping
            if result.interrupted:
                break
        return best

    def _validate_training_data(self, X, y, reset):
        """Validate X and y; return X and the targets encoded for the likelihood.

        Arrays on disk are validated block by block and stay there.
        """
        X = self._as_rows(X, reset=reset)
        if is_out_of_core(X):
            X, root_mean_square = validate_out_of_core(
                self, X, reset=reset, dtype=DTYPE
            )
            y = validate_data(self, X="no_validation", y=y, **self._target_checks)
            check_consistent_length(X, y)
        else:
            X, y = validate_data(
                self, X, y, reset=reset, dtype=DTYPE, **self._target_checks
            )
            root_mean_square = _root_mean_square(X)
        _warn_if_unscaled(root_mean_square)
        return X, self._encode_targets(y, reset)

    def _split_validation(self, X, y, sample_weight, seed):
        # Rows on disk are split by index: the validation rows stay there too.
        on_disk = isinstance(X, OutOfCoreRows)
        rows = np.arange(X.shape[0]) if on_disk else X
        arrays = [rows, y] + ([] if sample_weight is None else [sample_weight])
        split = train_test_split(
            *arrays,
            test_size=self.validation_fraction,
            stratify=y if is_classifier(self) else None,
            random_state=seed,
        )
        if split[1].shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase "
                "'validation_fraction' or the size of your dataset."
            )
        if on_disk:
            split[:2] = X.subset(split[0]), X.subset(split[1])
        if sample_weight is None:
            split += [None, None]
        return split

    def _store_members(self, members, batch_size, warm):
        """Set the fitted attributes from the run kept for each member.

        The training history (``loss_curve_``, ``n_iter_`` and the rest) is
        the first member's; each member's warnings are raised.
        """
        if any(result.interrupted for result, _ in members):
            warnings.warn("Training interrupted by user.")
        # Every validation score may be NaN, and an interrupt may come before
        # the first epoch ends; keep the last posterior then.
        self.posteriors_ = [
            dict(stopping.best_posterior or result.posterior)
            for result, stopping in members
        ]
        result, stopping = members[0]
        self.n_iter_ = len(result.loss_curve)
        self.t_ = result.n_steps * batch_size
        previous_curve = self.loss_curve_ if warm else []
        self.loss_curve_ = [*previous_curve, *result.loss_curve]
        if self.early_stopping:
            self.best_loss_ = None
            self.validation_scores_ = stopping.validation_scores
            self.best_validation_score_ = stopping.best_validation_score
        else:
            self.best_loss_ = stopping.best_loss
            self.validation_scores_ = None
            self.best_validation_score_ = None
        for member, (result, stopping) in enumerate(members):
            self._warn_if_not_converged(
                result,
                stopping,
                f"Member {member} of the ensemble: " if len(members) > 1 else "",
            )

    def _warn_if_not_converged(self, result, stopping, prefix):
        n_epochs = len(result.loss_curve)
        if stopping.runaway is not None:
            warnings.warn(
                f"{prefix}Stopped at epoch {n_epochs}: {stopping.runaway}. Kept "
                f"the posterior of epoch {stopping.best_epoch}. Lower "
                f"learning_rate_init (now {self.learning_rate_init}) or "
                "standardise the inputs (e.g. StandardScaler in a Pipeline).",
                ConvergenceWarning,
            )
        elif n_epochs == self.max_iter and not stopping.reached_plateau:
            # With the adaptive schedule, max_iter may end a refinement at a
            # smaller step size after the fit converged: no warning then.
            warnings.warn(
                f"{prefix}Stochastic Optimizer: Maximum iterations "
                f"({self.max_iter}) reached and the optimization hasn't "
                "converged yet.",
                ConvergenceWarning,
            )

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

    def _initial_posterior(self, network, seed, variable_names):
        # Glorot-uniform means as in scikit-learn's MLP (Glorot and Bengio,
        # 2010): random enough to break the symmetry between hidden units.
        # The hierarchical prior's standardised weights start there too; its
        # layer scales, at their prior's initial point, multiply them.
        rng = np.random.default_rng(seed)
        factor = 2.0 if self.activation == "logistic" else 6.0
        posterior = {}
        for name, shape, fan_in in network.parameters():
            bound = np.sqrt(factor / (fan_in + shape[-1]))
            posterior[free_weight_name(variable_names, name)] = (
                rng.uniform(-bound, bound, shape),
                INITIAL_STD_OF_BOUND * bound,
            )
        return posterior

    def __sklearn_is_fitted__(self):
        # A fit that failed midway leaves other attributes behind, but no
        # posterior: such an estimator is not fitted.
        return hasattr(self, "posteriors_")

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

    def _iter_draw_outputs(self, X, posteriors, n_draws, seed):
        """Yield ``iter_draw_outputs`` inside the prediction's device context."""
        with device_context(self._prediction_device()) as device:
            yield from iter_draw_outputs(
                posteriors,
                X,
                network=self._fitted_network,
                inverse_link=self._likelihood().inverse_link,
                n_draws=n_draws,
                seed=seed,
                mode=compile_mode(device),
            )

    def _posterior_expectations(self, X, posteriors):
        draw_outputs = self._iter_draw_outputs(
            X, posteriors, self.n_posterior_draws, self._prediction_seed
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
        draw_outputs = self._iter_draw_outputs(X, self.posteriors_, n_samples, seed)
        outputs = stack_draw_outputs(draw_outputs, X.shape[0], n_samples)
        return np.moveaxis(outputs, 0, -1).astype(np.float64)

    def _expectations(self, X):
        """Validate ``X`` and average the prediction statistics over draws."""
        return self._posterior_expectations(self._validated_input(X), self.posteriors_)

    def _validated_input(self, X):
        """Check that the model is fitted and its parameters valid; validate X."""
        check_is_fitted(self)
        # set_params after fit may have changed what prediction reads.
        self._validate_params()
        X = self._as_rows(X, reset=False)
        if is_out_of_core(X):
            return validate_out_of_core(self, X, reset=False, dtype=DTYPE)[0]
        return validate_data(self, X, reset=False, dtype=DTYPE)

    def _layer_posterior(self, name_of, part):
        check_is_fitted(self)
        n_weight_layers = self._fitted_network.n_weight_layers
        return [
            mixture_weight_moments(self.posteriors_, name_of(i))[part]
            for i in range(n_weight_layers)
        ]

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
