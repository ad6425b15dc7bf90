"""When to stop optimising, and which posterior to keep."""

import time
from collections import deque

import numpy as np

# The "adaptive" schedule of scikit-learn's SGD optimiser.
ADAPTIVE_DIVISOR = 5.0
MIN_ADAPTIVE_LEARNING_RATE = 1e-6


class StoppingRule:
    """Stop when an epoch metric has not improved by ``tol`` for a while.

    The rule of ``sklearn.neural_network.MLPClassifier``: without a validation
    set, stop once the training loss has failed to drop below the best loss
    minus ``tol`` for more than ``n_iter_no_change`` consecutive epochs; with
    one, do the same with the validation score and remember the posterior
    that scored best.

    Parameters
    ----------
    tol : float
        Smallest improvement that counts.
    n_iter_no_change : int or inf
        Epochs without improvement tolerated.
    validation_score : callable, default=None
        Maps a posterior to a validation score (higher is better). If None,
        the training loss decides.
    verbose : bool, default=False
        Print each epoch's loss, its validation score, and why the
        optimisation stopped.
    max_epochs : int, default=None
        With ``verbose``, also print the time elapsed and the most that the
        remaining epochs can take, at the mean epoch time so far.
    smoothing_window : int, default=1
        Epochs whose mean loss is the smoothed loss that picks the best
        posterior without a validation set and detects a runaway loss.
    learning_rate_init : float, default=None
        Initial step size, the first value of ``learning_rate``.
    adaptive : bool, default=False
        Rather than stop when the metric has not improved, divide the step
        size by ``ADAPTIVE_DIVISOR`` and go on, until it is no larger than
        ``MIN_ADAPTIVE_LEARNING_RATE``: ``MLPClassifier``'s "adaptive"
        schedule.

    Attributes
    ----------
    best_loss : float
        Lowest training loss seen.
    validation_scores : list of float
        Validation score of each epoch (with ``validation_score`` only).
    best_validation_score : float
        Highest validation score seen.
    best_posterior : dict or None
        Posterior of the best validation score, or without validation, of the
        lowest smoothed training loss.
    best_epoch : int or None
        Epoch of ``best_posterior``.
    best_smoothed_loss : float
        Lowest smoothed training loss seen.
    runaway : str or None
        Why the optimisation stopped when the loss ran away from its best.
    learning_rate : float or None
        Step size of the epochs to come.
    reached_plateau : bool
        Whether the metric has stopped improving at least once: the
        optimisation has converged at ``learning_rate_init``, and any epochs
        after that refine the posterior at smaller steps.

    Notes
    -----
    The loss has run away when its smoothed value exceeds the lowest one by
    more than ``max(|lowest|, 1)``: more than double a positive loss. ADVI's
    noise moves a smoothed loss by far less; a step size too large for the
    data's scale moves it by orders of magnitude.
    """

    def __init__(
        self,
        tol,
        n_iter_no_change,
        validation_score=None,
        verbose=False,
        max_epochs=None,
        smoothing_window=1,
        learning_rate_init=None,
        adaptive=False,
    ):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.validation_score = validation_score
        self.verbose = verbose
        self.best_loss = np.inf
        self.validation_scores = []
        self.best_validation_score = -np.inf
        self.best_posterior = None
        self.best_epoch = None
        self.runaway = None
        self.learning_rate = learning_rate_init
        self.adaptive = adaptive
        self.reached_plateau = False
        self._recent_losses = deque(maxlen=smoothing_window)
        self.best_smoothed_loss = np.inf
        self._best_smoothed_epoch = None
        self._no_improvement_count = 0
        self._n_epochs = 0
        self.max_epochs = max_epochs
        self._start = time.perf_counter()

    def _timing(self):
        # Fits of minutes say how long they have run and may still run; the
        # stopping rule may end them sooner than max_epochs.
        if self.max_epochs is None:
            return ""
        elapsed = time.perf_counter() - self._start
        left = elapsed / self._n_epochs * (self.max_epochs - self._n_epochs)
        return f", {elapsed:.1f} s elapsed, at most {left:.1f} s to go"

    def _ran_away(self, loss, read_posterior):
        self._recent_losses.append(loss)
        smoothed = float(np.mean(self._recent_losses))
        best = self.best_smoothed_loss
        if not smoothed > best:
            self.best_smoothed_loss = smoothed
            self._best_smoothed_epoch = self._n_epochs
            if self.validation_score is None:
                self.best_posterior = read_posterior()
                self.best_epoch = self._n_epochs
            return False
        if smoothed - best <= max(abs(best), 1.0):
            return False
        self.runaway = (
            f"the loss ran away from its best: its mean over the last "
            f"{len(self._recent_losses)} epochs rose from {best:.4g} (epoch "
            f"{self._best_smoothed_epoch}) to {smoothed:.4g} (epoch "
            f"{self._n_epochs})"
        )
        if self.verbose:
            print(f"Stopping: {self.runaway}.")
        return True

    def next_learning_rate(self):
        """Return the step size of the next epoch."""
        return self.learning_rate

    def __call__(self, loss, read_posterior):
        """Record an epoch; return True when the optimisation should stop."""
        self._n_epochs += 1
        if self.verbose:
            print(f"Iteration {self._n_epochs}, loss = {loss:.8f}{self._timing()}")
        if self._ran_away(loss, read_posterior):
            return True
        if self.validation_score is None:
            improved = loss <= self.best_loss - self.tol
            self.best_loss = min(self.best_loss, loss)
        else:
            posterior = read_posterior()
            score = self.validation_score(posterior)
            self.validation_scores.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            improved = score >= self.best_validation_score + self.tol
            if score > self.best_validation_score:
                self.best_validation_score = score
                self.best_posterior = posterior
                self.best_epoch = self._n_epochs
        self._no_improvement_count = 0 if improved else self._no_improvement_count + 1
        if self._no_improvement_count <= self.n_iter_no_change:
            return False
        self.reached_plateau = True
        metric = "Validation score" if self.validation_score else "Training loss"
        message = (
            f"{metric} did not improve more than tol={self.tol:f} for "
            f"{self.n_iter_no_change} consecutive epochs."
        )
        if self.adaptive and self.learning_rate > MIN_ADAPTIVE_LEARNING_RATE:
            self.learning_rate /= ADAPTIVE_DIVISOR
            self._no_improvement_count = 0
            if self.verbose:
                print(f"{message} Setting learning rate to {self.learning_rate:g}.")
            return False
        if self.verbose:
            reason = " Learning rate too small." if self.adaptive else ""
            print(f"{message}{reason} Stopping.")
        return True
