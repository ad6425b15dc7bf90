"""The epochs of a run: one compiled call a step, or many steps a call.

On a small table one step of a small network is a fraction of a millisecond
of arithmetic, and calling the compiled step from Python (PyTensor's function
call, JAX's dispatch, reading the loss back) costs more than the step. So for
data in memory the step that PyTensor compiled for JAX is run many times in
one call (:class:`StepBlock`), in a ``jax.lax.fori_loop`` over minibatches
gathered beforehand: the Python cost is paid once a block. The variational
parameters, Adam's state and the random generator of the draws are the
loop's carry and are written back into the step's storage after the block,
so that the step, its snapshots and its state read the same values as after
as many single steps. The loop's length is an input: one compilation serves
blocks of any number of steps up to ``BLOCK_STEPS``.

A block is whole epochs where an epoch has at most ``BLOCK_STEPS`` steps
(else an epoch is several blocks). The trainer's epoch callbacks run after a
block, for each of its epochs in turn: they see the posterior at the end of
the block, and a step size they set applies from the next block. Sparse rows
and rows on disk bring their own minibatches and take one step a call.
"""

import collections

import numpy as np

from .minibatches import (
    iter_minibatches,
    iter_row_minibatches,
    minibatch_buffers,
    padded_rows,
    put_minibatch,
    row_scale,
)

# Steps of one compiled call: enough that the call's fixed cost is small
# beside the arithmetic of small networks, few enough that the callbacks
# (the stopping rule, the step-size schedule) act every few hundred steps.
BLOCK_STEPS = 128
# Blocks pay where a step's arithmetic (about its free scalars times its
# rows) is small beside a call's fixed cost of a fraction of a millisecond.
# Above this, as on the MNIST MLP (1.3M scalars, 128 rows, tens of
# milliseconds a step), they gain nothing, and the loop's copies of its state
# made the steps a few percent slower.
MAX_BLOCK_WORK = 2**24


class StepBlock:
    """Up to ``BLOCK_STEPS`` steps of an ADVI step in one compiled JAX call.

    Parameters
    ----------
    function : pytensor.compile.function.types.Function
        The step's compiled function, in JAX mode: explicit inputs
        ``(X_batch, y_batch, row_weights, learning_rate)``, the loss as its
        output and the updates of the step's shared variables.
    """

    def __init__(self, function):
        import jax

        graph = function.maker.fgraph
        self._cells = [container.storage for container in function.input_storage]
        self._jitted = function.vm.jit_fn
        self._n_inputs = len(graph.inputs)
        # update_mapping: each updating output's index -> the input it
        # updates; the other shared inputs (the prior scale) stay fixed.
        self._updated = [
            graph.update_mapping[out] for out in sorted(graph.update_mapping)
        ]
        self._update_outputs = sorted(graph.update_mapping)
        explicit = len(function.maker.inputs) - sum(
            1 for inp in function.maker.inputs if inp.shared
        )
        if explicit != 4:
            raise RuntimeError(
                f"Expected the step's 4 explicit inputs, got {explicit}."
            )
        self._fixed = [
            index
            for index in range(explicit, self._n_inputs)
            if index not in self._updated
        ]
        self._loop = jax.jit(self._steps)

    def _steps(self, carry, fixed, X_blocks, y_blocks, weight_blocks, rate, n_steps):
        import jax
        import jax.numpy as jnp

        def body(k, state):
            carried, losses = state
            inputs = [None] * self._n_inputs
            # A block of whole-data steps holds its one batch once.
            batch = k % X_blocks.shape[0]
            inputs[:4] = X_blocks[batch], y_blocks[batch], weight_blocks[batch], rate
            for index, value in zip(self._updated, carried):
                inputs[index] = value
            for index, value in zip(self._fixed, fixed):
                inputs[index] = value
            outputs = self._jitted(*inputs)
            carried = tuple(outputs[out] for out in self._update_outputs)
            return carried, losses.at[k].set(outputs[0])

        losses = jnp.zeros(BLOCK_STEPS, dtype=X_blocks.dtype)
        return jax.lax.fori_loop(0, n_steps, body, (carry, losses))

    def __call__(self, X_blocks, y_blocks, weight_blocks, learning_rate, n_steps):
        """Take the first ``n_steps`` steps of the block; return their losses.

        Parameters
        ----------
        X_blocks, y_blocks, weight_blocks : array
            Each step's minibatch, targets and row weights, stacked along a
            first axis of ``BLOCK_STEPS``; rows after ``n_steps`` are unused.
            A first axis of one: every step takes that batch.
        learning_rate : float
            Adam's step size for every step of the block.
        n_steps : int
            Steps to take, at most ``BLOCK_STEPS``.

        Returns
        -------
        losses : ndarray of shape (n_steps,)
            Each step's negative ELBO estimate.
        """
        carry = tuple(self._cells[index][0] for index in self._updated)
        fixed = tuple(self._cells[index][0] for index in self._fixed)
        rate = np.asarray(learning_rate, dtype=X_blocks.dtype)
        carried, losses = self._loop(
            carry, fixed, X_blocks, y_blocks, weight_blocks, rate, np.int32(n_steps)
        )
        for index, value in zip(self._updated, carried):
            self._cells[index][0] = value
        return np.asarray(losses)[:n_steps]


