import contextlib
import io
import re

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import skbnn._base as base
from skbnn import BayesianMLPClassifier, BayesianMLPRegressor
from skbnn._device import device_context
from skbnn._inference import (
    AdviStep,
    StepCache,
    fit_advi,
    padded_rows,
)
from skbnn._likelihoods import BernoulliLikelihood
from skbnn._minibatches import iter_minibatches
from skbnn._model import build_model
from skbnn._networks import MLPNetwork
from skbnn._progress import progress_bar, wants_progress_bar
from skbnn._stopping import StoppingRule


def _moons_step(X, units=(2, 5, 1)):
    batch_model = build_model(
        MLPNetwork(units, "tanh"),
        prior="normal",
        prior_scale=1.0,
        likelihood=BernoulliLikelihood(),
        dtype="float32",
    )
    with device_context("cpu"):
        return AdviStep(batch_model, mode="JAX")


def test_objective_estimates_the_full_data_elbo_on_minibatches(moons):
    X, _, y, _ = moons
    X, y = X.astype(np.float32), y.astype(np.int32)
    step = _moons_step(X)
    rng = np.random.default_rng(0)
    posterior = {
        name: (rng.normal(size=mean.shape), 0.05)
        for name, (mean, _) in step.read().items()
    }
    estimates = {}
    with device_context("cpu"):
        for batch_size in [500, 50]:
            step.reset(posterior, 0.05, seed=1)
            weights = np.full(batch_size, len(y) / batch_size, dtype=np.float32)
            draws = []
            for _ in range(40):
                for rows in iter_minibatches(len(y), batch_size, rng):
                    # A learning rate of zero leaves q where it is.
                    draws.append(step(X[rows], y[rows], weights, 0.0))
            draws = np.array(draws)
            estimates[batch_size] = draws.mean(), draws.std() / np.sqrt(draws.size)
    (full, full_se), (mini, mini_se) = estimates[500], estimates[50]
    assert abs(full - mini) < 4 * np.hypot(full_se, mini_se)
    # Without the n / batch_size weights the minibatch estimate would sit far off.
    assert abs(full - mini) < 0.05 * abs(full)


def test_reset_and_read_place_every_variable_in_its_vector():
    # (200, 100, 1): coef_0 has a vector of its own, the rest share one.
    batch_model = build_model(
        MLPNetwork((200, 100, 1), "tanh"),
        prior="hierarchical",
        prior_scale=1.0,
        likelihood=BernoulliLikelihood(),
        dtype="float32",
    )
    with device_context("cpu"):
        step = AdviStep(batch_model, mode="JAX")
    assert len({index for _, index, _, _ in step._layout}) == 2
    rng = np.random.default_rng(0)
    posterior = {
        name: (rng.normal(size=mean.shape), rng.uniform(0.1, 1.0, size=mean.shape))
        for name, (mean, _) in step.read().items()
    }
    step.reset(posterior, 0.05, seed=0)
    read = step.read()
    assert list(read) == [value.name for value in batch_model.model.value_vars]
    for name, (mean, std) in posterior.items():
        np.testing.assert_allclose(read[name][0], mean, rtol=1e-6)
        np.testing.assert_allclose(read[name][1], std, rtol=1e-5)


class _RecordingStep:
    """Stands in for AdviStep and records what fit_advi feeds it."""

    dtype = np.float32

    def __init__(self):
        self.batches = []

    def __call__(self, X_batch, y_batch, row_weights, learning_rate):
        self.batches.append((X_batch.copy(), y_batch.copy(), row_weights.copy()))
        return 1.0

    def read(self):
        return {}

    def is_finite(self):
        return True


