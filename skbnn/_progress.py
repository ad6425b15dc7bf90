"""Live progress of long fits on a terminal, through rich (a PyMC dependency)."""

import contextlib
import sys


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


@contextlib.contextmanager
def progress_bar(max_epochs, steps_per_epoch):
    """Draw a bar over all the fit's steps; yield a callback for each step.

    The bar's total is ``max_epochs`` epochs, so its time-remaining column
    is an upper bound: the stopping rule may end the fit sooner.

    Parameters
    ----------
    max_epochs : int
        Most epochs the fit may run.
    steps_per_epoch : int
        Optimisation steps per epoch.

    Yields
    ------
    advance : callable
        ``advance(epoch)`` records one step of ``epoch``.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [
        TextColumn("epoch {task.fields[epoch]}/" + str(max_epochs)),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("fit", total=max_epochs * steps_per_epoch, epoch=1)

        def advance(epoch):
            progress.update(task, advance=1, epoch=epoch)

        yield advance
