"""The trainer: runs of minibatch ADVI over the compiled step, with callbacks.

A fit is ``ensemble_size`` members, each the best of ``n_init`` runs. A run
resets the compiled step (:class:`skbnn._inference.AdviStep`) to an initial
posterior and seeds, then takes epochs of minibatch steps until ``max_epochs``
or until a callback stops it (``skbnn._callbacks``); Ctrl-C ends it and keeps
what it learned.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._minibatches import iter_row_minibatches
from ._posterior import free_weight_name

# Batches smaller than this are padded to a power of two (see padded_rows).
PAD_BATCHES_BELOW = 256


def padded_rows(batch_size):
    """Rows of the compiled step's minibatch for batches of ``batch_size``.

    Small batches are padded with rows of weight zero up to a power of two:
    on small data sets the batch is the whole data set, and without padding
    every data set size would compile the step anew.

    Parameters
    ----------
    batch_size : int
        Rows that carry data.

    Returns
    -------
    rows : int
    """
    if batch_size >= PAD_BATCHES_BELOW:
        return batch_size
    return 1 << (batch_size - 1).bit_length()


def _divergence_error(epoch, step, loss, learning_rate):
    return ValueError(
        f"ADVI diverged: the negative ELBO became {loss} at epoch {epoch} "
        f"(step {step}, step size {learning_rate}). Lower learning_rate_init, "
        "standardise the inputs (e.g. StandardScaler in a Pipeline), or choose "
        "a smaller prior_scale."
    )


# The loss that picks the posterior to keep, and that detects a loss running
# away from its best, is the epoch loss averaged over this many steps.
SMOOTHING_STEPS = 50


@dataclass
class Run:
    """The state of one run, which its callbacks read and write.

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
    recover : callable or None
        Set by ``RunawayGuard``: ``recover(run, reason)`` rewinds the run at a
        smaller step size after a step whose loss was not finite, and returns
        whether it could; None (no guard) lets such a step end the fit.
    posterior : dict
        The posterior at the end of the run; empty if its parameters were no
        longer finite after a callback stopped it.
    stop_reason : str or None
        Why a callback stopped the run.
    interrupted : bool
        Whether Ctrl-C ended the run.
    validation_score, validation_scores, best_validation_score
        Written by ``ValidationScore`` and ``KeepBest``.
    best_posterior, best_epoch, rank
        Written by ``KeepBest``: the posterior to keep, its epoch, and the
        run's rank among restarts (lower is better).
    best_loss : float
        Written by ``Plateau``: the lowest epoch loss.
    runaway : str or None
        Written by ``RunawayGuard`` when the loss ran away and the run
        stopped.
    rewinds : list of int
        Written by ``RunawayGuard``: the epochs after which the run went back
        to its best posterior at a smaller step size.
    reached_plateau : bool
        Written by ``Plateau``: the metric stopped improving at least once.
    callbacks : list of skbnn._callbacks.Callback
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
    recover: object = None
    posterior: dict = field(default_factory=dict)
    stop_reason: str | None = None
    interrupted: bool = False
    validation_score: float | None = None
    validation_scores: list = field(default_factory=list)
    best_validation_score: float = -np.inf
    best_posterior: object = None
    best_epoch: int | None = None
    rank: float = np.inf
    best_loss: float = np.inf
    runaway: str | None = None
    rewinds: list = field(default_factory=list)
    reached_plateau: bool = False
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

    @property
    def kept_posterior(self):
        """The best posterior, else (no epoch scored) the last one."""
        return dict(self.best_posterior or self.posterior)


