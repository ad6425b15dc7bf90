import contextlib

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

import skbnn._fit_plans as fit_plans
from skbnn import BayesianMLPClassifier
from skbnn._inference import epochs
from skbnn._inference.callbacks import Callback
from skbnn._inference.device import device_context
from skbnn._inference.initialisation import draw_fit_seeds
from skbnn._inference.minibatches import TrainingData, padded_rows
from skbnn._inference.trainer import Run, Trainer, run_advi


def _run(max_epochs, learning_rate=0.01, steps_per_epoch=5):
    return Run(
        max_epochs=max_epochs,
        steps_per_epoch=steps_per_epoch,
        learning_rate=learning_rate,
    )


class _RecordingStep:
    """Stands in for AdviStep and records what run_advi feeds it.

    With ``blocks``, the trainer feeds it blocks of steps, as it feeds a
    step that JAX runs; else one step a call.
    """

    dtype = np.float32
    n_free = 10

    def __init__(self, blocks=False):
        self.batches = []
        self.blocks = blocks
        self.block_calls = 0

    def __call__(self, X_batch, y_batch, row_weights, learning_rate):
        self.batches.append((X_batch.copy(), y_batch.copy(), row_weights.copy()))
        return 1.0

    def block(self):
        return self._record_block if self.blocks else None

    def _record_block(self, X_blocks, y_blocks, weight_blocks, learning_rate, n):
        self.block_calls += 1
        for k in range(n):
            self(X_blocks[k], y_blocks[k], weight_blocks[k], learning_rate)
        return np.ones(n)

    def snapshot(self):
        return {}

    def read(self):
        return {}

    def is_finite(self):
        return True


@pytest.mark.parametrize("blocks", [False, True], ids=["steps", "blocks"])
def test_minibatches_keep_pairs_cover_every_row_and_pad_with_zero_weight(blocks):
    n = 70
    X = np.arange(n, dtype=np.float32)[:, None]
    y = np.arange(n, dtype=np.int32)
    step = _RecordingStep(blocks)
    run_advi(step, TrainingData(X, y, batch_size=30), _run(2), random_seed=0)
    assert len(step.batches) == 2 * 3
    for X_batch, y_batch, weights in step.batches:
        # 30 rows of data, padded to 32 rows that carry no weight.
        assert_array_equal(X_batch[:, 0], y_batch)
        assert_array_equal(weights, np.r_[np.full(30, n / 30), 0, 0].astype("f4"))
    first_epoch = np.concatenate([y[:30] for _, y, _ in step.batches[:3]])
    assert set(first_epoch) == set(range(n))
    # A full batch of 70 rows is padded to 128 rows that carry no weight.
    step = _RecordingStep(blocks)
    run_advi(step, TrainingData(X, y, batch_size=n), _run(1), random_seed=0)
    ((X_batch, y_batch, weights),) = step.batches
    assert X_batch.shape == (padded_rows(n), 1) == (128, 1)
    assert_array_equal(np.sort(y_batch[:n]), np.arange(n))
    assert_array_equal(weights, np.r_[np.ones(n), np.zeros(128 - n)])


@pytest.mark.parametrize("blocks", [False, True], ids=["steps", "blocks"])
def test_sample_weights_scale_the_rows_of_each_minibatch(blocks):
    n = 40
    X = np.arange(n, dtype=np.float32)[:, None]
    y = np.arange(n, dtype=np.int32)
    weight = np.linspace(0.5, 2.0, n)
    step = _RecordingStep(blocks)
    data = TrainingData(X, y, batch_size=10, sample_weight=weight)
    run = run_advi(step, data, _run(1), random_seed=0)
    for _, y_batch, row_weights in step.batches:
        expected = (n / 10 * weight[y_batch[:10]]).astype("f4")
        assert_array_equal(row_weights[:10], expected)
    # The epoch's mean step loss (1.0 here) per sample divides by the
    # weights' sum, not by the number of rows.
    assert run.loss_curve == [pytest.approx(1 / weight.sum())]


class _StopAfter(Callback):
    def __init__(self, n_epochs):
        self.n_epochs = n_epochs
        self.losses = []

    def on_epoch_end(self, run):
        self.losses.append(run.loss_curve[-1])
        if len(self.losses) == self.n_epochs:
            run.stop("enough")


