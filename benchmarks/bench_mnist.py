"""Time to accuracy and step speed on the MNIST MLP, side by side in one run.

With ``--curve``, fits the 784-800-800-10 ReLU network (batches of 128,
``--epochs`` epochs) as ``BayesianMLPClassifier`` with each
``--estimators`` gradient estimator, as scikit-learn's ``MLPClassifier``
(``partial_fit`` an epoch at a time) and as a deep ensemble of three
``MLPClassifier`` s, and prints the test accuracy after each epoch against
the seconds of fitting so far (the evaluations not counted; an ensemble's
seconds are its three members' together), then the seconds each takes to
reach 98.0% and ``MLPClassifier``'s final accuracy, and the prediction
times; with ``--draws-study``, the first skbnn model's test NLL, ECE and
out-of-distribution AUROCs with 10 to 300 posterior draws. skbnn's accuracy
after each epoch is that of 30 draws of the posterior at the end of the
epoch (``--curve-draws``); ``--mlp-accuracy`` skips the MLPs and takes their
final accuracy from an earlier run.

Without ``--curve``, measures optimisation steps per second of the same
network with batches of 128 MNIST images:

- skbnn's compiled ADVI step (float32, PyTensor's JAX backend, Adam), as
  ``BayesianMLPClassifier`` runs it, with each gradient estimator;
- a hand-written JAX reference of the same step: the same model (Normal(0, 1)
  priors, categorical likelihood), one reparametrised draw, the same dtype and
  optimiser, jitted with its buffers donated;
- both again with the hierarchical prior (each tensor a learned scale times
  standard-normal weights);
- with ``--backends``, skbnn's step compiled by PyTensor's C and NUMBA
  backends and in float64 on JAX;
- scikit-learn's ``MLPClassifier`` on the same network and batches (one
  epoch), whose step has no sampling and half the parameters;
- with ``--pymc``, PyMC's own ADVI on the same network written as a PyMC
  user would (``pm.Minibatch``, ``total_size``, Adam at the same step size):
  the step function ``pm.fit(method="advi")`` runs each iteration, in
  float32 as skbnn's, compiled by PyMC's default backend, by NUMBA and by
  JAX (where PyTensor cannot compile it, the benchmark prints why).

It also times ``predict_uncertainty(kind="all", return_proba=True)`` on the
10,000 test images with 30 and 100 posterior draws.

Prints each figure, the ratios to the reference, and one JSON line. Asserts
nothing. Run: ``python benchmarks/bench_mnist.py [--data-dir DIR] [--steps N]
[--backends] [--pymc]`` or ``python benchmarks/bench_mnist.py --curve
[--epochs N] [--learning-rate R] [--estimators local weights]``
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skbnn import BayesianMLPClassifier
from skbnn._inference.callbacks import Callback
from skbnn._inference.device import device_context
from skbnn._inference.step import AdviStep
from skbnn._model.build import build_model
from skbnn._model.likelihoods import CategoricalLikelihood
from skbnn._model.networks import MLPNetwork
from skbnn._prediction.posterior import Posterior
from skbnn.datasets import load_mnist

DEFAULT_DATA_DIR = Path(__file__).parent.parent.parent / "shared" / "data" / "mnist"
UNITS = (784, 800, 800, 10)
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
# PyMC's own ADVI under PyTensor's default mode, NUMBA and JAX.
PYMC_MODES = [
    (None, "pymc_advi_default"),
    ("NUMBA", "pymc_advi_numba"),
    ("JAX", "pymc_advi_jax"),
]


def _batches(X, y, n_steps, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n_steps):
        rows = rng.integers(X.shape[0], size=BATCH_SIZE)
        yield X[rows], y[rows].astype(np.int32)


def _steps_per_second(run_step, X, y, n_steps, warmup=5):
    """Steps per second of ``run_step(X_batch, y_batch)`` after a warm-up."""
    batches = list(_batches(X, y, n_steps + warmup))
    for X_batch, y_batch in batches[:warmup]:
        run_step(X_batch, y_batch)
    start = time.perf_counter()
    for X_batch, y_batch in batches[warmup:]:
        run_step(X_batch, y_batch)
    return n_steps / (time.perf_counter() - start)


def skbnn_step(
    X, y, n_steps, mode="JAX", dtype="float32", prior="normal", estimator="local"
):
    """Compile skbnn's step; return (steps/s, compile seconds)."""
    import jax

    # skbnn runs JAX in 32 bits; float64 needs JAX's 64-bit mode back on.
    with device_context("cpu"), jax.enable_x64(dtype == "float64"):
        start = time.perf_counter()
        batch_model = build_model(
            MLPNetwork(UNITS, "relu"),
            prior=prior,
            prior_scale=1.0,
            likelihood=CategoricalLikelihood(n_outputs=10),
            dtype=dtype,
        )
        step = AdviStep(batch_model, mode=mode, gradient_estimator=estimator)
        step.reset({}, 1e-2, seed=0)
        weights = np.full(BATCH_SIZE, X.shape[0] / BATCH_SIZE, dtype=dtype)
        X = X.astype(dtype)
        step(X[:BATCH_SIZE], y[:BATCH_SIZE].astype(np.int32), weights, LEARNING_RATE)
        compile_seconds = time.perf_counter() - start
        rate = _steps_per_second(
            lambda X_batch, y_batch: step(X_batch, y_batch, weights, LEARNING_RATE),
            X,
            y,
            n_steps,
        )
    return rate, compile_seconds


