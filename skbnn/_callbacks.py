"""Callbacks of a training run, one job each.

A callback sees the :class:`skbnn._training.Run` it belongs to at the start
of the run, after every step and epoch, and at its end; it reads the run's
state and may change it: the step size of the next epoch, a request to stop,
the posterior to keep. The trainer calls the callbacks of an epoch in their
order, and none after one that asked to stop. The stopping rule of
``sklearn.neural_network.MLPClassifier`` is three of them here: a
:class:`Plateau` that counts epochs without improvement, a step-size schedule
it consults (:class:`AdaptiveStepSize`), and :class:`KeepBest`.
"""

import contextlib
import sys
import time

import numpy as np

# The "adaptive" schedule of scikit-learn's SGD optimiser.
ADAPTIVE_DIVISOR = 5.0
MIN_ADAPTIVE_LEARNING_RATE = 1e-6


class Callback:
    """Base of the callbacks: every hook does nothing unless overridden."""

    def on_run_begin(self, run):
        """Call before the first step of ``run``."""

    def on_step_end(self, run):
        """Call after each optimisation step."""

    def on_epoch_end(self, run):
        """Call after each epoch; ``run.loss_curve[-1]`` is its loss."""

    def on_run_end(self, run):
        """Call when the run ends, however it ends."""


class EpochLog(Callback):
    """Print each epoch's loss, the time elapsed and the most still to go.

    The remaining time is an upper bound, at the mean epoch time so far: the
    stopping rule may end the run sooner than ``max_epochs``.
    """

    def on_run_begin(self, run):
        self._start = time.perf_counter()

    def on_epoch_end(self, run):
        elapsed = time.perf_counter() - self._start
        left = elapsed / run.epoch * (run.max_epochs - run.epoch)
        run.log(
            f"Iteration {run.epoch}, loss = {run.loss_curve[-1]:.8f}, "
            f"{elapsed:.1f} s elapsed, at most {left:.1f} s to go"
        )