def test_minibatches_keep_pairs_cover_every_row_and_pad_with_zero_weight():
    n = 70
    X = np.arange(n, dtype=np.float32)[:, None]
    y = np.arange(n, dtype=np.int32)
    step = _RecordingStep()
    fit_advi(step, X, y, batch_size=30, learning_rate=0.1, max_epochs=2, random_seed=0)
    assert len(step.batches) == 2 * 3
    for X_batch, y_batch, weights in step.batches:
        # 30 rows of data, padded to 32 rows that carry no weight.
        assert_array_equal(X_batch[:, 0], y_batch)
        assert_array_equal(weights, np.r_[np.full(30, n / 30), 0, 0].astype("f4"))
    first_epoch = np.concatenate([y[:30] for _, y, _ in step.batches[:3]])
    assert set(first_epoch) == set(range(n))
    # A full batch of 70 rows is padded to 128 rows that carry no weight.
    step = _RecordingStep()
    fit_advi(step, X, y, batch_size=n, learning_rate=0.1, max_epochs=1, random_seed=0)
    ((X_batch, y_batch, weights),) = step.batches
    assert X_batch.shape == (padded_rows(n), 1) == (128, 1)
    assert_array_equal(np.sort(y_batch[:n]), np.arange(n))
    assert_array_equal(weights, np.r_[np.ones(n), np.zeros(128 - n)])


def test_a_refit_on_other_data_compiles_nothing_and_repeats_exactly(moons, monkeypatch):
    X, X_test, y, _ = moons
    cache = StepCache()
    monkeypatch.setattr(base, "STEP_CACHE", cache)
    builds = []
    original = base.AdviStep

    def counting_step(*args, **kwargs):
        builds.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(base, "AdviStep", counting_step)
    params = dict(hidden_layer_sizes=(6,), max_iter=50, random_state=0)
    with pytest.warns(ConvergenceWarning):
        first = BayesianMLPClassifier(**params).fit(X, y).predict_proba(X_test)
        BayesianMLPClassifier(**params).fit(X[:150] * 2, 1 - y[:150])
        again = BayesianMLPClassifier(**params).fit(X, y).predict_proba(X_test)
    assert len(builds) == 1
    assert_array_equal(first, again)


def test_divergence_raises_a_clear_error():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] > 0).astype(int)
    # A step so large that the second step's loss is no longer finite.
    clf = BayesianMLPClassifier(learning_rate_init=1e30, random_state=0)
    with pytest.raises(ValueError, match="ADVI diverged.*Lower learning_rate_init"):
        clf.fit(X, y)
    # No half-fitted model: predicting says it is not fitted.
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_same_random_state_same_fit_and_predictions(moons):
    X, X_test, y, _ = moons
    fits = [
        BayesianMLPClassifier(hidden_layer_sizes=(8,), random_state=42).fit(X, y)
        for _ in range(2)
    ]
    assert fits[0].loss_curve_ == fits[1].loss_curve_
    assert_array_equal(fits[0].predict_proba(X_test), fits[1].predict_proba(X_test))
    other = BayesianMLPClassifier(hidden_layer_sizes=(8,), random_state=7).fit(X, y)
    assert not np.array_equal(
        other.predict_proba(X_test), fits[0].predict_proba(X_test)
    )


def test_warm_start_continues_from_the_previous_posterior(sine):
    X, y, _ = sine
    params = dict(hidden_layer_sizes=(8,), max_iter=300, random_state=0)
    with pytest.warns(Warning):  # 300 one-step epochs: ConvergenceWarning
        cold = BayesianMLPRegressor(**params).fit(X, y)
        warm = BayesianMLPRegressor(warm_start=True, **params).fit(X, y)
        warm.fit(X, y)
    assert len(warm.loss_curve_) == 600
    assert warm.n_iter_ == 300
    # The second fit starts where the first ended, far below a fresh start.
    assert warm.loss_curve_[300] < 0.5 * cold.loss_curve_[0]
    assert warm.loss_curve_[300] < cold.loss_curve_[-1] + 0.1 * abs(
        cold.loss_curve_[0] - cold.loss_curve_[-1]
    )


def test_warm_start_refuses_a_new_architecture_or_new_classes(moons):
    X, _, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), warm_start=True)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used with the arch"):
        clf.set_params(hidden_layer_sizes=(5,)).fit(X, y)
    clf.set_params(hidden_layer_sizes=(4,))
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X, np.where(y == 1, 2, y))


