"""Callbacks of a training run, one job each.

A callback sees the :class:`skbnn._inference.trainer.Run` it belongs to at the
start of the run, after every step and epoch, and at its end; it reads the
run's state and may change it: the step size of the next epoch, a request to
stop, the posterior to keep. What a callback counts or remembers it keeps on
itself, as skorch's callbacks and PyMC's do; where one needs another's
figure, it is given that callback (``KeepBest(validation)``). The trainer
calls the callbacks of an epoch in their order, and none after one that
asked to stop. The stopping rule of ``sklearn.neural_network.MLPClassifier``
is three of them here: a :class:`Plateau` that counts epochs without
improvement, a step-size schedule it consults (:class:`AdaptiveStepSize`),
and :class:`KeepBest`.
"""

import statistics

import numpy as np

# The "adaptive" schedule of scikit-learn's SGD optimiser.
ADAPTIVE_DIVISOR = 5.0
MIN_ADAPTIVE_LEARNING_RATE = 1e-6


class Callback:
    """Base of the callbacks: every hook does nothing unless overridden.

    Attributes
    ----------
    reads_each_epoch : bool
        Whether the callback needs the posterior at the end of every epoch:
        the trainer then takes one epoch a block (see
        ``skbnn._inference.epochs``), where others see the posterior at the
        end of a block of epochs.
    """

    reads_each_epoch = False

    def on_run_begin(self, run):
        """Call before the first step of ``run``."""

    def on_step_end(self, run):
        """Call after each optimisation step."""

    def on_epoch_end(self, run):
        """Call after each epoch; ``run.loss_curve[-1]`` is its loss."""

    def on_nonfinite_loss(self, run, reason):
        """Call when a step's loss is not finite; return whether it recovered.

        A callback that returns True has put the run back on a finite path
        (the trainer goes on); if none does, the fit fails.
        """
        return False

    def on_run_end(self, run):
        """Call when the run ends, however it ends."""


class RunawayGuard(Callback):
    """Rewind a run whose loss runs away, at a smaller step size.

    The loss has run away when its median over the last
    ``run.smoothing_window`` epochs exceeds the lowest such median by more
    than ``max(|lowest|, 1)``: more than double a positive loss. ADVI's noise
    moves it by far less; a step size too large for the data's scale moves it
    by orders of magnitude. The guard then puts the run back at the posterior
    the run keeps (``run.best_posterior``, which a :class:`KeepBest` sets; the
    run's initial posterior while none is kept or the kept one is the first
    epoch's) with Adam's state cleared, divides the step size by ``divisor``,
    and lets the run go on within its budget of epochs; so too when a step's
    loss stops being finite (:meth:`on_nonfinite_loss`). Only when the step
    size would fall below ``minimum`` does it stop the run and set
    ``runaway``.

    Parameters
    ----------
    divisor : float, default=5.0
        What a runaway divides the step size by, as a plateau does under the
        adaptive schedule.
    minimum : float, default=1e-6
        The smallest step size to go on with.

    Attributes
    ----------
    lowest : float
        Lowest median loss seen.
    rewinds : list of int
        The epochs after which the run went back at a smaller step size.
    runaway : str or None
        Why the run stopped, when the loss ran away and the step size could
        fall no further.
    """

    def __init__(self, divisor=ADAPTIVE_DIVISOR, minimum=MIN_ADAPTIVE_LEARNING_RATE):
        self.divisor = divisor
        self.minimum = minimum
        self.lowest = np.inf
        self.rewinds = []
        self.runaway = None
        self._lowest_epoch = None
        self._watch_from = 1

    def on_run_begin(self, run):
        self._start = run.read_posterior()

    def on_nonfinite_loss(self, run, reason):
        """Rewind ``run`` at a smaller step size; return whether it could."""
        return self.recover(run, reason)

    def recover(self, run, reason):
        """Rewind ``run`` at a smaller step size; return whether it could.

        Parameters
        ----------
        run : skbnn._inference.trainer.Run
            The run whose loss ran away or stopped being finite.
        reason : str
            What went wrong, for the log.

        Returns
        -------
        recovered : bool
            False when the step size would fall below ``minimum``: the run
            cannot go on.
        """
        smaller = run.learning_rate / self.divisor
        if smaller < self.minimum:
            return False
        # An epoch's loss is measured on the posteriors before its steps: the
        # first epoch's says nothing of the posterior after it, which a step
        # size far too large has already spoiled.
        if run.best_epoch is not None and run.best_epoch > 1:
            run.rewind(run.best_posterior)
            where = f"the posterior of epoch {run.best_epoch}"
        else:
            run.rewind(self._start)
            where = "the initial posterior"
        run.learning_rate = smaller
        self.rewinds.append(run.epoch)
        # The first window of epochs wholly after the rewind ends then.
        self._watch_from = run.epoch + run.smoothing_window
        run.log(
            f"{reason[0].upper()}{reason[1:]}. Back to {where}, learning rate "
            f"{smaller:g}."
        )
        return True

    def on_epoch_end(self, run):
        if run.epoch < self._watch_from:
            return  # the window still holds epochs from before a rewind
        # The median, not the mean: one epoch with a wild draw (a noise scale
        # drawn near zero) moves a mean by orders of magnitude, a median not.
        # statistics, not numpy: a few floats a call, thousands of calls.
        smoothed = statistics.median(run.loss_curve[-run.smoothing_window :])
        if not smoothed > self.lowest:
            self.lowest, self._lowest_epoch = smoothed, run.epoch
            return
        if smoothed - self.lowest <= max(abs(self.lowest), 1.0):
            return
        window = min(run.epoch, run.smoothing_window)
        reason = (
            f"the loss ran away from its best: its median over the last {window} "
            f"epochs rose from {self.lowest:.4g} (epoch {self._lowest_epoch}) "
            f"to {smoothed:.4g} (epoch {run.epoch})"
        )
        if self.recover(run, reason):
            return
        self.runaway = reason
        run.log(f"Stopping: {self.runaway}.")
        run.stop(self.runaway)


