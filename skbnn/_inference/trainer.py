"""The trainer: runs of minibatch ADVI over the compiled step, with callbacks.

A fit is ``ensemble_size`` members, each the best of ``n_init`` runs. A run
resets the compiled step (:class:`skbnn._inference.step.AdviStep`) to an initial
posterior and seeds, then takes epochs of minibatch steps until ``max_epochs``
or until a callback stops it (``skbnn._inference.callbacks``); Ctrl-C ends it and keeps
what it learned.
"""

import statistics
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .callbacks import Plateau, RunawayGuard
from .epochs import divergence_error, iter_epoch_losses

# The loss that picks the posterior to keep, and that detects a loss running
# away from its best, is the epoch loss averaged over this many steps.
SMOOTHING_STEPS = 50


@dataclass
class Run:
    """The state of one run that the loop owns; its callbacks read and write it.

    What a callback counts for itself (a plateau's best loss, a guard's
    rewinds, the validation scores) it keeps on itself; :meth:`callback`
    finds it after the run.

    Attributes
    ----------
    max_epochs, steps_per_epoch : int
        The run's budget and the steps of each epoch.
    learning_rate : float
        Adam's step size for the next epoch (a schedule may change it).
    smoothing_window : int
        Epochs whose mean loss is ``smoothed_loss``.
    verbose : bool
        Whether :meth:`log` prints.
    epoch, n_steps : int
        Epochs and steps done.
    loss_curve : list of float
        Mean negative ELBO of each epoch, divided by the number of samples
        (the sum of the sample weights).
    smoothed_loss : float
        Mean of the last ``smoothing_window`` values of ``loss_curve``.
    read_posterior : callable
        Returns the current posterior (a mapping of free-variable names to
        their Gaussian's mean and std).
    rewind : callable
        ``rewind(posterior)`` sets the current posterior to one that
        ``read_posterior`` returned and clears Adam's state.
    posterior : dict
        The posterior at the end of the run; empty if its parameters were no
        longer finite after a callback stopped it.
    best_posterior, best_epoch, rank
        The posterior the run returns instead of its last (set by
        :meth:`keep`), its epoch, and the run's rank among restarts (lower is
        better).
    stop_reason : str or None
        Why a callback stopped the run.
    interrupted : bool
        Whether Ctrl-C ended the run.
    n_rewinds : int
        Times ``rewind`` was called.
    callbacks : list of skbnn._inference.callbacks.Callback
        The run's callbacks, in the order they are called.
    """

    max_epochs: int
    steps_per_epoch: int
    learning_rate: float
    smoothing_window: int = 1
    verbose: bool = False
    epoch: int = 0
    n_steps: int = 0
    loss_curve: list = field(default_factory=list)
    smoothed_loss: float = np.inf
    read_posterior: object = None
    rewind: object = None
    posterior: dict = field(default_factory=dict)
    best_posterior: object = None
    best_epoch: int | None = None
    rank: float = np.inf
    stop_reason: str | None = None
    interrupted: bool = False
    n_rewinds: int = 0
    callbacks: list = field(default_factory=list)

    @classmethod
    def smoothed(cls, *, max_epochs, steps_per_epoch, learning_rate, verbose):
        """Return a run whose smoothed loss spans ``SMOOTHING_STEPS`` steps."""
        window = -(-SMOOTHING_STEPS // steps_per_epoch)
        return cls(
            max_epochs=max_epochs,
            steps_per_epoch=steps_per_epoch,
            learning_rate=learning_rate,
            smoothing_window=window,
            verbose=verbose,
        )

    def log(self, message):
        """Print ``message`` if the run is verbose."""
        if self.verbose:
            print(message)

    def stop(self, reason):
        """Ask the trainer to end the run after this epoch."""
        self.stop_reason = reason

    def keep(self, posterior, rank):
        """Keep ``posterior``, this epoch's, as the one the run returns."""
        self.best_posterior = posterior
        self.best_epoch = self.epoch
        self.rank = rank

    def callback(self, kind):
        """Return the run's first callback of type ``kind``, or None."""
        return next((c for c in self.callbacks if isinstance(c, kind)), None)

    @property
    def kept_posterior(self):
        """The best posterior, else (no epoch scored) the last one."""
        return dict(self.best_posterior or self.posterior)


def _call(callbacks, hook, run):
    for callback in callbacks:
        getattr(callback, hook)(run)
        if run.stop_reason is not None:
            return


def finish_epoch(run, loss):
    """Record epoch ``run.epoch``'s loss and call the run's epoch callbacks.

    Parameters
    ----------
    run : Run
        The run; its callbacks are called in order until one stops it.
    loss : float
        The epoch's mean loss per sample.

    Returns
    -------
    stop : bool
        Whether a callback stopped the run.
    """
    _record_loss(run, loss)
    _call(run.callbacks, "on_epoch_end", run)
    return run.stop_reason is not None


def _record_loss(run, loss):
    run.loss_curve.append(loss)
    run.smoothed_loss = statistics.fmean(run.loss_curve[-run.smoothing_window :])


def run_advi(step, data, run, callbacks=(), *, random_seed):
    """Run minibatch ADVI from the step's current state; fill in ``run``.

    Parameters
    ----------
    step : skbnn._inference.step.AdviStep
        The compiled step, already reset to the run's initial state.
    data : TrainingData
        What to train on.
    run : Run
        The run's budget and state.
    callbacks : sequence of skbnn._inference.callbacks.Callback, default=()
        Called in order at each hook.
    random_seed : int
        Seeds the minibatch draws.

    Returns
    -------
    run : Run
        A KeyboardInterrupt (Ctrl-C) ends the run early, with the posterior
        reached so far and ``interrupted`` set.

    Raises
    ------
    ValueError
        If the ELBO or the variational parameters stop being finite.
    """
    run.callbacks = list(callbacks)
    run.read_posterior = step.snapshot
    total_weight = data.total_weight
    rng = np.random.default_rng(random_seed)

    def rewind(posterior):
        run.n_rewinds += 1
        # Every variable is in the posterior: no default std is used.
        step.reset(posterior, default_std=1.0, seed=int(rng.integers(2**31)))

    run.rewind = rewind
    _call(run.callbacks, "on_run_begin", run)
    epoch_losses = iter_epoch_losses(step, data, run, rng)
    try:
        for epoch in range(1, run.max_epochs + 1):
            run.epoch = epoch
            if finish_epoch(run, next(epoch_losses) / total_weight):
                # Epochs a block took past this one count, without callbacks.
                for loss in epoch_losses.rest_of_block():
                    run.epoch += 1
                    _record_loss(run, loss / total_weight)
                break
    except KeyboardInterrupt:
        # As scikit-learn's MLP: Ctrl-C keeps what was learned so far.
        run.interrupted = True
    finally:
        for callback in run.callbacks:
            callback.on_run_end(run)
    if step.is_finite():
        run.posterior = step.read()
    elif run.stop_reason is None:
        raise divergence_error(run.epoch, run.n_steps, "nan", run.learning_rate)
    return run


@dataclass
class Trainer:
    """Fits the members of an ensemble, each the best of its restarts.

    Parameters
    ----------
    step : skbnn._inference.step.AdviStep
        The compiled step.
    data : TrainingData
        What every run trains on.
    new_run : callable
        ``new_run()`` returns a fresh ``(run, callbacks)`` pair.
    initial_posterior : callable
        ``initial_posterior(seed)`` returns a run's initial posterior.
    initial_std : float
        Initial standard deviation of the free variables it leaves out.
    prior_scale : float
        Scale of the weight prior, an input of the step.
    """

    step: object
    data: object
    new_run: object
    initial_posterior: object
    initial_std: float
    prior_scale: float

    def _run(self, start, advi_seed):
        self.step.reset(
            start, self.initial_std, seed=advi_seed, prior_scale=self.prior_scale
        )
        run, callbacks = self.new_run()
        return run_advi(self.step, self.data, run, callbacks, random_seed=advi_seed)

    def fit_member(self, seeds, start=None):
        """Fit one member; return its best run.

        Parameters
        ----------
        seeds : list of (int, int)
            ``(init_seed, advi_seed)`` of each restart.
        start : dict or None
            A fitted member's free variables to continue from, in one run
            with the first seeds (a warm start); None restarts from
            ``initial_posterior`` once per seed pair and keeps the best run,
            as ``KMeans`` keeps its best of ``n_init``.
        """
        best = None
        for init_seed, advi_seed in seeds if start is None else seeds[:1]:
            initial = self.initial_posterior(init_seed) if start is None else start
            run = self._run(initial, advi_seed)
            if best is None or run.rank < best.rank:
                best = run
            if run.interrupted:
                break
        return best

    def fit(self, member_seeds, starts=()):
        """Fit every member; stop after one that Ctrl-C interrupted.

        Parameters
        ----------
        member_seeds : list of list of (int, int)
            Each member's restart seeds.
        starts : sequence of dict, default=()
            Fitted members to continue, the first ``len(starts)`` members.

        Returns
        -------
        runs : list of Run
            The best run of each member fitted.
        """
        runs = []
        for member, seeds in enumerate(member_seeds):
            start = starts[member] if member < len(starts) else None
            runs.append(self.fit_member(seeds, start))
            if runs[-1].interrupted:
                break
        return runs

    def continue_stream(self, stream):
        """Take one run of every member of ``stream``, from where it stopped.

        A member's first run starts from ``stream.starts`` or a fresh
        initial posterior; later ones restore the whole optimiser state
        (posterior, Adam's moments), with Monte Carlo draws seeded anew for
        each call. Stops after a member that Ctrl-C interrupted.

        Returns
        -------
        runs : list of Run
            One per member continued.
        """
        runs = []
        for member, (init_seed, advi_seed) in enumerate(stream.seeds):
            sequence = np.random.SeedSequence([advi_seed, stream.n_calls])
            seed = int(sequence.generate_state(1)[0])
            if stream.states[member] is not None:
                self.step.restore(stream.states[member], seed, self.prior_scale)
            else:
                start = stream.starts[member] if stream.starts else None
                start = self.initial_posterior(init_seed) if start is None else start
                self.step.reset(
                    start, self.initial_std, seed=seed, prior_scale=self.prior_scale
                )
            run, callbacks = self.new_run()
            runs.append(
                run_advi(self.step, self.data, run, callbacks, random_seed=seed)
            )
            stream.states[member] = self.step.state()
            if run.interrupted:
                break
        stream.n_calls += 1
        return runs


@dataclass
class Stream:
    """What ``partial_fit`` carries from one call to the next.

    Attributes
    ----------
    seeds : list of (int, int)
        ``(init_seed, advi_seed)`` of each member.
    n_seen : int
        Rows seen so far: the data size of each call's ELBO.
    starts : list of dict
        Free variables to start the members from (a fitted posterior), or
        empty to start from a fresh initial posterior.
    states : list of (list of ndarray or None)
        Each member's optimiser state after its last call, or None.
    n_calls : int
        Calls so far; with the seeds, it seeds each call's draws.
    """

    seeds: list
    n_seen: int = 0
    starts: list = field(default_factory=list)
    states: list = None
    n_calls: int = 0

    def __post_init__(self):
        if self.states is None:
            self.states = [None] * len(self.seeds)


def warn_if_not_converged(run, *, max_iter, learning_rate_init, prefix=""):
    """Warn when ``run`` ended without converging; say what to change.

    Parameters
    ----------
    run : Run
        A finished run.
    max_iter : int
        The estimator's budget of epochs.
    learning_rate_init : float
        The estimator's initial step size, which a runaway loss asks to lower.
    prefix : str, default=""
        Names the member of an ensemble.
    """
    n_epochs = len(run.loss_curve)
    guard = run.callback(RunawayGuard) or RunawayGuard()
    plateau = run.callback(Plateau)
    if guard.runaway is not None:
        warnings.warn(
            f"{prefix}Stopped at epoch {n_epochs}: {guard.runaway}. Kept "
            f"the posterior of epoch {run.best_epoch}. Lower "
            f"learning_rate_init (now {learning_rate_init}) or "
            "standardise the inputs (e.g. StandardScaler in a Pipeline).",
            ConvergenceWarning,
        )
    elif guard.rewinds:
        epochs = ", ".join(map(str, guard.rewinds))
        warnings.warn(
            f"{prefix}The loss ran away at learning_rate_init={learning_rate_init} "
            f"(after epochs {epochs}); each time the fit went back to its best "
            f"posterior and went on at a fifth of the step size, down to "
            f"{run.learning_rate:g}. Lower learning_rate_init or standardise "
            "the inputs (e.g. StandardScaler in a Pipeline).",
            ConvergenceWarning,
        )
    elif n_epochs == max_iter and not (plateau and plateau.reached_plateau):
        # With the adaptive schedule, max_iter may end a refinement at a
        # smaller step size after the fit converged: no warning then.
        warnings.warn(
            f"{prefix}Stochastic Optimizer: Maximum iterations "
            f"({max_iter}) reached and the optimization hasn't "
            "converged yet.",
            ConvergenceWarning,
        )