def reference_step(X, y, n_steps, prior="normal"):
    """Steps/s of a hand-written JAX ADVI step of the same model.

    With ``prior="hierarchical"`` each tensor is ``s * z``, ``z ~ Normal(0, 1)``
    and ``s ~ HalfNormal(1)`` fitted on the log scale, as in skbnn.
    """
    import jax
    import jax.numpy as jnp

    n_samples = X.shape[0]
    rng = np.random.default_rng(0)
    shapes = []
    for fan_in, fan_out in zip(UNITS[:-1], UNITS[1:], strict=True):
        shapes += [(fan_in, fan_out), (fan_out,)]
    hierarchical = prior == "hierarchical"
    rho0 = float(np.log(np.expm1(1e-2)))

    def negative_elbo(params, key, X_batch, y_batch):
        means, rhos, log_scale_means, log_scale_rhos = params
        keys = jax.random.split(key, 2 * len(means))
        weights, entropy, log_prior = [], 0.0, 0.0
        for i, (mean, rho) in enumerate(zip(means, rhos, strict=True)):
            std = jax.nn.softplus(rho)
            w = mean + std * jax.random.normal(keys[2 * i], mean.shape, jnp.float32)
            entropy += jnp.sum(jnp.log(std))
            log_prior += -0.5 * jnp.sum(w * w)
            if hierarchical:
                scale_std = jax.nn.softplus(log_scale_rhos[i])
                log_scale = log_scale_means[i] + scale_std * jax.random.normal(
                    keys[2 * i + 1], (1,), jnp.float32
                )
                scale = jnp.exp(log_scale)
                w = scale * w
                entropy += jnp.sum(jnp.log(scale_std))
                # HalfNormal(1) log-density plus the log-transform's Jacobian.
                log_prior += jnp.sum(-0.5 * scale * scale + log_scale)
            weights.append(w)
        hidden = X_batch
        for i in range(0, len(weights) - 2, 2):
            hidden = jax.nn.relu(hidden @ weights[i] + weights[i + 1])
        logits = hidden @ weights[-2] + weights[-1]
        log_proba = jax.nn.log_softmax(logits)
        likelihood = jnp.sum(jnp.take_along_axis(log_proba, y_batch[:, None], 1))
        return -(log_prior + n_samples / BATCH_SIZE * likelihood + entropy)

    def step(params, first, second, t, key, X_batch, y_batch):
        loss, grads = jax.value_and_grad(negative_elbo)(params, key, X_batch, y_batch)
        t = t + 1
        first = jax.tree.map(lambda m, g: 0.9 * m + 0.1 * g, first, grads)
        second = jax.tree.map(lambda v, g: 0.999 * v + 0.001 * g * g, second, grads)
        size = LEARNING_RATE * jnp.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        params = jax.tree.map(
            lambda p, m, v: p - size * m / (jnp.sqrt(v) + 1e-8), params, first, second
        )
        return loss, params, first, second, t

    step = jax.jit(step, donate_argnums=(0, 1, 2))
    with jax.default_device(jax.devices("cpu")[0]), jax.enable_x64(False):
        n_scales = len(shapes) if hierarchical else 0
        params = (
            [jnp.asarray(rng.uniform(-0.05, 0.05, s), jnp.float32) for s in shapes],
            [jnp.full(s, rho0, jnp.float32) for s in shapes],
            [jnp.zeros(1, jnp.float32) for _ in range(n_scales)],
            [jnp.full(1, rho0, jnp.float32) for _ in range(n_scales)],
        )
        state = {
            "params": params,
            "first": jax.tree.map(jnp.zeros_like, params),
            "second": jax.tree.map(jnp.zeros_like, params),
            "t": jnp.float32(0),
            "key": jax.random.PRNGKey(0),
        }

        def run_step(X_batch, y_batch):
            state["key"], key = jax.random.split(state["key"])
            loss, *rest = step(
                state["params"],
                state["first"],
                state["second"],
                state["t"],
                key,
                X_batch,
                y_batch,
            )
            state["params"], state["first"], state["second"], state["t"] = rest
            loss.block_until_ready()

        return _steps_per_second(run_step, X, y, n_steps)