@pytest.mark.parametrize("block_steps", [5, 128])
def test_a_run_stops_when_a_callback_says_so(
    moons, tanh_step, block_steps, monkeypatch
):
    # 500 rows in batches of 100: 5 steps an epoch, and blocks of one epoch
    # or of up to 25: a run stopped within a block has taken (and counts)
    # the rest.
    monkeypatch.setattr(epochs, "BLOCK_STEPS", block_steps)
    X, _, y, _ = moons
    step = tanh_step((2, 3, 1))
    stop = _StopAfter(4 if block_steps == 128 else 3)
    data = TrainingData(X.astype(np.float32), y.astype(np.int32), batch_size=100)
    with device_context("cpu"):
        step.reset({}, 0.01, seed=0)
        run = run_advi(step, data, _run(50), [stop], random_seed=0)
    # Blocks of 1, 2, 4, ... epochs: the third ends at epoch 7.
    n_epochs = 3 if block_steps == 5 else 7
    assert run.loss_curve[: len(stop.losses)] == stop.losses
    assert len(run.loss_curve) == run.epoch == n_epochs
    assert run.n_steps == 5 * n_epochs
    assert run.stop_reason == "enough"
    assert set(run.posterior) == {"coef_0", "intercept_0", "coef_1", "intercept_1"}


class _Hooks(Callback):
    """Records every hook, and sets the step size of the second epoch to 0."""

    def __init__(self):
        self.calls, self.rates, self.posteriors = [], [], []

    def on_run_begin(self, run):
        self.calls.append("begin")

    def on_step_end(self, run):
        self.calls.append(run.epoch)
        self.rates.append(run.learning_rate)

    def on_epoch_end(self, run):
        self.posteriors.append(dict(run.read_posterior()))
        run.learning_rate = 0.0

    def on_run_end(self, run):
        self.calls.append("end")


def test_the_step_size_a_callback_sets_is_the_next_blocks(moons, tanh_step):
    X, _, y, _ = moons
    step = tanh_step((2, 3, 1))
    hooks = _Hooks()
    data = TrainingData(X.astype(np.float32), y.astype(np.int32), batch_size=100)

    class Slower(_Hooks):
        def on_epoch_end(self, run):
            run.learning_rate = 0.01 / (run.epoch + 1)

    slower = Slower()
    with device_context("cpu"):
        step.reset({}, 0.01, seed=0)
        run_advi(step, data, _run(3), [slower], random_seed=0)
    # Epoch 1 is a block, epochs 2 and 3 the next (5 steps each): the step
    # size set after epoch 2 waits for the block after.
    assert slower.calls == ["begin"] + [1] * 5 + [2] * 5 + [3] * 5 + ["end"]
    assert slower.rates == [0.01] * 5 + [0.005] * 10
    with device_context("cpu"):
        step.reset({}, 0.01, seed=0)
        initial = step.read()
        run_advi(step, data, _run(2), [hooks], random_seed=0)
    assert hooks.calls == ["begin"] + [1] * 5 + [2] * 5 + ["end"]
    assert hooks.rates == [0.01] * 5 + [0.0] * 5
    # A step size of 0 leaves the variational parameters where they were.
    after_first, after_second = hooks.posteriors
    assert not np.array_equal(after_first["coef_0"][0], initial["coef_0"][0])
    for name, (mean, std) in after_second.items():
        np.testing.assert_array_equal(mean, after_first[name][0])
        np.testing.assert_array_equal(std, after_first[name][1])


def test_ctrl_c_ends_the_run_and_still_calls_its_end(moons, tanh_step, monkeypatch):
    monkeypatch.setattr(epochs, "BLOCK_STEPS", 5)  # blocks of one epoch

    class Interrupt(_Hooks):
        def on_step_end(self, run):
            super().on_step_end(run)
            if run.n_steps == 7:
                raise KeyboardInterrupt

    X, _, y, _ = moons
    step = tanh_step((2, 3, 1))
    hooks = Interrupt()
    data = TrainingData(X.astype(np.float32), y.astype(np.int32), batch_size=100)
    with device_context("cpu"):
        step.reset({}, 0.01, seed=0)
        run = run_advi(step, data, _run(5), [hooks], random_seed=0)
    assert run.interrupted
    assert len(run.loss_curve) == 1
    assert hooks.calls[-1] == "end"
    assert run.posterior


def test_the_trainer_keeps_each_members_best_restart():
    class RankedStep(_RecordingStep):
        def reset(self, start, default_std, seed, prior_scale):
            self.start = start

    ranks = iter([3.0, 1.0, 2.0, 5.0, 4.0, 6.0, 0.0])
    made = []

    def new_run():
        run = _run(1)
        run.rank = next(ranks)
        made.append(run)
        return run, []

    X = np.zeros((4, 1), np.float32)
    trainer = Trainer(
        RankedStep(),
        TrainingData(X, np.zeros(4, np.int32), batch_size=4),
        new_run=new_run,
        initial_posterior=lambda seed: {"seed": seed},
        initial_std=0.01,
        prior_scale=1.0,
    )
    runs = trainer.fit([[(0, 0), (1, 1), (2, 2)], [(3, 3), (4, 4), (5, 5)]])
    assert runs == [made[1], made[4]]
    # A warm start continues a member in one run from where it was.
    warm = trainer.fit([[(0, 0), (1, 1)]], starts=[{"fitted": True}])
    assert len(warm) == 1 and len(made) == 7
    assert trainer.step.start == {"fitted": True}