class ValidationScore(Callback):
    """Score the current posterior on held-out data after each epoch.

    Parameters
    ----------
    score : callable
        Maps a posterior (a mapping of free-variable names to their Gaussian's
        mean and std) to a score; higher is better.

    Attributes
    ----------
    scores : list of float
        The score of each epoch; the last is the current epoch's.
    """

    reads_each_epoch = True

    def __init__(self, score):
        self.score = score
        self.scores = []

    @property
    def current(self):
        """float: the score of the epoch that just ended."""
        return self.scores[-1]

    def on_epoch_end(self, run):
        self.scores.append(self.score(run.read_posterior()))
        run.log(f"Validation score: {self.current:f}")


class KeepBest(Callback):
    """Keep the posterior of the best epoch as the run's (``run.keep``).

    Best is the highest score of ``validation`` when one is given (a
    :class:`ValidationScore` earlier in the epoch's callbacks), else the
    lowest ``run.smoothed_loss``: ADVI's one-draw loss is too noisy to rank
    posteriors by one epoch. The run's rank among restarts (lower is better)
    follows.

    Parameters
    ----------
    validation : ValidationScore or None, default=None
        What decides; None: the smoothed training loss.

    Attributes
    ----------
    best_validation_score : float
        The highest validation score (``-inf`` without ``validation``).
    """

    def __init__(self, validation=None):
        self.validation = validation
        self.best_validation_score = -np.inf

    def on_epoch_end(self, run):
        if self.validation is not None:
            score = self.validation.current
            if score > self.best_validation_score:
                self.best_validation_score = score
                run.keep(run.read_posterior(), rank=-score)
            run.rank = -self.best_validation_score
        elif not run.smoothed_loss > run.rank:
            run.keep(run.read_posterior(), rank=run.smoothed_loss)


class ConstantStepSize:
    """Keep the step size: a plateau ends the run."""

    exhausted = ""

    def lower(self, run):
        """Return False: the step size never changes."""
        return False


class AdaptiveStepSize:
    """``MLPClassifier``'s "adaptive" schedule: divide the step at a plateau.

    Parameters
    ----------
    divisor : float, default=5.0
        What a plateau divides the step size by.
    minimum : float, default=1e-6
        A plateau at a step size no larger than this ends the run.
    """

    exhausted = " Learning rate too small."

    def __init__(self, divisor=ADAPTIVE_DIVISOR, minimum=MIN_ADAPTIVE_LEARNING_RATE):
        self.divisor = divisor
        self.minimum = minimum

    def lower(self, run):
        """Divide ``run.learning_rate``; return whether the run goes on."""
        if run.learning_rate <= self.minimum:
            return False
        run.learning_rate /= self.divisor
        return True


