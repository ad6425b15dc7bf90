"""The base of the Bayesian network estimators: fit = validate, describe, train, store.

The task subclasses choose the likelihood and the target encoding; the
architecture subclasses describe the network (``skbnn._networks``). Training
is ``skbnn._training``'s, prediction ``skbnn._prediction``'s.
"""

import functools
import warnings
from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight

from ._callbacks import EpochLog, ProgressBar, stopping_rule, wants_progress_bar
from ._incremental import IncrementalFitMixin
from ._inference import compiled_step
from ._networks import MLPNetwork, check_hidden_layer_sizes
from ._parameters import PARAMETER_CONSTRAINTS
from ._posterior import Posterior
from ._prediction import PosteriorPredictiveMixin
from ._training import (
    INITIAL_STD,
    Run,
    Trainer,
    TrainingData,
    draw_fit_seeds,
    glorot_initial_posterior,
    resolve_batch_size,
    warn_if_not_converged,
)
from ._validation import DTYPE, split_validation, validate_training_data


class BaseBayesianNetwork(
    IncrementalFitMixin, PosteriorPredictiveMixin, BaseEstimator, metaclass=ABCMeta
):
    """Base class of the Bayesian networks; use the derived estimators instead."""

    _parameter_constraints: dict = PARAMETER_CONSTRAINTS

    # The task subclasses supply these.

    # Keyword arguments of validate_data that check the targets.
    _target_checks: dict = {}
    _statistics: dict

    @abstractmethod
    def _encode_targets(self, y, *, reset, incremental=False, classes=None):
        """Encode validated targets for the likelihood.

        ``reset`` starts a fit afresh; ``incremental`` (``partial_fit``)
        accepts a chunk of targets that need not show every class, and
        ``classes`` names the classes of a first ``partial_fit``.
        """

    @abstractmethod
    def _likelihood(self):
        """Return the likelihood of the fitted task."""

    @abstractmethod
    def _validation_score(self, expectations, y, sample_weight):
        """Score posterior expectations against encoded targets."""

    # The architecture hooks; the MLP's are the defaults.

    def _as_rows(self, X, reset):
        """Return ``X`` with one row per sample, and its images' shape or None."""
        return X, None

    def _describe_network(self, n_features, n_outputs, image_shape):
        """Return the architecture description for data of this width."""
        hidden_layer_sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        return MLPNetwork((n_features, *hidden_layer_sizes, n_outputs), self.activation)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the variational posterior of the network to data.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Training inputs. An ``np.memmap`` or a Dask array is not loaded:
            it is validated block by block, and the minibatches come from a
            buffer of blocks picked at random; the predictions read such
            inputs block by block too.
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
        warm = self.warm_start and hasattr(self, "posterior_")
        if warm and self.ensemble_size < self.posterior_.n_members:
            raise ValueError(
                f"ensemble_size={self.ensemble_size} must be larger or equal to "
                f"the fitted posterior's {self.posterior_.n_members} members "
                "when warm_start==True"
            )
        X, y, sample_weight = self._validate_and_describe(
            X, y, sample_weight, reset=not warm
        )
        runs, batch_size = self._train(X, y, sample_weight, warm)
        self._store(runs, batch_size, warm)
        # partial_fit continues from this posterior, as from a data set of
        # this many rows.
        self._stream = None
        self._n_fit_rows = X.shape[0]
        return self

    def _validate_and_describe(self, X, y, sample_weight, *, reset, **targets):
        """Validate the data; describe and record the network it asks for.

        ``targets`` (``incremental``, ``classes``) go to ``_encode_targets``.
        """
        X, image_shape = self._as_rows(X, reset=reset)
        X, y = validate_training_data(
            self, X, y, reset=reset, target_checks=self._target_checks
        )
        y = self._encode_targets(y, reset=reset, **targets)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        likelihood = self._likelihood()
        network = self._describe_network(
            X.shape[1], likelihood.n_network_outputs, image_shape
        )
        if not reset and network != self._fitted_network:
            raise ValueError(
                "warm_start and partial_fit can only be used with the architecture "
                f"of the previous call to fit: it had {self._fitted_network}, "
                f"this call asks for {network}."
            )
        self.n_layers_ = network.n_weight_layers + 1
        # Prediction reads the architecture from here, so that set_params after
        # fit cannot make it disagree with the posterior.
        self._fitted_network = network
        return X, y, sample_weight

    def _compiled_step(self):
        """Lend the compiled ADVI step of the fitted network, on the device."""
        return compiled_step(
            self._fitted_network,
            self._likelihood(),
            prior=self.prior,
            prior_scale=self.prior_scale,
            gradient_estimator=self.gradient_estimator,
            dtype=np.dtype(DTYPE).name,
            device=self.device,
            verbose=self.verbose,
        )

    def _initial_posterior(self, variable_names):
        network, activation = self._fitted_network, self.activation
        return functools.partial(
            glorot_initial_posterior, network, variable_names, activation
        )

    def _train(self, X, y, sample_weight, warm):
        """Fit every member; return the best run of each and the batch size."""
        seeds = draw_fit_seeds(
            check_random_state(self.random_state), self.ensemble_size, self.n_init
        )
        self._prediction_seed = seeds.prediction
        validation_score = None
        if self.early_stopping:
            X, X_val, y, y_val, sample_weight, weight_val = split_validation(
                self, X, y, sample_weight, self.validation_fraction, seeds.split
            )

            def validation_score(free_variables):
                posterior = Posterior([free_variables])
                expectations = self._posterior_expectations(X_val, posterior)
                return self._validation_score(expectations, y_val, weight_val)

        batch_size = resolve_batch_size(self.batch_size, X.shape[0])
        data = TrainingData(X, y, batch_size, sample_weight)
        starts = []
        if warm:
            members = range(self.posterior_.n_members)
            starts = [self.posterior_.free_variables(member) for member in members]
        with self._compiled_step() as step:
            trainer = Trainer(
                step,
                data,
                new_run=functools.partial(
                    self._new_run, data.steps_per_epoch, validation_score
                ),
                initial_posterior=self._initial_posterior(step.variable_names),
                initial_std=INITIAL_STD,
                prior_scale=self.prior_scale,
            )
            return trainer.fit(seeds.members, starts), data.batch_size

    def _new_run(self, steps_per_epoch, validation_score):
        """Return a fresh run and its callbacks, as the parameters ask."""
        run = Run.smoothed(
            max_epochs=self.max_iter,
            steps_per_epoch=steps_per_epoch,
            learning_rate=self.learning_rate_init,
            verbose=bool(self.verbose),
        )
        callbacks = [EpochLog()] if self.verbose else []
        callbacks += stopping_rule(
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            steps_per_epoch=steps_per_epoch,
            adaptive=self.learning_rate == "adaptive",
            validation_score=validation_score,
        )
        if wants_progress_bar(self.verbose):
            callbacks.append(ProgressBar())
        return run, callbacks

    def _store(self, runs, batch_size, warm):
        """Set the fitted attributes from the run kept for each member.

        The training history (``loss_curve_``, ``n_iter_`` and the rest) is
        the first member's; each member's warnings are raised.
        """
        if any(run.interrupted for run in runs):
            warnings.warn("Training interrupted by user.")
        self.posterior_ = Posterior([run.kept_posterior for run in runs])
        first = runs[0]
        self.n_iter_ = len(first.loss_curve)
        self.t_ = first.n_steps * batch_size
        self.loss_curve_ = [*(self.loss_curve_ if warm else []), *first.loss_curve]
        self.best_loss_ = None if self.early_stopping else first.best_loss
        self.validation_scores_ = None
        self.best_validation_score_ = None
        if self.early_stopping:
            self.validation_scores_ = first.validation_scores
            self.best_validation_score_ = first.best_validation_score
        for member, run in enumerate(runs):
            warn_if_not_converged(
                run,
                max_iter=self.max_iter,
                learning_rate_init=self.learning_rate_init,
                prefix=f"Member {member} of the ensemble: " if len(runs) > 1 else "",
            )