def pymc_advi_step(X, y, n_steps, mode=None):
    """Steps/s of ``pm.fit(method="advi")``'s step on the same network.

    Returns (steps/s, compile seconds). ``mode=None`` is PyMC's default.
    """
    import pymc as pm
    import pytensor

    with pytensor.config.change_flags(floatX="float32"), pm.Model():
        X_batch, y_batch = pm.Minibatch(
            X, y.astype(pm.intX(np.int64(0)).dtype), batch_size=BATCH_SIZE
        )
        hidden = X_batch
        layers = list(zip(UNITS[:-1], UNITS[1:], strict=True))
        for i, (fan_in, fan_out) in enumerate(layers):
            coef = pm.Normal(f"coef_{i}", 0.0, 1.0, shape=(fan_in, fan_out))
            intercept = pm.Normal(f"intercept_{i}", 0.0, 1.0, shape=(fan_out,))
            hidden = hidden @ coef + intercept
            if i < len(layers) - 1:
                hidden = pm.math.maximum(hidden, 0.0)
        pm.Categorical("y", logit_p=hidden, observed=y_batch, total_size=len(y))
        start = time.perf_counter()
        advi = pm.ADVI(random_seed=0)
        step = advi.objective.step_function(
            obj_optimizer=pm.adam(learning_rate=LEARNING_RATE),
            compile_kwargs=None if mode is None else {"mode": mode},
        )
        step()
        compile_seconds = time.perf_counter() - start
        for _ in range(5):
            step()
        start = time.perf_counter()
        for _ in range(n_steps):
            step()
        return n_steps / (time.perf_counter() - start), compile_seconds