class Plateau(Callback):
    """Stop when a metric has not improved by ``tol`` for a while.

    The rule of ``sklearn.neural_network.MLPClassifier``: once the metric has
    failed to improve on its best by ``tol`` for more than
    ``n_iter_no_change`` consecutive epochs, the schedule may lower the step
    size and the count starts again; otherwise the run stops.

    Parameters
    ----------
    tol : float
        Smallest improvement that counts.
    n_iter_no_change : int or inf
        Epochs without improvement tolerated.
    schedule : ConstantStepSize or AdaptiveStepSize
        Consulted at each plateau.
    validation : ValidationScore or None, default=None
        Whose score (higher is better) decides; None: the epoch's training
        loss (lower is better).

    Attributes
    ----------
    best_loss : float
        The lowest training loss (without ``validation``).
    reached_plateau : bool
        Whether the metric stopped improving at least once.
    """

    def __init__(self, tol, n_iter_no_change, schedule, validation=None):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.schedule = schedule
        self.validation = validation
        self.best_loss = np.inf
        self.reached_plateau = False
        self._best_score = -np.inf
        self._no_improvement_count = 0

    def _improved(self, run):
        if self.validation is None:
            loss = run.loss_curve[-1]
            improved = loss <= self.best_loss - self.tol
            self.best_loss = min(self.best_loss, loss)
            return improved
        score = self.validation.current
        improved = score >= self._best_score + self.tol
        self._best_score = max(self._best_score, score)
        return improved

    def on_epoch_end(self, run):
        improved = self._improved(run)
        self._no_improvement_count = 0 if improved else self._no_improvement_count + 1
        if self._no_improvement_count <= self.n_iter_no_change:
            return
        self.reached_plateau = True
        metric = "Training loss" if self.validation is None else "Validation score"
        message = (
            f"{metric} did not improve more than tol={self.tol:f} for "
            f"{self.n_iter_no_change} consecutive epochs."
        )
        if self.schedule.lower(run):
            self._no_improvement_count = 0
            run.log(f"{message} Setting learning rate to {run.learning_rate:g}.")
            return
        run.log(f"{message}{self.schedule.exhausted} Stopping.")
        run.stop(message)


# ADVI's loss is a one-draw Monte Carlo estimate whose slow late progress only
# shows over several hundred steps, however few steps an epoch has; stopping
# within fewer steps left the posterior of small problems short of
# convergence (moons, digits, a 1-D regression).
AUTO_PATIENCE_STEPS = 600


def stopping_rule(
    *, tol, n_iter_no_change, adaptive, validation_score=None, steps_per_epoch=1
):
    """Return the callbacks of ``MLPClassifier``'s stopping rule, in order.

    Parameters
    ----------
    tol : float
        Smallest improvement that counts.
    n_iter_no_change : int, inf or "auto"
        Epochs without improvement tolerated; ``"auto"`` is 10, or as many as
        span ``AUTO_PATIENCE_STEPS`` steps if that is more.
    adaptive : bool
        Divide the step size at a plateau (:class:`AdaptiveStepSize`) rather
        than stop.
    validation_score : callable, default=None
        Maps a posterior to a held-out score that then decides the plateau
        and the posterior to keep; None lets the training loss decide.
    steps_per_epoch : int, default=1
        Optimisation steps of an epoch.

    Returns
    -------
    callbacks : list of Callback
    """
    if n_iter_no_change == "auto":
        n_iter_no_change = max(10, -(-AUTO_PATIENCE_STEPS // steps_per_epoch))
    schedule = AdaptiveStepSize() if adaptive else ConstantStepSize()
    validation = None if validation_score is None else ValidationScore(validation_score)
    return [
        RunawayGuard(),
        *([] if validation is None else [validation]),
        KeepBest(validation),
        Plateau(tol, n_iter_no_change, schedule, validation),
    ]