def test_the_first_members_first_run_has_the_same_seeds_however_many():
    single = draw_fit_seeds(np.random.RandomState(0), 1, 1)
    several = draw_fit_seeds(np.random.RandomState(0), 3, 2)
    assert single.members[0][0] == several.members[0][0]
    assert (single.split, single.prediction) == (several.split, several.prediction)
    assert [len(seeds) for seeds in several.members] == [2, 2, 2]
    pairs = [tuple(pair) for seeds in several.members for pair in seeds]
    assert len(set(pairs)) == 6


def test_a_verbose_fit_on_a_terminal_draws_a_bar_advanced_every_step(
    moons, monkeypatch
):
    steps = []

    class RecordingBar(Callback):
        def on_step_end(self, run):
            steps.append(run.epoch)

    monkeypatch.setattr(fit_plans, "wants_progress_bar", lambda verbose: verbose)
    monkeypatch.setattr(fit_plans, "ProgressBar", RecordingBar)
    X, _, y, _ = moons
    clf = BayesianMLPClassifier(
        hidden_layer_sizes=(4,), batch_size=100, max_iter=3, verbose=True
    )
    with pytest.warns(ConvergenceWarning), contextlib.redirect_stdout(None):
        clf.fit(X, y)
    assert steps == [1] * 5 + [2] * 5 + [3] * 5


@pytest.mark.parametrize("blocks", [False, True], ids=["steps", "blocks"])
def test_total_size_scales_each_minibatch_to_the_data_set_it_stands_for(blocks):
    n = 40
    X = np.arange(n, dtype=np.float32)[:, None]
    y = np.arange(n, dtype=np.int32)
    step = _RecordingStep(blocks)
    data = TrainingData(X, y, batch_size=10, total_size=1000)
    run = run_advi(step, data, _run(1), random_seed=0)
    for _, _, row_weights in step.batches:
        assert_array_equal(row_weights[:10], np.full(10, 100.0, dtype="f4"))
    # The loss per sample divides by the rows the ELBO stands for.
    assert run.loss_curve == [pytest.approx(1 / 1000)]


@pytest.mark.parametrize("whole_data", [False, True])
def test_blocks_take_the_steps_one_call_a_step_would(
    moons, tanh_step, monkeypatch, whole_data
):
    # The same minibatches, draws and updates, whatever the calls: only the
    # arithmetic's order inside XLA may differ. A batch of every row is
    # gathered once and kept on the device for the whole block.
    X, _, y, _ = moons
    step = tanh_step((2, 3, 1))
    batch_size = len(X) if whole_data else 100
    data = TrainingData(X.astype(np.float32), y.astype(np.int32), batch_size)
    runs = []
    for blocks in (True, False):
        if not blocks:
            monkeypatch.setattr(step, "block", lambda: None)
        with device_context("cpu"):
            step.reset({}, 0.01, seed=0)
            runs.append(run_advi(step, data, _run(40), random_seed=0))
    in_blocks, one_by_one = runs
    assert in_blocks.n_steps == one_by_one.n_steps == 40 * data.steps_per_epoch
    np.testing.assert_allclose(in_blocks.loss_curve, one_by_one.loss_curve, rtol=1e-4)
    for name, (mean, std) in in_blocks.posterior.items():
        np.testing.assert_allclose(mean, one_by_one.posterior[name][0], atol=1e-4)
        np.testing.assert_allclose(std, one_by_one.posterior[name][1], atol=1e-4)


def test_a_step_with_much_arithmetic_takes_one_call_a_step():
    X = np.zeros((40, 1), np.float32)
    for n_free, block_calls in [(10, 2), (epochs.MAX_BLOCK_WORK // 64 + 1, 0)]:
        step = _RecordingStep(blocks=True)
        step.n_free = n_free  # times 64 padded rows
        data = TrainingData(X, np.zeros(40, np.int32), batch_size=40)
        run_advi(step, data, _run(3), random_seed=0)
        assert len(step.batches) == 3  # blocks of 1, then 2 epochs
        assert step.block_calls == block_calls
