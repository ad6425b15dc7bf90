"""partial_fit: one epoch per call, the optimiser's state kept between calls."""

import contextlib
import io
import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import log_loss

from skbnn import BayesianConvClassifier, BayesianMLPClassifier, BayesianMLPRegressor

# partial_fit over 5 chunks of the training rows, for this many passes,
# against fit on all of them, reaches fit's figures within these margins.
N_PASSES = 300
MARGIN = {"accuracy": 0.03, "log_loss": 0.05, "rmse": 0.05}


def _stream(estimator, X, y, n_passes=N_PASSES, n_chunks=5, **kwargs):
    chunks = np.array_split(np.arange(len(X)), n_chunks)
    for _ in range(n_passes):
        for rows in chunks:
            estimator.partial_fit(X[rows], y[rows], **kwargs)
    return estimator


def test_chunks_reach_what_fit_reaches_on_the_whole(moons):
    X, X_test, y, y_test = moons
    whole = BayesianMLPClassifier(random_state=0).fit(X, y)
    # Passes over one data set: each call's ELBO stands for all its rows.
    streamed = BayesianMLPClassifier(total_size=len(X), random_state=0)
    _stream(streamed, X, y, classes=[0, 1])
    assert streamed.n_iter_ == 5 * N_PASSES
    assert len(streamed.loss_curve_) == streamed.n_iter_
    assert streamed.score(X_test, y_test) > whole.score(X_test, y_test) - 0.03
    assert log_loss(y_test, streamed.predict_proba(X_test)) < (
        log_loss(y_test, whole.predict_proba(X_test)) + MARGIN["log_loss"]
    )


def test_regressor_chunks_reach_what_fit_reaches(sine):
    X, y, noise_std = sine
    X_test = np.linspace(-1.9, 1.9, 200)[:, None]
    truth = np.sin(2 * X_test[:, 0])
    whole = BayesianMLPRegressor(ensemble_size=1, random_state=0).fit(X, y)
    streamed = BayesianMLPRegressor(ensemble_size=1, total_size=len(X), random_state=0)
    _stream(streamed, X, y)

    def rmse(model):
        return np.sqrt(np.mean((model.predict(X_test) - truth) ** 2))

    assert rmse(streamed) < rmse(whole) + MARGIN["rmse"]
    assert streamed.noise_std_[0] == pytest.approx(noise_std, rel=0.5)


def test_the_first_call_needs_the_classes(moons):
    X, _, y, _ = moons
    clf = BayesianMLPClassifier()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    # One call fits a model that predicts, from a chunk with one class only.
    clf.partial_fit(X[y == 0][:50], y[y == 0][:50], classes=[0, 1])
    assert clf.predict_proba(X[:3]).shape == (3, 2)
    assert clf.n_iter_ == 1


def test_labels_and_features_must_agree_with_the_first_call(moons):
    X, _, y, _ = moons
    clf = BayesianMLPClassifier().partial_fit(X[:50], y[:50], classes=[0, 1])
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        clf.partial_fit(X[:50], np.where(y[:50] == 1, 2, 0))
    with pytest.raises(ValueError, match=r"`classes=\[0 1 2\]` is not the same"):
        clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    with pytest.raises(ValueError, match="X has 3 features, but"):
        clf.partial_fit(np.c_[X[:50], X[:50, 0]], y[:50])


def test_image_shapes_must_agree_with_the_first_call():
    rng = np.random.default_rng(0)
    images, y = rng.normal(size=(40, 6, 6)), rng.integers(2, size=40)
    clf = BayesianConvClassifier(conv_layers=((2, 3),), hidden_layer_sizes=(4,))
    clf.partial_fit(images, y, classes=[0, 1])
    assert clf.input_shape_ == (6, 6, 1)
    with pytest.raises(ValueError, match=r"fitted is \(6, 6, 1\)"):
        clf.partial_fit(rng.normal(size=(40, 4, 9)), y)


def test_calls_after_the_first_compile_nothing(moons, step_builds):
    X, _, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(7,), random_state=0)
    for start in range(0, 250, 50):
        clf.partial_fit(X[start : start + 50], y[start : start + 50], classes=[0, 1])
    assert len(step_builds) == 1