def test_early_stopping_keeps_the_best_validation_posterior(moons):
    X, X_test, y, y_test = moons
    clf = BayesianMLPClassifier(
        hidden_layer_sizes=(8,), early_stopping=True, random_state=0
    ).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ < clf.max_iter
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # The score is the mean log probability of the held-out labels; a log
    # loss of 0.3 is well beyond chance (0.69) on the moons.
    assert -0.3 < clf.best_validation_score_ < 0
    assert clf.best_loss_ is None
    assert clf.score(X_test, y_test) > 0.9


def test_stopping_rule_follows_scikit_learn():
    rule = StoppingRule(tol=0.1, n_iter_no_change=2)
    # Improvements reset the count; a stop needs more than 2 epochs without.
    decisions = [rule(loss, dict) for loss in [5.0, 4.0, 3.95, 3.92, 3.99]]
    assert decisions == [False, False, False, False, True]
    assert rule.best_loss == 3.92


def test_adaptive_stopping_rule_divides_the_step_size_until_it_is_tiny(capsys):
    # MLPClassifier's "adaptive" schedule: where the constant rule would stop,
    # divide by 5 and reset the count; stop once the step is at most 1e-6.
    rule = StoppingRule(
        tol=0.1,
        n_iter_no_change=1,
        learning_rate_init=1e-4,
        adaptive=True,
        verbose=True,
    )
    rates, stops = [], []
    for loss in [3.0] * 9:
        rates.append(rule.next_learning_rate())
        stops.append(rule(loss, dict))
    # 1e-4 -> 2e-5 -> 4e-6 -> 8e-7, which is small enough to stop at.
    assert rates == pytest.approx([1e-4] * 3 + [2e-5] * 2 + [4e-6] * 2 + [8e-7] * 2)
    assert stops == [False] * 8 + [True]
    printed = capsys.readouterr().out
    assert printed.count("Setting learning rate to") == 3
    assert printed.rstrip().endswith("Learning rate too small. Stopping.")


def test_constant_stopping_rule_keeps_the_step_size():
    rule = StoppingRule(tol=0.1, n_iter_no_change=1, learning_rate_init=0.01)
    assert [rule(3.0, dict) for _ in range(3)] == [False, False, True]
    assert rule.next_learning_rate() == 0.01


def test_stopping_rule_remembers_the_best_validation_posterior():
    scores = iter([0.5, 0.8, 0.7, 0.79, 0.6])
    rule = StoppingRule(
        tol=0.0, n_iter_no_change=2, validation_score=lambda p: next(scores)
    )
    stops = [rule(0.0, lambda epoch=epoch: {"epoch": epoch}) for epoch in range(5)]
    assert stops == [False, False, False, False, True]
    assert rule.best_posterior == {"epoch": 1}
    assert rule.validation_scores == [0.5, 0.8, 0.7, 0.79, 0.6]


def test_fit_advi_stops_when_the_callback_says_so(moons):
    X, _, y, _ = moons
    X, y = X.astype(np.float32), y.astype(np.int32)
    step = _moons_step(X, units=(2, 3, 1))
    seen = []
    with device_context("cpu"):
        step.reset({}, 0.01, seed=0)
        result = fit_advi(
            step,
            X,
            y,
            batch_size=100,
            learning_rate=0.01,
            max_epochs=50,
            random_seed=0,
            on_epoch_end=lambda loss, read: seen.append(loss) or len(seen) == 3,
        )
    assert result.loss_curve == seen
    assert result.n_steps == 15
    assert set(result.posterior) == {"coef_0", "intercept_0", "coef_1", "intercept_1"}


