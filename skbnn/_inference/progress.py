"""Callbacks that show a run's progress: a line per epoch, or a live bar."""

import contextlib
import sys
import time

from .callbacks import Callback


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
