"""Speed of one ADVI step on the MNIST MLP, side by side in one run.

Measures optimisation steps per second of the 784-800-800-10 ReLU network
with batches of 128 MNIST images:

- skbnn's compiled ADVI step (float32, PyTensor's JAX backend, Adam), as
  ``BayesianMLPClassifier`` runs it;
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
[--backends] [--pymc]``
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
from skbnn._device import device_context
from skbnn._inference import AdviStep
from skbnn._likelihoods import CategoricalLikelihood
from skbnn._model import build_model
from skbnn._networks import MLPNetwork
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


def skbnn_step(X, y, n_steps, mode="JAX", dtype="float32", prior="normal"):
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
        step = AdviStep(batch_model, mode=mode)
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--backends", action="store_true")
    parser.add_argument("--pymc", action="store_true")
    args = parser.parse_args()
    main(args.data_dir, args.steps, args.backends, args.pymc)
