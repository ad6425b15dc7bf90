"""What one call of ``fit`` or ``partial_fit`` asks of the trainer.

Both build the same trainer over the same compiled step (``_base._fit``);
they differ in the data the ELBO stands for, the runs' callbacks and what the
trainer does with its members:

- ``fit`` (:func:`full_fit_plan`): every member is the best of ``n_init``
  runs (one continued run per fitted member with ``warm_start``), each run
  going until the stopping rule ends it.
- ``partial_fit`` (:func:`stream_plan`): one epoch over the call's rows per
  member, continuing the optimiser where the previous call left it. The
  ELBO of a call is that of a data set of which its rows are a uniform
  sample: ``total_size`` rows, or without it all the rows seen so far, so the
  posterior narrows as new data arrive, as in streaming variational Bayes
  (Broderick et al., 2013). Its state is plain numpy arrays on the
  estimator, so it pickles between calls.
"""

import functools
from dataclasses import dataclass

from sklearn.base import is_classifier
from sklearn.utils import check_random_state

from ._inference.callbacks import RunawayGuard, stopping_rule
from ._inference.initialisation import draw_fit_seeds, resolve_batch_size
from ._inference.minibatches import TrainingData
from ._inference.progress import EpochLog, ProgressBar, wants_progress_bar
from ._inference.trainer import Run, Stream
from ._prediction.posterior import Posterior
from ._validation import split_validation


@dataclass
class FitPlan:
    """The data, the runs and the trainer's task of one call.

    Attributes
    ----------
    data : skbnn._inference.minibatches.TrainingData
        What every run trains on.
    new_run : callable
        Returns a fresh ``(run, callbacks)`` pair.
    train : callable
        ``train(trainer)`` returns the run kept for each member.
    finish : callable
        Records what the call leaves for the next one, once it went through.
    """

    data: TrainingData
    new_run: object
    train: object
    finish: object


def check_continuation(estimator, continued, incremental, classes):
    """Refuse a continued fit that cannot continue: raise ``ValueError``."""
    if incremental and not continued and is_classifier(estimator) and classes is None:
        raise ValueError("classes must be passed on the first call to partial_fit.")
    if continued and not incremental:
        if estimator.ensemble_size < estimator.posterior_.n_members:
            raise ValueError(
                f"ensemble_size={estimator.ensemble_size} must be larger or equal "
                f"to the fitted posterior's {estimator.posterior_.n_members} "
                "members when warm_start==True"
            )


def full_fit_plan(estimator, X, y, sample_weight, continued):
    """Plan ``fit``: every member until the stopping rule, or a warm start."""
    seeds = draw_fit_seeds(
        check_random_state(estimator.random_state),
        estimator.ensemble_size,
        estimator.n_init,
    )
    estimator._prediction_seed = seeds.prediction
    n_rows = X.shape[0]
    validation_score = None
    if estimator.early_stopping:
        X, X_val, y, y_val, sample_weight, weight_val = split_validation(
            estimator, X, y, sample_weight, estimator.validation_fraction, seeds.split
        )

        def validation_score(free_variables):
            posterior = Posterior([free_variables])
            expectations = estimator._posterior_expectations(X_val, posterior)
            return estimator._validation_score(expectations, y_val, weight_val)

    batch_size = resolve_batch_size(estimator.batch_size, X.shape[0])
    data = TrainingData(X, y, batch_size, sample_weight)
    starts = []
    if continued:
        fitted = estimator.posterior_
        starts = [fitted.free_variables(member) for member in range(fitted.n_members)]

    def finish():
        # partial_fit continues from this posterior, as from a data set of
        # this many rows.
        estimator._stream = None
        estimator._n_fit_rows = n_rows

    return FitPlan(
        data,
        new_run=functools.partial(
            _new_run, estimator, data.steps_per_epoch, validation_score
        ),
        train=lambda trainer: trainer.fit(seeds.members, starts),
        finish=finish,
    )


def _new_run(estimator, steps_per_epoch, validation_score):
    """Return a fresh run and its callbacks, as the parameters ask."""
    run = Run.smoothed(
        max_epochs=estimator.max_iter,
        steps_per_epoch=steps_per_epoch,
        learning_rate=estimator.learning_rate_init,
        verbose=bool(estimator.verbose),
    )
    callbacks = [EpochLog()] if estimator.verbose else []
    callbacks += stopping_rule(
        tol=estimator.tol,
        n_iter_no_change=estimator.n_iter_no_change,
        steps_per_epoch=steps_per_epoch,
        adaptive=estimator.learning_rate == "adaptive",
        validation_score=validation_score,
    )
    if wants_progress_bar(estimator.verbose):
        callbacks.append(ProgressBar())
    return run, callbacks


def stream_plan(estimator, X, y, sample_weight, continued):
    """Plan one ``partial_fit`` call: an epoch per member, state kept."""
    stream = _next_stream(estimator, continued)
    n_seen = stream.n_seen + X.shape[0]
    batch_size = resolve_batch_size(estimator.batch_size, X.shape[0])
    total_size = n_seen if estimator.total_size is None else estimator.total_size
    data = TrainingData(X, y, batch_size, sample_weight, total_size=total_size)

    def finish():
        stream.n_seen = n_seen
        # Plain Python and numpy state: a saved model lists no type of
        # skbnn's for it among the types its loader must trust.
        estimator._stream = vars(stream).copy()

    return FitPlan(
        data,
        new_run=functools.partial(_new_call_run, estimator, data.steps_per_epoch),
        train=lambda trainer: trainer.continue_stream(stream),
        finish=finish,
    )


def _next_stream(estimator, continued):
    """Return the stream this call continues; start one where there is none."""
    state = getattr(estimator, "_stream", None) if continued else None
    stream = None if state is None else Stream(**state)
    n_members = estimator.ensemble_size if stream is None else len(stream.seeds)
    if continued and stream is None:  # after fit: continue its posterior
        n_members = estimator.posterior_.n_members
    if estimator.ensemble_size != n_members:
        raise ValueError(
            f"partial_fit continues the {n_members} members fitted so far; "
            f"ensemble_size={estimator.ensemble_size} asks for another number. "
            "Call fit to start afresh."
        )
    if stream is not None:
        return stream
    seeds = draw_fit_seeds(check_random_state(estimator.random_state), n_members, 1)
    member_seeds = [member[0] for member in seeds.members]
    if not continued:
        estimator._prediction_seed = seeds.prediction
        return Stream(member_seeds)
    fitted = estimator.posterior_
    return Stream(
        member_seeds,
        n_seen=estimator._n_fit_rows,
        starts=[fitted.free_variables(i) for i in range(n_members)],
    )


def _new_call_run(estimator, steps_per_epoch):
    """Return the run of one call: one epoch at ``learning_rate_init``."""
    run = Run(
        max_epochs=1,
        steps_per_epoch=steps_per_epoch,
        learning_rate=estimator.learning_rate_init,
    )
    # The guard rewinds a step whose loss is not finite to the call's start,
    # at a smaller step size for the rest of the call.
    callbacks = [RunawayGuard()]
    if wants_progress_bar(estimator.verbose):
        callbacks.append(ProgressBar())
    return run, callbacks
