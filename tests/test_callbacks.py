"""Each callback alone, driven epoch by epoch as the trainer drives it."""

import io
import re

import numpy as np
import pytest

from skbnn._inference.callbacks import (
    AdaptiveStepSize,
    ConstantStepSize,
    KeepBest,
    Plateau,
    RunawayGuard,
    ValidationScore,
    stopping_rule,
)
from skbnn._inference.progress import EpochLog, ProgressBar, wants_progress_bar
from skbnn._inference.trainer import Run, finish_epoch


def _start(callbacks, *, learning_rate=0.01, window=1, verbose=False, max_epochs=50):
    """A run with these callbacks; its posterior names the epoch it is read at."""
    run = Run(
        max_epochs=max_epochs,
        steps_per_epoch=3,
        learning_rate=learning_rate,
        smoothing_window=window,
        verbose=verbose,
    )
    run.callbacks = list(callbacks)
    run.read_posterior = lambda: {"epoch": run.epoch}
    run.rewound_to = []
    run.rewind = run.rewound_to.append
    for callback in run.callbacks:
        callback.on_run_begin(run)
    return run


def _epochs(run, losses):
    """Finish one epoch per loss; return whether each one stopped the run."""
    stops = []
    for loss in losses:
        run.epoch += 1
        stops.append(finish_epoch(run, loss))
    return stops


def test_plateau_follows_scikit_learn():
    plateau = Plateau(0.1, 2, ConstantStepSize())
    run = _start([plateau])
    # Improvements reset the count; a stop needs more than 2 epochs without.
    assert _epochs(run, [5.0, 4.0, 3.95, 3.92, 3.99]) == [False] * 4 + [True]
    assert plateau.best_loss == 3.92
    assert plateau.reached_plateau
    assert run.stop_reason.startswith("Training loss did not improve more than")


def test_constant_step_size_keeps_the_step_size():
    run = _start([Plateau(0.1, 1, ConstantStepSize())])
    assert _epochs(run, [3.0] * 3) == [False, False, True]
    assert run.learning_rate == 0.01


def test_adaptive_step_size_divides_until_it_is_tiny(capsys):
    # MLPClassifier's "adaptive" schedule: where the constant rule would stop,
    # divide by 5 and reset the count; stop once the step is at most 1e-6.
    run = _start(
        [Plateau(0.1, 1, AdaptiveStepSize())], learning_rate=1e-4, verbose=True
    )
    rates, stops = [], []
    for loss in [3.0] * 9:
        rates.append(run.learning_rate)
        stops += _epochs(run, [loss])
    # 1e-4 -> 2e-5 -> 4e-6 -> 8e-7, which is small enough to stop at.
    assert rates == pytest.approx([1e-4] * 3 + [2e-5] * 2 + [4e-6] * 2 + [8e-7] * 2)
    assert stops == [False] * 8 + [True]
    printed = capsys.readouterr().out
    assert printed.count("Setting learning rate to") == 3
    assert printed.rstrip().endswith("Learning rate too small. Stopping.")


def test_a_schedule_alone_lowers_the_step_until_its_minimum():
    run = _start([], learning_rate=1.0)
    schedule = AdaptiveStepSize(divisor=10.0, minimum=0.01)
    assert [schedule.lower(run) for _ in range(4)] == [True, True, False, False]
    assert run.learning_rate == pytest.approx(0.01)
    assert not ConstantStepSize().lower(run)


def test_validation_score_decides_the_plateau_and_the_kept_posterior():
    scores = iter([0.5, 0.8, 0.7, 0.79, 0.6])
    run = _start(
        stopping_rule(
            tol=0.0,
            n_iter_no_change=2,
            adaptive=False,
            validation_score=lambda posterior: next(scores),
        )
    )
    # The training loss keeps falling; the validation score decides.
    assert _epochs(run, [5.0, 4.0, 3.0, 2.0, 1.0]) == [False] * 4 + [True]
    assert run.best_posterior == {"epoch": 2}
    assert run.callback(ValidationScore).scores == [0.5, 0.8, 0.7, 0.79, 0.6]
    assert run.callback(KeepBest).best_validation_score == 0.8
    assert run.rank == -0.8


def test_validation_score_scores_the_current_posterior():
    scored = []
    validation = ValidationScore(lambda posterior: scored.append(posterior) or 1.0)
    run = _start([validation])
    _epochs(run, [1.0, 1.0])
    assert scored == [{"epoch": 1}, {"epoch": 2}]
    assert validation.current == 1.0


@pytest.mark.parametrize("window, best_epoch", [(1, 3), (2, 4)])
def test_the_posterior_of_the_best_smoothed_loss_is_kept(window, best_epoch):
    # A loss that falls, then drifts up without running away.
    run = _start([RunawayGuard(), KeepBest()], window=window)
    assert not any(_epochs(run, [10.0, 5.0, 3.0, 3.2, 4.0, 4.5, 5.0]))
    assert run.best_posterior == {"epoch": best_epoch}
    assert run.best_epoch == best_epoch
    assert run.rewound_to == []