class BlockBuffers:
    """The stacked minibatches of one block, filled in place.

    Where a batch holds every row, every step takes the same batch: it is
    gathered once and kept on JAX's device, and ``fill`` has nothing to do.

    Parameters
    ----------
    data : TrainingData
        In memory; a step's rows are its batch padded (``padded_rows``).
    dtype : str
        The step's float type.
    """

    def __init__(self, data, dtype):
        self.data = data
        self.scale = scale = row_scale(data)
        rows = padded_rows(data.batch_size)
        self.whole_data = data.batch_size >= data.X.shape[0]
        n_batches = 1 if self.whole_data else BLOCK_STEPS
        self.X = np.zeros((n_batches, rows, *data.X.shape[1:]), data.X.dtype)
        self.y = np.zeros((n_batches, rows, *data.y.shape[1:]), data.y.dtype)
        self.weights = np.zeros((n_batches, rows), dtype)
        self.weights[:, : data.batch_size] = scale
        if self.whole_data:
            import jax

            self._put([np.arange(data.X.shape[0])])
            self.X, self.y, self.weights = jax.device_put(
                (self.X, self.y, self.weights)
            )

    def fill(self, batches):
        """Put the rows of each minibatch (a list of index arrays) in place."""
        if not self.whole_data:
            self._put(batches)

    def _put(self, batches):
        data = self.data
        for k, indices in enumerate(batches):
            put_minibatch(
                self.X[k],
                self.y[k],
                self.weights[k],
                data,
                self.scale,
                indices,
                data.X,
                indices,
            )


def divergence_error(epoch, step, loss, learning_rate):
    """Return the error of a fit whose loss or parameters stopped being finite."""
    return ValueError(
        f"ADVI diverged: the negative ELBO became {loss} at epoch {epoch} "
        f"(step {step}, step size {learning_rate}). Lower learning_rate_init, "
        "standardise the inputs (e.g. StandardScaler in a Pipeline), or choose "
        "a smaller prior_scale."
    )


def _record_steps(run, losses, epochs=None):
    """Count the steps taken and call the step callbacks; return the finite ones.

    ``epochs`` gives each step's epoch (a block's steps span several). At a
    loss that is not finite, the callbacks may put the run back on a finite
    path (a rewind, which discards the block's later steps: only the losses
    before it are returned); if none does, the fit fails.
    """
    for k, loss in enumerate(losses):
        run.n_steps += 1
        if epochs is not None:
            run.epoch = epochs[k]
        for callback in run.callbacks:
            callback.on_step_end(run)
        if not np.isfinite(loss):
            reason = f"the negative ELBO became {loss} at step {run.n_steps}"
            if not any(c.on_nonfinite_loss(run, reason) for c in run.callbacks):
                raise divergence_error(run.epoch, run.n_steps, loss, run.learning_rate)
            return losses[:k]
    return losses


class _StepByStep:
    """Each epoch's mean loss, taking one compiled call a step."""

    def __init__(self, step, data, run, rng):
        self._step, self._data, self._run, self._rng = step, data, run, rng
        self._buffers = minibatch_buffers(step, data)

    def __next__(self):
        X_batch, y_batch, row_weights, scale = self._buffers
        data, run, n = self._data, self._run, self._data.batch_size
        losses = []
        while not losses:  # every step diverged, each rewound: take it again
            for indices, source, positions in iter_row_minibatches(
                data.X, n, self._rng
            ):
                put_minibatch(
                    X_batch,
                    y_batch,
                    row_weights,
                    data,
                    scale,
                    indices,
                    source,
                    positions,
                )
                loss = self._step(X_batch, y_batch, row_weights, run.learning_rate)
                losses.extend(_record_steps(run, [loss]))
        return float(np.mean(losses))

    def rest_of_block(self):
        """Return the losses of the epochs taken but not yet returned: none."""
        return []