@dataclass(frozen=True)
class TrainingData:
    """What every run of a fit trains on.

    Attributes
    ----------
    X : ndarray or skbnn._out_of_core.OutOfCoreRows
        Inputs, of the step's dtype; rows on disk are read a buffer at a time.
    y : ndarray
        Targets, encoded for the likelihood.
    batch_size : int
        Rows of a minibatch, at most ``n_samples``.
    sample_weight : ndarray of shape (n_samples,) or None
        Weight of each sample's log-likelihood term; a weight of 2 counts a
        sample as if it appeared twice.
    total_size : int or None
        Rows of the data set that the ELBO's likelihood stands for, of which
        these rows are a uniform sample (``partial_fit``: the rows seen so
        far); None: these rows.
    """

    X: object
    y: np.ndarray
    batch_size: int
    sample_weight: np.ndarray | None = None
    total_size: int | None = None

    @property
    def total_weight(self):
        """The summed sample weight that the ELBO's likelihood stands for."""
        if self.total_size is None:
            if self.sample_weight is None:
                return self.X.shape[0]
            return float(np.sum(self.sample_weight))
        mean_weight = 1.0 if self.sample_weight is None else self.sample_weight.mean()
        return self.total_size * float(mean_weight)

    @property
    def steps_per_epoch(self):
        """Optimisation steps of one pass over the rows."""
        return -(-self.X.shape[0] // self.batch_size)


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
    run.loss_curve.append(loss)
    run.smoothed_loss = float(np.mean(run.loss_curve[-run.smoothing_window :]))
    _call(run.callbacks, "on_epoch_end", run)
    return run.stop_reason is not None


def _epoch_loss(step, data, batch, run, rng):
    """Take one epoch of steps; return its mean loss per sample."""
    X_batch, y_batch, row_weights, scale = batch
    n = data.batch_size
    losses = []
    for indices, source, positions in iter_row_minibatches(data.X, n, rng):
        np.take(source, positions, axis=0, out=X_batch[:n])
        np.take(data.y, indices, axis=0, out=y_batch[:n])
        if data.sample_weight is not None:
            row_weights[:n] = scale * data.sample_weight[indices]
        loss = step(X_batch, y_batch, row_weights, run.learning_rate)
        run.n_steps += 1
        for callback in run.callbacks:
            callback.on_step_end(run)
        if not np.isfinite(loss):
            reason = f"the negative ELBO became {loss} at step {run.n_steps}"
            if run.recover is None or not run.recover(run, reason):
                raise _divergence_error(run.epoch, run.n_steps, loss, run.learning_rate)
            continue
        losses.append(loss)
    if not losses:  # every step diverged; each rewound at a smaller step size
        return _epoch_loss(step, data, batch, run, rng)
    return float(np.mean(losses))


def _minibatch_buffers(step, data):
    """Buffers of the padded minibatch, and the weight that scales its rows."""
    n_samples = data.X.shape[0] if data.total_size is None else data.total_size
    rows = padded_rows(data.batch_size)
    # Rows drawn uniformly at random, each likelihood term scaled by
    # n_samples / batch_size: an unbiased estimate of the weighted sum.
    scale = n_samples / data.batch_size
    row_weights = np.zeros(rows, dtype=step.dtype)
    row_weights[: data.batch_size] = scale
    X_batch = np.zeros((rows, *data.X.shape[1:]), dtype=data.X.dtype)
    y_batch = np.zeros((rows, *data.y.shape[1:]), dtype=data.y.dtype)
    return X_batch, y_batch, row_weights, scale


def run_advi(step, data, run, callbacks=(), *, random_seed):
    """Run minibatch ADVI from the step's current state; fill in ``run``.

    Parameters
    ----------
    step : skbnn._inference.AdviStep
        The compiled step, already reset to the run's initial state.
    data : TrainingData
        What to train on.
    run : Run
        The run's budget and state.
    callbacks : sequence of skbnn._callbacks.Callback, default=()
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
    batch = _minibatch_buffers(step, data)
    rng = np.random.default_rng(random_seed)

    def rewind(posterior):
        # Every variable is in the posterior: no default std is used.
        step.reset(posterior, default_std=1.0, seed=int(rng.integers(2**31)))

    run.rewind = rewind
    _call(run.callbacks, "on_run_begin", run)
    try:
        for epoch in range(1, run.max_epochs + 1):
            run.epoch = epoch
            loss = _epoch_loss(step, data, batch, run, rng) / total_weight
            if finish_epoch(run, loss):
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
        raise _divergence_error(run.epoch, run.n_steps, "nan", run.learning_rate)
    return run


@dataclass
class Trainer:
    """Fits the members of an ensemble, each the best of its restarts.

    Parameters
    ----------
    step : skbnn._inference.AdviStep
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
    data: TrainingData
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


@dataclass(frozen=True)
class FitSeeds:
    """The seeds of one fit, all drawn from its ``random_state``.

    Attributes
    ----------
    split : int
        Seeds the validation split.
    prediction : int
        Seeds the posterior draws of every prediction of the fitted model.
    members : list of list of (int, int)
        ``(init_seed, advi_seed)`` of each restart of each member.
    """

    split: int
    prediction: int
    members: list


def draw_fit_seeds(random_state, ensemble_size, n_init):
    """Draw a fit's seeds from a ``RandomState``.

    The first member's first run has seeds drawn before the others', so it is
    the same fit whatever ``ensemble_size`` and ``n_init`` are.
    """
    most = np.iinfo(np.int32).max
    init_seed, split_seed, advi_seed, prediction_seed = random_state.randint(
        most, size=4
    )
    seeds = [
        (init_seed, advi_seed),
        *random_state.randint(most, size=(ensemble_size * n_init - 1, 2)),
    ]
    members = [seeds[m * n_init : (m + 1) * n_init] for m in range(ensemble_size)]
    return FitSeeds(split_seed, prediction_seed, members)


# Variational standard deviations start small, so the first steps follow the
# means as plain gradient descent would, before the posterior spread grows.
# Weights start at 1/64 of their layer's Glorot bound: near 1e-2 for small
# networks and 1e-3 for MNIST's 2x800 MLP, the values that suited each
# (benchmarks/bench_small.py, examples/mnist_mlp.py). Other variables (prior
# scales, noise) start at INITIAL_STD.
INITIAL_STD = 1e-2
INITIAL_STD_OF_BOUND = 1 / 64


def glorot_initial_posterior(network, variable_names, activation, seed):
    """Return a run's initial posterior: Glorot-uniform means, small stds.

    Glorot-uniform means as in scikit-learn's MLP (Glorot and Bengio, 2010)
    are random enough to break the symmetry between hidden units. The
    hierarchical prior's standardised weights start there too; its layer
    scales, left out, start at their prior's initial point and multiply them.

    Parameters
    ----------
    network : object
        Architecture description from ``skbnn._networks``.
    variable_names : container of str
        The model's free variables.
    activation : str
        The hidden layers' activation.
    seed : int
        Seeds the means.

    Returns
    -------
    posterior : dict of str to (ndarray, float)
    """
    rng = np.random.default_rng(seed)
    factor = 2.0 if activation == "logistic" else 6.0
    posterior = {}
    for name, shape, fan_in in network.parameters():
        bound = np.sqrt(factor / (fan_in + shape[-1]))
        posterior[free_weight_name(variable_names, name)] = (
            rng.uniform(-bound, bound, shape),
            INITIAL_STD_OF_BOUND * bound,
        )
    return posterior


def resolve_batch_size(batch_size, n_samples):
    """Rows of a minibatch: ``"auto"`` is ``min(200, n_samples)``.

    A larger batch than the data is clipped to it, with scikit-learn's MLP's
    warning.
    """
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is "
            "going to be clipped"
        )
    return min(batch_size, n_samples)


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
    if run.runaway is not None:
        warnings.warn(
            f"{prefix}Stopped at epoch {n_epochs}: {run.runaway}. Kept "
            f"the posterior of epoch {run.best_epoch}. Lower "
            f"learning_rate_init (now {learning_rate_init}) or "
            "standardise the inputs (e.g. StandardScaler in a Pipeline).",
            ConvergenceWarning,
        )
    elif run.rewinds:
        epochs = ", ".join(map(str, run.rewinds))
        warnings.warn(
            f"{prefix}The loss ran away at learning_rate_init={learning_rate_init} "
            f"(after epochs {epochs}); each time the fit went back to its best "
            f"posterior and went on at a fifth of the step size, down to "
            f"{run.learning_rate:g}. Lower learning_rate_init or standardise "
            "the inputs (e.g. StandardScaler in a Pipeline).",
            ConvergenceWarning,
        )
    elif n_epochs == max_iter and not run.reached_plateau:
        # With the adaptive schedule, max_iter may end a refinement at a
        # smaller step size after the fit converged: no warning then.
        warnings.warn(
            f"{prefix}Stochastic Optimizer: Maximum iterations "
            f"({max_iter}) reached and the optimization hasn't "
            "converged yet.",
            ConvergenceWarning,
        )