def test_a_runaway_rewinds_to_the_best_posterior_at_a_smaller_step():
    guard = RunawayGuard(divisor=5.0)
    run = _start([guard, KeepBest()], learning_rate=0.01, window=2)
    assert not any(_epochs(run, [10.0, 5.0, 3.0, 3.2]))
    # The median of the last two epochs rises above twice its lowest: the run
    # goes back to the best posterior (epoch 4's window was the best) and on.
    assert _epochs(run, [100.0]) == [False]
    assert run.rewound_to == [{"epoch": 4}]
    assert run.learning_rate == pytest.approx(0.002)
    assert len(guard.rewinds) == 1
    assert guard.runaway is None
    # The window that still holds epoch 5 is not judged again, and the run
    # goes on from the rewound posterior.
    assert not any(_epochs(run, [3.1, 3.0, 2.9]))
    assert run.best_epoch == 8
    assert len(guard.rewinds) == 1


def test_a_runaway_stops_the_run_when_the_step_cannot_shrink_further():
    guard = RunawayGuard(minimum=1e-3)
    run = _start([guard, KeepBest()], learning_rate=4e-3)
    # 4e-3 / 5 would be below the minimum of 1e-3.
    assert _epochs(run, [3.0, 100.0]) == [False, True]
    assert "ran away" in guard.runaway
    assert run.rewound_to == []
    assert run.best_epoch == 1  # the epoch's callbacks ended at the guard


def test_a_runaway_before_a_posterior_is_kept_rewinds_to_the_start():
    guard = RunawayGuard()
    run = _start([guard], window=1)
    # Up to max(|lowest|, 1) above the lowest loss is noise.
    assert _epochs(run, [0.5, 1.4, 0.4, 1.4]) == [False] * 4
    assert run.rewound_to == []
    assert _epochs(run, [1.5]) == [False]
    # The posterior read when the run began.
    assert run.rewound_to == [{"epoch": 0}]
    assert guard.rewinds == [5]


def test_the_runaway_guard_looks_past_one_wild_epoch():
    run = _start([RunawayGuard(), KeepBest()], window=3)
    # One epoch with a wild draw moves the mean of three by a factor of 300,
    # their median not at all.
    assert not any(_epochs(run, [3.0, 2.9, 2.8, 1e3, 2.7]))
    assert run.rewound_to == []


def test_the_guard_recovers_from_a_step_that_is_not_finite():
    guard = RunawayGuard()
    run = _start([guard, KeepBest()], learning_rate=0.05)
    _epochs(run, [3.0, 2.0])
    assert guard.on_nonfinite_loss(run, "the negative ELBO became nan")
    assert run.rewound_to == [{"epoch": 2}]
    assert run.learning_rate == pytest.approx(0.01)


def test_epoch_log_reports_each_epoch_and_the_time_to_go(capsys):
    run = _start(
        [EpochLog(), *stopping_rule(tol=0.1, n_iter_no_change=1, adaptive=False)],
        verbose=True,
        max_epochs=10,
    )
    assert _epochs(run, [3.0, 2.0, 2.0, 2.0]) == [False] * 3 + [True]
    printed = capsys.readouterr().out.splitlines()
    for epoch, (line, loss) in enumerate(zip(printed, ["3", "2", "2", "2"]), 1):
        assert re.fullmatch(
            rf"Iteration {epoch}, loss = {loss}\.00000000, "
            r"[\d.]+ s elapsed, at most [\d.]+ s to go",
            line,
        )
    assert printed[4].startswith("Training loss did not improve more than tol=0.1")


def test_a_quiet_run_prints_nothing(capsys):
    run = _start(
        [EpochLog(), *stopping_rule(tol=0.1, n_iter_no_change=1, adaptive=True)]
    )
    _epochs(run, [3.0] * 5)
    assert capsys.readouterr().out == ""


def test_progress_bar_only_for_verbose_fits_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert wants_progress_bar(True, Terminal())
    assert not wants_progress_bar(False, Terminal())
    assert not wants_progress_bar(True, io.StringIO())


def test_progress_bar_draws_with_rich():
    bar = ProgressBar()
    run = _start([bar], max_epochs=2)
    for epoch in [1, 1, 1, 2, 2, 2]:
        run.epoch = epoch
        bar.on_step_end(run)
    bar.on_run_end(run)


def test_stopping_rule_orders_its_parts():
    kinds = [type(c) for c in stopping_rule(tol=0, n_iter_no_change=1, adaptive=True)]
    assert kinds == [RunawayGuard, KeepBest, Plateau]
    with_validation = stopping_rule(
        tol=0, n_iter_no_change=1, adaptive=True, validation_score=np.mean
    )
    assert [type(c) for c in with_validation] == [
        RunawayGuard,
        ValidationScore,
        KeepBest,
        Plateau,
    ]
    assert isinstance(with_validation[-1].schedule, AdaptiveStepSize)