class RunawayGuard(Callback):
    """Rewind a run whose loss runs away, at a smaller step size.

    The loss has run away when its median over the last
    ``run.smoothing_window`` epochs exceeds the lowest such median by more
    than ``max(|lowest|, 1)``: more than double a positive loss. ADVI's noise
    moves it by far less; a step size too large for the data's scale moves it
    by orders of magnitude. The guard then puts the run back at its best
    posterior so far (``run.best_posterior``, which :class:`KeepBest` keeps;
    the run's initial posterior while the best is the first epoch's) with
    Adam's state cleared, divides the step size by ``divisor``, and lets
    the run go on within its budget of epochs; so too when a step's loss stops
    being finite (``run.recover``). Only when the step size would fall below
    ``minimum`` does it stop the run and set ``run.runaway``.

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
    """

    def __init__(self, divisor=ADAPTIVE_DIVISOR, minimum=MIN_ADAPTIVE_LEARNING_RATE):
        self.divisor = divisor
        self.minimum = minimum
        self.lowest = np.inf
        self._lowest_epoch = None
        self._watch_from = 1

    def on_run_begin(self, run):
        run.recover = self.recover
        self._start = run.read_posterior()

    def recover(self, run, reason):
        """Rewind ``run`` at a smaller step size; return whether it could.

        Parameters
        ----------
        run : skbnn._training.Run
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
        run.rewinds.append(run.epoch)
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
        smoothed = float(np.median(run.loss_curve[-run.smoothing_window :]))
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
        run.runaway = reason
        run.log(f"Stopping: {run.runaway}.")
        run.stop(run.runaway)


class ValidationScore(Callback):
    """Score the current posterior on held-out data after each epoch.

    Parameters
    ----------
    score : callable
        Maps a posterior (a mapping of free-variable names to their Gaussian's
        mean and std) to a score; higher is better.

    Sets ``run.validation_score`` and appends it to ``run.validation_scores``.
    """

    def __init__(self, score):
        self.score = score

    def on_epoch_end(self, run):
        run.validation_score = self.score(run.read_posterior())
        run.validation_scores.append(run.validation_score)
        run.log(f"Validation score: {run.validation_score:f}")


class KeepBest(Callback):
    """Keep the posterior of the best epoch as ``run.best_posterior``.

    Best is the highest ``run.validation_score`` when a
    :class:`ValidationScore` comes before, else the lowest
    ``run.smoothed_loss``: ADVI's one-draw loss is too noisy to rank
    posteriors by one epoch. ``run.rank`` (lower is better) then ranks the run
    among restarts.

    Parameters
    ----------
    monitor : {"validation_score", "smoothed_loss"}
        What decides.
    """

    def __init__(self, monitor):
        self.monitor = monitor

    def on_epoch_end(self, run):
        if self.monitor == "validation_score":
            score = run.validation_score
            if score > run.best_validation_score:
                run.best_validation_score = score
                self._keep(run)
            run.rank = -run.best_validation_score
        elif not run.smoothed_loss > run.rank:
            run.rank = run.smoothed_loss
            self._keep(run)

    @staticmethod
    def _keep(run):
        run.best_posterior = run.read_posterior()
        run.best_epoch = run.epoch


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
    monitor : {"loss", "validation_score"}
        The epoch's training loss (lower is better) or ``run.validation_score``
        (higher is better).
    schedule : ConstantStepSize or AdaptiveStepSize
        Consulted at each plateau.

    Records the lowest training loss in ``run.best_loss`` (with
    ``monitor="loss"``) and sets ``run.reached_plateau`` at the first plateau.
    """

    def __init__(self, tol, n_iter_no_change, monitor, schedule):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.monitor = monitor
        self.schedule = schedule
        self._best_score = -np.inf
        self._no_improvement_count = 0

    def _improved(self, run):
        if self.monitor == "loss":
            loss = run.loss_curve[-1]
            improved = loss <= run.best_loss - self.tol
            run.best_loss = min(run.best_loss, loss)
            return improved
        score = run.validation_score
        improved = score >= self._best_score + self.tol
        self._best_score = max(self._best_score, score)
        return improved

    def on_epoch_end(self, run):
        improved = self._improved(run)
        self._no_improvement_count = 0 if improved else self._no_improvement_count + 1
        if self._no_improvement_count <= self.n_iter_no_change:
            return
        run.reached_plateau = True
        metric = "Validation score" if self.monitor != "loss" else "Training loss"
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


def wants_progress_bar(verbose, stream=None):
    """Whether a fit with ``verbose`` should draw a live bar on ``stream``.

    Parameters
    ----------
    verbose : bool or int
        The estimator's ``verbose`` parameter.
    stream : file-like, default=None
        Where the bar would go; ``sys.stdout`` if None.

    Returns
    -------
    answer : bool
        True only for a verbose fit writing to a terminal; elsewhere (logs,
        notebooks' captured output, CI) the per-epoch lines suffice.
    """
    stream = sys.stdout if stream is None else stream
    return bool(verbose) and hasattr(stream, "isatty") and stream.isatty()


class ProgressBar(Callback):
    """Draw a live bar over all the run's steps, through rich (PyMC's).

    Its total is ``max_epochs`` epochs, so its time-remaining column is an
    upper bound: the stopping rule may end the run sooner. Only worth it on a
    terminal (:func:`wants_progress_bar`).
    """

    def on_run_begin(self, run):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._exit = contextlib.ExitStack()
        progress = self._exit.enter_context(
            Progress(
                TextColumn("epoch {task.fields[epoch]}/" + str(run.max_epochs)),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                transient=True,
            )
        )
        total = run.max_epochs * run.steps_per_epoch
        task = progress.add_task("fit", total=total, epoch=1)
        self._advance = lambda epoch: progress.update(task, advance=1, epoch=epoch)

    def on_step_end(self, run):
        self._advance(run.epoch)

    def on_run_end(self, run):
        self._exit.close()


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
    if validation_score is None:
        return [
            RunawayGuard(),
            KeepBest("smoothed_loss"),
            Plateau(tol, n_iter_no_change, "loss", schedule),
        ]
    return [
        RunawayGuard(),
        ValidationScore(validation_score),
        KeepBest("validation_score"),
        Plateau(tol, n_iter_no_change, "validation_score", schedule),
    ]