def test_fit_advi_reads_the_step_size_before_each_epoch(moons):
    X, _, y, _ = moons
    X, y = X.astype(np.float32), y.astype(np.int32)
    step = _moons_step(X, units=(2, 3, 1))
    rates = iter([0.01, 0.0])
    asked, posteriors = [], []

    def learning_rate():
        asked.append(next(rates))
        return asked[-1]

    with device_context("cpu"):
        step.reset({}, 0.01, seed=0)
        initial = step.read()
        fit_advi(
            step,
            X,
            y,
            batch_size=100,
            learning_rate=learning_rate,
            max_epochs=2,
            random_seed=0,
            on_epoch_end=lambda loss, read: posteriors.append(dict(read())),
        )
    assert asked == [0.01, 0.0]
    # A step size of 0 leaves the variational parameters where they were.
    after_first, after_second = posteriors
    assert not np.array_equal(after_first["coef_0"][0], initial["coef_0"][0])
    for name, (mean, std) in after_second.items():
        np.testing.assert_array_equal(mean, after_first[name][0])
        np.testing.assert_array_equal(std, after_first[name][1])


def test_verbose_reports_each_epoch_and_the_stop(capsys):
    rule = StoppingRule(tol=0.1, n_iter_no_change=1, verbose=True)
    for loss in [3.0, 2.0, 2.0, 2.0]:
        stop = rule(loss, dict)
    printed = capsys.readouterr().out.splitlines()
    assert stop
    assert printed[:4] == [
        "Iteration 1, loss = 3.00000000",
        "Iteration 2, loss = 2.00000000",
        "Iteration 3, loss = 2.00000000",
        "Iteration 4, loss = 2.00000000",
    ]
    assert printed[4].startswith("Training loss did not improve more than tol=0.1")


def test_verbose_says_how_long_the_fit_has_run_and_may_still_run(capsys):
    rule = StoppingRule(tol=0.1, n_iter_no_change=5, verbose=True, max_epochs=10)
    for loss in [3.0, 2.0]:
        rule(loss, dict)
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(
        r"Iteration 2, loss = 2\.00000000, [\d.]+ s elapsed, at most [\d.]+ s to go",
        lines[1],
    )


def test_progress_bar_only_for_verbose_fits_on_a_terminal(moons, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert wants_progress_bar(True, Terminal())
    assert not wants_progress_bar(False, Terminal())
    assert not wants_progress_bar(True, io.StringIO())
    # A verbose fit on a terminal advances the bar once per step.
    steps = []

    @contextlib.contextmanager
    def recording_bar(max_epochs, steps_per_epoch):
        yield steps.append

    monkeypatch.setattr(base, "wants_progress_bar", lambda verbose: verbose)
    monkeypatch.setattr(base, "progress_bar", recording_bar)
    X, _, y, _ = moons
    clf = BayesianMLPClassifier(
        hidden_layer_sizes=(4,), batch_size=100, max_iter=3, verbose=True
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert steps == [1] * 5 + [2] * 5 + [3] * 5


def test_progress_bar_draws_with_rich():
    with progress_bar(2, 3) as advance:
        for epoch in [1, 1, 1, 2, 2, 2]:
            advance(epoch)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("prior", ["normal", "hierarchical"])
def test_prior_scale_is_an_input_of_the_cached_step(moons, prior, monkeypatch):
    X, X_test, y, _ = moons
    params = dict(hidden_layer_sizes=(4,), prior=prior, max_iter=20, random_state=0)
    cache = StepCache()
    monkeypatch.setattr(base, "STEP_CACHE", cache)
    BayesianMLPClassifier(**params, prior_scale=1.0).fit(X, y)
    after_another_scale = BayesianMLPClassifier(**params, prior_scale=0.1).fit(X, y)
    # One compiled step served both scales ...
    assert len(cache) == 1
    # ... and the second fit is the one a fresh process makes.
    monkeypatch.setattr(base, "STEP_CACHE", StepCache())
    fresh = BayesianMLPClassifier(**params, prior_scale=0.1).fit(X, y)
    assert_array_equal(
        after_another_scale.predict_proba(X_test), fresh.predict_proba(X_test)
    )
    wide = BayesianMLPClassifier(**params, prior_scale=1.0).fit(X, y)
    assert not np.array_equal(wide.predict_proba(X_test), fresh.predict_proba(X_test))