def test_a_pickled_stream_continues_exactly(moons):
    X, X_test, y, _ = moons
    params = dict(hidden_layer_sizes=(6,), ensemble_size=2, random_state=0)
    straight = BayesianMLPClassifier(**params).partial_fit(X[:100], y[:100], [0, 1])
    resumed = pickle.loads(pickle.dumps(straight))
    straight.partial_fit(X[100:200], y[100:200])
    resumed.partial_fit(X[100:200], y[100:200])
    assert resumed.posterior_.n_members == 2
    assert resumed.loss_curve_ == straight.loss_curve_
    assert_array_equal(resumed.predict_proba(X_test), straight.predict_proba(X_test))


def test_partial_fit_continues_a_fit(moons):
    X, X_test, y, y_test = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(6,), random_state=0).fit(X, y)
    fitted_loss, n_iter = clf.loss_curve_[-1], clf.n_iter_
    clf.partial_fit(X, y)
    assert clf.n_iter_ == n_iter + 1
    # It starts from the fitted posterior, not afresh.
    assert clf.loss_curve_[-1] < fitted_loss + 0.2 * abs(fitted_loss)
    assert clf.score(X_test, y_test) > 0.9
    with pytest.raises(ValueError, match="continues the 1 members"):
        clf.set_params(ensemble_size=2).partial_fit(X, y)


def test_each_call_weighs_the_rows_seen_so_far(sine):
    # The same 30 rows fed again and again count as ever more data: the
    # posterior of the network's weights narrows.
    X, y, _ = sine
    reg = BayesianMLPRegressor(hidden_layer_sizes=(8,), ensemble_size=1, random_state=0)
    stds = []
    for _ in range(4):
        for _ in range(200):
            reg.partial_fit(X[:30], y[:30])
        stds.append(np.mean(reg.coefs_std_[0]))
    assert reg._stream["n_seen"] == 800 * 30
    assert stds[-1] < 0.7 * stds[0]


def test_verbose_partial_fit_says_what_it_saw(moons):
    X, _, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), verbose=True, random_state=0)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        clf.partial_fit(X[:40], y[:40], classes=[0, 1])
        clf.partial_fit(X[40:100], y[40:100])
    lines = printed.getvalue().splitlines()
    assert lines[-1].startswith("partial_fit call 2, loss = ")
    assert lines[-1].endswith(", 100 rows seen")


def test_ctrl_c_during_partial_fit_keeps_the_stream(moons, interrupt_after):
    X, _, y, _ = moons
    clf = BayesianMLPClassifier(hidden_layer_sizes=(4,), batch_size=10)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1])
    interrupt_after(3)
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        clf.partial_fit(X[50:100], y[50:100])
    assert clf.predict_proba(X[:2]).shape == (2, 2)
    assert clf.posterior_.n_members == 1


def test_multilabel_partial_fit(moons):
    X, _, y, _ = moons
    Y = np.c_[y, 1 - y, (X[:, 0] > 0).astype(int)]
    clf = BayesianMLPClassifier(random_state=0)
    with pytest.raises(ValueError, match="must be the column indices"):
        clf.partial_fit(X[:50], Y[:50], classes=[1, 2, 3])
    _stream(clf, X, Y, n_passes=30, classes=[0, 1, 2])
    assert clf.predict(X[:5]).shape == (5, 3)
    assert clf.score(X, Y) > 0.8


def test_a_warm_fit_continues_what_partial_fit_learned(moons):
    X, X_test, y, y_test = moons
    # Passes over X: the same ELBO as the fit's, so their losses compare.
    clf = BayesianMLPClassifier(
        hidden_layer_sizes=(6,), total_size=len(X), random_state=0
    )
    _stream(clf, X, y, n_passes=40, classes=[0, 1])
    streamed_loss = clf.loss_curve_[-1]
    clf.set_params(warm_start=True, max_iter=20)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert len(clf.loss_curve_) == 5 * 40 + 20
    # The fit starts from the streamed posterior, not afresh.
    assert clf.loss_curve_[5 * 40] < streamed_loss + 0.2 * abs(streamed_loss)
    # 260 steps in all: short of converged, well beyond chance.
    assert clf.score(X_test, y_test) > 0.8