class _InBlocks:
    """Each epoch's mean loss, taking up to ``BLOCK_STEPS`` steps a call.

    Blocks start at one epoch and double while the run goes without a
    rewind: where a run is in trouble its callbacks act every epoch. A
    rewind drops the epochs of the block not yet returned: they followed
    the path the rewind left.
    """

    def __init__(self, step, data, run, rng):
        self._run, self._rng, self._block = run, rng, step.block()
        self._data = data
        self._buffers = BlockBuffers(data, step.dtype)
        self._most_epochs = max(1, BLOCK_STEPS // data.steps_per_epoch)
        if any(callback.reads_each_epoch for callback in run.callbacks):
            self._most_epochs = 1
        self._epochs_per_block = 1
        self._rewinds = run.n_rewinds
        self._pending = collections.deque()

    def _check_rewinds(self):
        if self._run.n_rewinds != self._rewinds:
            self._pending.clear()
            self._epochs_per_block, self._rewinds = 1, self._run.n_rewinds

    def __next__(self):
        self._check_rewinds()
        while not self._pending:
            self._take_block()
            self._check_rewinds()
        return self._pending.popleft()

    def rest_of_block(self):
        """Return the losses of the epochs taken but not yet returned."""
        self._check_rewinds()
        rest = list(self._pending)
        self._pending.clear()
        return rest

    def _take_block(self):
        run, data = self._run, self._data
        steps_per_epoch = data.steps_per_epoch
        # run.epoch is the epoch about to be taken: a block never takes
        # epochs past the run's budget.
        first_epoch = run.epoch
        n_epochs = min(self._epochs_per_block, run.max_epochs - first_epoch + 1)
        self._epochs_per_block = min(2 * self._epochs_per_block, self._most_epochs)
        batches = [
            indices
            for _ in range(max(1, n_epochs))
            for indices in iter_minibatches(data.X.shape[0], data.batch_size, self._rng)
        ]
        losses = []
        for start in range(0, len(batches), BLOCK_STEPS):
            chunk = batches[start : start + BLOCK_STEPS]
            self._buffers.fill(chunk)
            buffers = self._buffers
            taken = self._block(
                buffers.X, buffers.y, buffers.weights, run.learning_rate, len(chunk)
            )
            owners = range(start, start + len(chunk))
            epochs = [first_epoch + k // steps_per_epoch for k in owners]
            finite = _record_steps(run, taken, epochs)
            losses.append(finite)
            if len(finite) < len(taken):
                break  # rewound: the block's later steps are gone
        run.epoch = first_epoch
        self._rewinds = run.n_rewinds
        # Whole epochs, then what a rewind left of the last one (if anything).
        losses = np.concatenate(losses).astype(np.float64)
        whole = len(losses) // steps_per_epoch * steps_per_epoch
        means = losses[:whole].reshape(-1, steps_per_epoch).mean(axis=1)
        self._pending.extend(means.tolist())
        if whole < len(losses):
            self._pending.append(float(losses[whole:].mean()))


def iter_epoch_losses(step, data, run, rng):
    """Return the mean loss of each epoch of ``run``, one per ``next()``, endlessly.

    The caller counts the epochs, calls the epoch callbacks between them
    and stops. Data in memory on a step that JAX runs takes its epochs in
    blocks; other data one step a call.

    Parameters
    ----------
    step : skbnn._inference.step.AdviStep
        The compiled step.
    data : TrainingData
        What to train on.
    run : skbnn._inference.trainer.Run
        Its ``learning_rate`` is read at each call (or block); its step
        callbacks are called after each step.
    rng : numpy.random.Generator
        Source of the minibatches.

    Returns
    -------
    epochs : iterator of float
        ``next()`` gives an epoch's mean negative ELBO estimate (per step,
        not yet per sample); ``rest_of_block()`` the epochs a block took
        past the last one returned, for a run that stops there.
    """
    work = step.n_free * padded_rows(data.batch_size)
    if (
        isinstance(data.X, np.ndarray)
        and work <= MAX_BLOCK_WORK
        and step.block() is not None
    ):
        return _InBlocks(step, data, run, rng)
    return _StepByStep(step, data, run, rng)
