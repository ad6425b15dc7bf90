"""``partial_fit``: one epoch over the given rows per call, state kept between.

Each call takes one epoch of minibatch ADVI over the rows it is given, as
``MLPClassifier.partial_fit`` takes one pass, and continues the optimiser
exactly where the previous call left it: the variational parameters, Adam's
moments and its step count are kept as numpy arrays on the estimator, so it
pickles between calls, and the compiled step is borrowed from the cache, so
only the first call compiles.

The ELBO of each call is that of a data set of which the call's rows are a
uniform sample: each minibatch's log-likelihood is scaled by
``total_size / batch_size``, against a prior counted once. With the
estimator's ``total_size=None`` the data set is all the rows seen so far, so
the posterior narrows as new data arrive, as in streaming variational Bayes
(Broderick et al., 2013); passes over a data set of known size give its size,
and then fit what ``fit`` fits on the whole.
"""

import functools
import warnings

from sklearn.base import is_classifier
from sklearn.utils import check_random_state

from ._callbacks import ProgressBar, wants_progress_bar
from ._posterior import Posterior
from ._training import (
    INITIAL_STD,
    Run,
    Stream,
    Trainer,
    TrainingData,
    draw_fit_seeds,
    resolve_batch_size,
)


class IncrementalFitMixin:
    """Adds ``partial_fit`` to the Bayesian network estimators."""

    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        first = not hasattr(self, "posterior_")
        if first and is_classifier(self) and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        X, y, sample_weight = self._validate_and_describe(
            X, y, sample_weight, reset=first, incremental=True, classes=classes
        )
        stream = self._next_stream(first)
        n_seen = stream.n_seen + X.shape[0]
        batch_size = resolve_batch_size(self.batch_size, X.shape[0])
        total_size = n_seen if self.total_size is None else self.total_size
        data = TrainingData(X, y, batch_size, sample_weight, total_size=total_size)
        with self._compiled_step() as step:
            trainer = Trainer(
                step,
                data,
                new_run=functools.partial(self._new_call_run, data.steps_per_epoch),
                initial_posterior=self._initial_posterior(step.variable_names),
                initial_std=INITIAL_STD,
                prior_scale=self.prior_scale,
            )
            runs = trainer.continue_stream(stream)
        # Counted only once the call went through: a call that raised saw no rows.
        stream.n_seen = n_seen
        self._stream = stream
        self._store_call(runs, batch_size, first)
        return self

    def _next_stream(self, first):
        """Return the stream this call continues; start one where there is none."""
        stream = getattr(self, "_stream", None)
        n_members = self.ensemble_size if stream is None else len(stream.seeds)
        if not first and stream is None:  # after fit: continue its posterior
            n_members = self.posterior_.n_members
        if self.ensemble_size != n_members:
            raise ValueError(
                f"partial_fit continues the {n_members} members fitted so far; "
                f"ensemble_size={self.ensemble_size} asks for another number. "
                "Call fit to start afresh."
            )
        if stream is not None:
            return stream
        seeds = draw_fit_seeds(check_random_state(self.random_state), n_members, 1)
        if first:
            self._prediction_seed = seeds.prediction
            return Stream([member[0] for member in seeds.members])
        return Stream(
            [member[0] for member in seeds.members],
            n_seen=self._n_fit_rows,
            starts=[self.posterior_.free_variables(i) for i in range(n_members)],
        )

    def _new_call_run(self, steps_per_epoch):
        """Return the run of one call: one epoch at ``learning_rate_init``."""
        run = Run(
            max_epochs=1,
            steps_per_epoch=steps_per_epoch,
            learning_rate=self.learning_rate_init,
        )
        return run, [ProgressBar()] if wants_progress_bar(self.verbose) else []

    def _store_call(self, runs, batch_size, first):
        """Update the fitted attributes after one call."""
        if any(run.interrupted for run in runs):
            warnings.warn("Training interrupted by user.")
        # Members that an interrupt kept from this call keep their posterior.
        members = [run.posterior for run in runs]
        if not first:
            previous = self.posterior_
            members += [
                previous.free_variables(i)
                for i in range(len(members), previous.n_members)
            ]
        self.posterior_ = Posterior(members)
        first_run = runs[0]
        self.n_iter_ = 1 if first else self.n_iter_ + 1
        self.t_ = (0 if first else self.t_) + first_run.n_steps * batch_size
        self.loss_curve_ = [*([] if first else self.loss_curve_), *first_run.loss_curve]
        self.best_loss_ = min(self.loss_curve_, default=None)
        self.validation_scores_ = None
        self.best_validation_score_ = None
        if self.verbose and first_run.loss_curve:
            print(
                f"partial_fit call {self.n_iter_}, loss = {self.loss_curve_[-1]:.8f}, "
                f"{self._stream.n_seen} rows seen"
            )