def mlp_steps_per_second(X, y):
    """Steps/s of scikit-learn's MLPClassifier over one epoch, same batches."""
    mlp = MLPClassifier(UNITS[1:-1], batch_size=BATCH_SIZE, max_iter=1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    return -(-X.shape[0] // BATCH_SIZE) / (time.perf_counter() - start)


def predict_seconds(X, y, X_test, draws):
    """Seconds for probabilities and every uncertainty kind on ``X_test``.

    The network is fitted for one short epoch: prediction costs the same
    whatever the posterior's values.
    """
    clf = BayesianMLPClassifier(UNITS[1:-1], batch_size=BATCH_SIZE, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X[:1280], y[:1280])
    seconds = {}
    for n_draws in draws:
        clf.set_params(n_posterior_draws=n_draws)
        start = time.perf_counter()
        clf.predict_uncertainty(X_test, kind="all", return_proba=True)
        seconds[n_draws] = time.perf_counter() - start
    return seconds


def main(data_dir=DEFAULT_DATA_DIR, n_steps=100, backends=False, pymc=False):
    X, y = load_mnist(data_dir, "train")
    X_test, _ = load_mnist(data_dir, "test")
    figures = {}
    figures["reference_jax"] = reference_step(X, y, n_steps)
    figures["skbnn_jax_float32"], figures["compile_seconds"] = skbnn_step(X, y, n_steps)
    (
        figures["skbnn_jax_float32_weights"],
        figures["compile_seconds_weights"],
    ) = skbnn_step(X, y, n_steps, estimator="weights")
    figures["reference_jax_hierarchical"] = reference_step(
        X, y, n_steps, prior="hierarchical"
    )
    (
        figures["skbnn_jax_float32_hierarchical"],
        figures["compile_seconds_hierarchical"],
    ) = skbnn_step(X, y, n_steps, prior="hierarchical")
    if backends:
        for mode, dtype in [
            ("JAX", "float64"),
            ("FAST_RUN", "float32"),
            ("NUMBA", "float32"),
        ]:
            key = f"skbnn_{mode.lower()}_{dtype}"
            figures[key], figures[f"{key}_compile_seconds"] = skbnn_step(
                X, y, max(10, n_steps // 5), mode=mode, dtype=dtype
            )
    if pymc:
        for mode, key in PYMC_MODES:
            try:
                figures[key], figures[f"{key}_compile_seconds"] = pymc_advi_step(
                    X, y, max(10, n_steps // 5), mode=mode
                )
            except Exception as error:  # report it and go on
                figures[f"{key}_error"] = f"{type(error).__name__}: {error}"[:200]
                print(f"{key}: could not run, {figures[f'{key}_error']}")
    figures["mlp_classifier"] = mlp_steps_per_second(X, y)
    for name, value in list(figures.items()):
        reference = figures[
            "reference_jax_hierarchical" if "hierarchical" in name else "reference_jax"
        ]
        if "compile" in name:
            print(f"{name}: {value:.1f} s")
        elif isinstance(value, float):
            print(f"{name}: {value:.1f} steps/s ({value / reference:.2f}x reference)")
    figures["ratio_skbnn_to_reference"] = (
        figures["skbnn_jax_float32"] / figures["reference_jax"]
    )
    figures["ratio_skbnn_to_reference_hierarchical"] = (
        figures["skbnn_jax_float32_hierarchical"]
        / figures["reference_jax_hierarchical"]
    )
    if pymc:
        for key in (key for _, key in PYMC_MODES if key in figures):
            ratio = figures["skbnn_jax_float32"] / figures[key]
            figures[f"ratio_skbnn_to_{key}"] = ratio
            print(f"skbnn's step / {key}: {ratio:.2f}x")
    figures["predict_seconds"] = predict_seconds(X, y, X_test, draws=(30, 100))
    for n_draws, seconds in figures["predict_seconds"].items():
        print(
            f"predict_proba + every uncertainty kind, 10k test images, "
            f"{n_draws} draws: {seconds:.1f} s"
        )
    print(json.dumps(figures))
    return figures


class _TestAccuracy(Callback):
    """Record the test accuracy after each epoch, and the fit's seconds so far.

    The seconds count from ``start`` (set before ``fit``, so that building
    the model and compiling the step count) and leave out the evaluations.
    """

    def __init__(self, clf, X_test, y_test, start):
        self.clf, self.X_test, self.y_test = clf, X_test, y_test
        self.start = start
        self.points = []

    def on_epoch_end(self, run):
        now = time.perf_counter()
        # With the classifier's own n_posterior_draws and prediction seed.
        posterior = Posterior([run.read_posterior()])
        expectations = self.clf._posterior_expectations(self.X_test, posterior)
        accuracy = float(np.mean(expectations["proba"].argmax(1) == self.y_test))
        self.points.append((run.epoch, now - self.start, accuracy, run.loss_curve[-1]))
        # The evaluation does not count as fitting time.
        self.start += time.perf_counter() - now


def skbnn_curve(data, *, epochs, learning_rate, estimator, n_draws, prior="normal"):
    """Fit skbnn; return its points and the model.

    Each point is (epoch, seconds, accuracy, the epoch's mean loss).
    """
    X, y, X_test, y_test = data
    clf = BayesianMLPClassifier(
        UNITS[1:-1],
        batch_size=BATCH_SIZE,
        learning_rate_init=learning_rate,
        max_iter=epochs,
        n_posterior_draws=n_draws,
        gradient_estimator=estimator,
        prior=prior,
        random_state=0,
    )
    recorder = _TestAccuracy(clf, X_test, y_test, time.perf_counter())
    new_run = clf._new_run

    def new_run_with_recorder(*args):
        run, callbacks = new_run(*args)
        return run, [*callbacks, recorder]

    # An instance attribute: the benchmark's hook, not a parameter.
    clf._new_run = new_run_with_recorder
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    del clf._new_run
    return recorder.points, clf


def mlp_curves(data, *, epochs, n_members=3):
    """``partial_fit`` MLPs an epoch at a time; return each member's points.

    Each point is (epoch, seconds, accuracy, test probabilities).
    """
    X, y, X_test, y_test = data
    members = []
    for seed in range(n_members):
        mlp = MLPClassifier(UNITS[1:-1], batch_size=BATCH_SIZE, random_state=seed)
        points, seconds = [], 0.0
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            mlp.partial_fit(X, y, classes=np.arange(10))
            seconds += time.perf_counter() - start
            proba = mlp.predict_proba(X_test)
            points.append(
                (epoch, seconds, float(np.mean(proba.argmax(1) == y_test)), proba)
            )
        members.append((points, mlp))
    return members


def _ensemble_points(members, y_test):
    points = []
    for epoch_points in zip(*(points for points, _ in members), strict=True):
        proba = np.mean([point[3] for point in epoch_points], axis=0)
        seconds = sum(point[1] for point in epoch_points)
        accuracy = float(np.mean(proba.argmax(1) == y_test))
        points.append((epoch_points[0][0], seconds, accuracy))
    return points


def seconds_to_reach(points, accuracy):
    """Seconds of the first point at or above ``accuracy``; None if none is."""
    return next((point[1] for point in points if point[2] >= accuracy), None)


def _predict_time(predict, X_test, repeats=2):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        predict(X_test)
        best = min(best, time.perf_counter() - start)
    return best


def curve_main(
    data_dir=DEFAULT_DATA_DIR,
    *,
    epochs=15,
    learning_rate=LEARNING_RATE,
    estimators=("local", "weights"),
    n_draws=30,
    draws_study=False,
    prior="normal",
    mlp_accuracy=None,
):
    """Print the curves; ``mlp_accuracy`` given, no MLPClassifier is fitted."""
    X, y = load_mnist(data_dir, "train")
    X_test, y_test = load_mnist(data_dir, "test")
    data = X, y, X_test, y_test
    curves = {}
    figures = {"epochs": epochs, "learning_rate": learning_rate, "prior": prior}
    models = {}
    for estimator in estimators:
        name = f"skbnn_{estimator}"
        curves[name], models[name] = skbnn_curve(
            data,
            epochs=epochs,
            learning_rate=learning_rate,
            estimator=estimator,
            n_draws=n_draws,
            prior=prior,
        )
    members = []
    if mlp_accuracy is None:
        members = mlp_curves(data, epochs=epochs)
        curves["mlp_classifier"] = [point[:3] for point in members[0][0]]
        curves["deep_ensemble_3"] = _ensemble_points(members, y_test)
        mlp_accuracy = curves["mlp_classifier"][-1][2]
    print(f"{'epoch':>5} " + " ".join(f"{name:>26}" for name in curves))
    for epoch in range(epochs):
        cells = [
            f"{points[epoch][1]:8.1f} s {100 * points[epoch][2]:6.2f}%"
            if epoch < len(points)
            else ""
            for points in curves.values()
        ]
        print(f"{epoch + 1:>5} " + " ".join(f"{cell:>26}" for cell in cells))
    figures["curves"] = curves
    figures["mlp_final_accuracy"] = mlp_accuracy
    for name, points in curves.items():
        figures[f"{name}_final_accuracy"] = points[-1][2]
        figures[f"{name}_fit_seconds"] = points[-1][1]
        figures[f"{name}_seconds_to_98.0"] = seconds_to_reach(points, 0.98)
        figures[f"{name}_seconds_to_mlp_accuracy"] = seconds_to_reach(
            points, mlp_accuracy
        )
        print(
            f"{name}: final {100 * points[-1][2]:.2f}% after {points[-1][1]:.0f} s; "
            f"98.0% after {figures[f'{name}_seconds_to_98.0']} s; MLPClassifier's "
            f"{100 * mlp_accuracy:.2f}% after "
            f"{figures[f'{name}_seconds_to_mlp_accuracy']} s"
        )
    mlps = [mlp for _, mlp in members]
    if mlps:
        figures["mlp_classifier_predict_seconds"] = _predict_time(
            mlps[0].predict_proba, X_test
        )
        figures["deep_ensemble_3_predict_seconds"] = _predict_time(
            lambda X_: [mlp.predict_proba(X_) for mlp in mlps], X_test
        )
    for name, clf in models.items():
        for draws in (30, 100):
            clf.set_params(n_posterior_draws=draws)
            figures[f"{name}_predict_seconds_{draws}_draws"] = _predict_time(
                lambda X_: clf.predict_uncertainty(X_, kind="all", return_proba=True),
                X_test,
            )
    for key, value in figures.items():
        if "predict_seconds" in key:
            print(f"{key}: {value:.1f} s (goal for 100 draws: <= 10 s)")
    if draws_study:
        name = f"skbnn_{estimators[0]}"
        figures["draws_study"] = draws_needed(models[name], X_test, y_test)
    print(json.dumps(figures))
    return figures


def draws_needed(clf, X_test, y_test, draws=(10, 30, 100, 300), seeds=(0, 1)):
    """Test NLL, ECE and OOD AUROCs of mutual information against the draws.

    Two prediction seeds per count show the Monte Carlo spread. The OOD sets
    are ``skbnn.datasets.out_of_distribution_images``: uniform noise, permuted
    pixels and inverted digits, as in ``examples/mnist_mlp.py``.
    """
    from sklearn.metrics import log_loss, roc_auc_score

    from skbnn.datasets import out_of_distribution_images
    from skbnn.metrics import expected_calibration_error

    ood_sets = out_of_distribution_images(X_test)
    rows = []
    for n_draws in draws:
        for seed in seeds:
            clf.set_params(n_posterior_draws=n_draws)
            clf._prediction_seed = seed
            inside, proba = clf.predict_uncertainty(
                X_test, kind="mutual_information", return_proba=True
            )
            row = {
                "draws": n_draws,
                "seed": seed,
                "accuracy": float(np.mean(proba.argmax(1) == y_test)),
                "nll": float(log_loss(y_test, proba, labels=np.arange(10))),
                "ece": expected_calibration_error(y_test, proba),
            }
            for ood, X_ood in ood_sets.items():
                outside = clf.predict_uncertainty(X_ood, kind="mutual_information")
                labels = np.r_[np.zeros(len(inside)), np.ones(len(outside))]
                row[f"auroc_{ood}"] = float(
                    roc_auc_score(labels, np.r_[inside, outside])
                )
            print(
                " ".join(
                    f"{key} {value:.4f}"
                    if isinstance(value, float)
                    else f"{key} {value}"
                    for key, value in row.items()
                )
            )
            rows.append(row)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--backends", action="store_true")
    parser.add_argument("--pymc", action="store_true")
    parser.add_argument("--curve", action="store_true")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--learning-rate", type=float, default=LEARNING_RATE)
    parser.add_argument("--estimators", nargs="+", default=["local", "weights"])
    parser.add_argument("--curve-draws", type=int, default=30)
    parser.add_argument("--draws-study", action="store_true")
    parser.add_argument("--prior", default="normal")
    parser.add_argument(
        "--mlp-accuracy",
        type=float,
        help="MLPClassifier's final accuracy from an earlier run: fit no MLP",
    )
    args = parser.parse_args()
    if args.curve:
        curve_main(
            args.data_dir,
            epochs=args.epochs,
            learning_rate=args.learning_rate,
            estimators=args.estimators,
            n_draws=args.curve_draws,
            draws_study=args.draws_study,
            prior=args.prior,
            mlp_accuracy=args.mlp_accuracy,
        )
    else:
        main(args.data_dir, args.steps, args.backends, args.pymc)
