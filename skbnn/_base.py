"""The base of the Bayesian network estimators: fit = validate, describe, train, store.

``fit``, ``partial_fit`` and ``warm_start`` run one path, ``_fit(incremental=...)``
as scikit-learn's MLP does: they differ in what the trainer is asked to do
(``skbnn._fit_plans``), not in how it is built or how its runs are stored.
The task subclasses choose the likelihood and the target encoding; the
architecture subclasses describe the network (``skbnn._model.networks``).
Prediction is ``skbnn._prediction``'s.
"""

import warnings
from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._fit_check import check_learned
from ._fit_plans import check_continuation, full_fit_plan, stream_plan
from ._inference.callbacks import KeepBest, Plateau, ValidationScore
from ._inference.initialisation import INITIAL_STD, glorot_initial_posterior
from ._inference.step import compiled_step
from ._inference.trainer import Trainer, warn_if_not_converged
from ._model.networks import MLPNetwork, check_hidden_layer_sizes
from ._parameters import PARAMETER_CONSTRAINTS
from ._prediction.mixin import PosteriorPredictiveMixin
from ._prediction.posterior import Posterior
from ._validation import (
    DTYPE,
    check_weight_total,
    validate_input,
    validate_training_data,
)


class BaseBayesianNetwork(PosteriorPredictiveMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the Bayesian networks; use the derived estimators instead."""

    _parameter_constraints: dict = PARAMETER_CONSTRAINTS

    # Keyword arguments of validate_data that check the targets.
    _target_checks: dict = {}

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
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        """``partial_fit``'s body; the task subclasses document the method."""
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        """Fit afresh, continue a fit (``warm_start``), or take one call's epoch.

        ``incremental`` (``partial_fit``) takes one epoch over the rows and
        keeps the optimiser's state for the next call; otherwise every member
        is fitted until the stopping rule ends it.
        """
        continued = hasattr(self, "posterior_") and (incremental or self.warm_start)
        check_continuation(self, continued, incremental, classes)
        X, y, sample_weight = self._validate_and_describe(
            X,
            y,
            sample_weight,
            reset=not continued,
            incremental=incremental,
            classes=classes,
        )
        plan = (stream_plan if incremental else full_fit_plan)(
            self, X, y, sample_weight, continued
        )
        with self._compiled_step() as step:
            trainer = Trainer(
                step,
                plan.data,
                new_run=plan.new_run,
                initial_posterior=self._initial_posterior(step.variable_names),
                initial_std=INITIAL_STD,
                prior_scale=self.prior_scale,
            )
            runs = plan.train(trainer)
        # Recorded only once the call went through: a call that raised saw
        # no rows.
        plan.finish()
        self._store(runs, plan.data.batch_size, continued, incremental)
        if not any(run.interrupted for run in runs):
            check_learned(self, X, y, sample_weight, continued, incremental)
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
            check_weight_total(sample_weight)
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

    def _validated_input(self, X):
        """Check that the model is fitted and its parameters valid; validate X."""
        check_is_fitted(self)
        # set_params after fit may have changed what prediction reads.
        self._validate_params()
        X, _ = self._as_rows(X, reset=False)
        return validate_input(self, X)

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
        """Return ``seed -> initial posterior`` of a run, as the likelihood wants it."""
        network, likelihood = self._fitted_network, self._likelihood()

        def initial_posterior(seed):
            posterior = glorot_initial_posterior(
                network, variable_names, self.activation, seed
            )
            return likelihood.initial_posterior(posterior, network, variable_names)

        return initial_posterior

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _store(self, runs, batch_size, continued, incremental):
        """Set the fitted attributes from the run kept for each member.

        The training history (``loss_curve_``, ``n_iter_`` and the rest) is
        the first member's. A ``partial_fit`` call that Ctrl-C interrupted
        keeps the members it did not reach as they were.
        """
        if any(run.interrupted for run in runs):
            warnings.warn("Training interrupted by user.")
        members = [run.kept_posterior for run in runs]
        if incremental and continued:
            previous = self.posterior_
            members += [
                previous.free_variables(i)
                for i in range(len(members), previous.n_members)
            ]
        self.posterior_ = Posterior(members)
        first = runs[0]
        self.loss_curve_ = [
            *(self.loss_curve_ if continued else []),
            *first.loss_curve,
        ]
        if incremental:
            self._store_call(first, batch_size, continued)
            return
        self.n_iter_ = len(first.loss_curve)
        self.t_ = first.n_steps * batch_size
        self._store_validation(first, continued)
        for member, run in enumerate(runs):
            warn_if_not_converged(
                run,
                max_iter=self.max_iter,
                learning_rate_init=self.learning_rate_init,
                prefix=f"Member {member} of the ensemble: " if len(runs) > 1 else "",
            )

    def _store_validation(self, run, continued):
        """Set ``best_loss_`` and the validation scores from the run's callbacks.

        A warm start appends its scores to the previous fit's, as
        ``loss_curve_`` appends its losses.
        """
        previous = (
            (getattr(self, "validation_scores_", None) or []) if continued else []
        )
        self.validation_scores_ = None
        self.best_validation_score_ = None
        if not self.early_stopping:
            self.best_loss_ = run.callback(Plateau).best_loss
            return
        self.best_loss_ = None
        self.validation_scores_ = [*previous, *run.callback(ValidationScore).scores]
        self.best_validation_score_ = run.callback(KeepBest).best_validation_score

    def _store_call(self, run, batch_size, continued):
        """Update the counters of ``partial_fit`` after one call."""
        self.n_iter_ = self.n_iter_ + 1 if continued else 1
        self.t_ = (self.t_ if continued else 0) + run.n_steps * batch_size
        self.best_loss_ = min(self.loss_curve_, default=None)
        self.validation_scores_ = None
        self.best_validation_score_ = None
        if self.verbose and run.loss_curve:
            print(
                f"partial_fit call {self.n_iter_}, loss = {self.loss_curve_[-1]:.8f}, "
                f"{self._stream['n_seen']} rows seen"
            )
