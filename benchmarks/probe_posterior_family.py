"""Probe: does a posterior with correlations beat the mean-field one on UCI?

A hand-written JAX ADVI of skbnn's regression model on one member: the
network ``(16, 16)`` with ReLU, ``Normal(0, 1)`` on every weight and bias, a
``HalfNormal(1)`` noise scale, Normal or Student-t noise (``nu = 2 + e``,
``e ~ Gamma(2, 0.1)``), X and y standardised on the training rows. The same
script fits each variational family, so that only the family differs:

- ``mf``: the mean-field Gaussian skbnn fits;
- ``lr<k>``: that Gaussian with a rank-``k`` factor added to its covariance,
  ``D (I + V V^T) D`` (the low-rank family of Kucukelbir et al., JMLR 2017);
- a ``t`` in front (``t``, ``tlr8``): Student-t noise.

Each fit takes ``--steps`` Adam steps on minibatches of 200 rows, the step
size falling from 0.01 to 1e-4 along a cosine; 500 posterior draws predict.
Prints, per split and averaged over the splits, the test RMSE, the log
predictive density ("ll_mix", the average over draws of the likelihood), the
Gaussian LL of the predictive mean and std ("ll"), the +/- 2 std coverage
and the fit's seconds, and ends with one JSON line.

Run: ``python benchmarks/probe_posterior_family.py --data-dir ../shared/data/uci
--datasets yacht energy --variant lr8``
"""

import argparse
import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln as jax_gammaln
from scipy.special import gammaln, logsumexp

DEFAULT_DATA_DIR = Path(__file__).parent.parent.parent / "shared" / "data" / "uci"
BATCH_SIZE, PREDICTION_DRAWS, STEP_SIZE = 200, 500, 0.01


def load_split(folder, split):
    """Return X_train, y_train, X_test, y_test of one standard split."""
    data = np.loadtxt(folder / "data.txt")
    features = np.loadtxt(folder / "index_features.txt", dtype=int, ndmin=1)
    target = int(np.loadtxt(folder / "index_target.txt", dtype=int, ndmin=1)[0])
    train = np.loadtxt(folder / f"index_train_{split}.txt", dtype=int)
    test = np.loadtxt(folder / f"index_test_{split}.txt", dtype=int)
    X, y = data[:, features], data[:, target]
    return X[train], y[train], X[test], y[test]


def _layer_shapes(n_inputs, hidden):
    units = [n_inputs, *hidden, 1]
    return list(zip(units[:-1], units[1:]))


def _unflatten(theta, shapes):
    layers, start = [], 0
    for n_in, n_out in shapes:
        weights = theta[start : start + n_in * n_out].reshape(n_in, n_out)
        start += n_in * n_out
        layers.append((weights, theta[start : start + n_out]))
        start += n_out
    return layers, theta[start:]  # then the log noise scale (and log excess)


def _network(layers, X):
    hidden = X
    for index, (weights, bias) in enumerate(layers):
        hidden = hidden @ weights + bias
        if index < len(layers) - 1:
            hidden = jax.nn.relu(hidden)
    return hidden[:, 0]


def _noise_log_density(residual, log_scale, log_excess, xp, log_gamma):
    z = residual / xp.exp(log_scale)
    if log_excess is None:
        return -0.5 * np.log(2 * np.pi) - log_scale - 0.5 * z**2
    df = 2 + xp.exp(log_excess)
    return (
        log_gamma((df + 1) / 2)
        - log_gamma(df / 2)
        - 0.5 * xp.log(df * np.pi)
        - log_scale
        - (df + 1) / 2 * xp.log1p(z**2 / df)
    )


def fit_and_evaluate(X_train, y_train, X_test, y_test, seed, variant, n_steps, hidden):
    """Fit one variational family on one split; its test figures."""
    x_mean, x_std = X_train.mean(0), X_train.std(0)
    x_std[x_std == 0] = 1
    y_mean, y_std = y_train.mean(), y_train.std()
    X_train = jnp.asarray((X_train - x_mean) / x_std, jnp.float32)
    X_test = jnp.asarray((X_test - x_mean) / x_std, jnp.float32)
    y_scaled = jnp.asarray((y_train - y_mean) / y_std, jnp.float32)
    n_rows = X_train.shape[0]
    shapes = _layer_shapes(X_train.shape[1], hidden)
    n_weights = sum(n_in * n_out + n_out for n_in, n_out in shapes)
    student_t = variant.startswith("t")
    n_parameters = n_weights + (2 if student_t else 1)
    rank = int(variant.split("lr")[1]) if "lr" in variant else 0
    rng = np.random.default_rng(seed)
    means = []
    for n_in, n_out in shapes:  # Glorot, as skbnn starts
        bound = np.sqrt(6 / (n_in + n_out))
        means += [rng.uniform(-bound, bound, n_in * n_out), np.zeros(n_out)]
    means.append(np.zeros(n_parameters - n_weights))
    params = {
        "mean": jnp.asarray(np.concatenate(means), jnp.float32),
        "rho": jnp.full(n_parameters, np.log(np.expm1(1e-2)), jnp.float32),
    }
    if rank:
        params["factor"] = jnp.asarray(
            1e-2 * rng.standard_normal((n_parameters, rank)), jnp.float32
        )
    batch_size = min(BATCH_SIZE, n_rows)

    def log_joint(theta, X, y):
        layers, extra = _unflatten(theta, shapes)
        log_scale = extra[0]
        log_p = -0.5 * jnp.sum(theta[:n_weights] ** 2)
        log_p += -0.5 * jnp.exp(log_scale) ** 2 + log_scale  # HalfNormal(1)
        log_excess = None
        if student_t:
            log_excess = extra[1]  # Gamma(2, 0.1) on the excess, log scale
            log_p += 2 * log_excess - 0.1 * jnp.exp(log_excess)
        residual = y - _network(layers, X)
        rows = _noise_log_density(residual, log_scale, log_excess, jnp, jax_gammaln)
        return log_p + n_rows / batch_size * jnp.sum(rows)

    def negative_elbo(params, key, X, y):
        std = jax.nn.softplus(params["rho"])
        noise_key, factor_key = jax.random.split(key)
        eps = jax.random.normal(noise_key, (n_parameters,))
        entropy = jnp.sum(jnp.log(std))
        if rank:
            eps = eps + params["factor"] @ jax.random.normal(factor_key, (rank,))
            gram = jnp.eye(rank) + params["factor"].T @ params["factor"]
            entropy += 0.5 * jnp.linalg.slogdet(gram)[1]
        return -(log_joint(params["mean"] + std * eps, X, y) + entropy)

    def adam_step(state, inputs):
        params, first, second, t = state
        key, rows, step_size = inputs
        grads = jax.grad(negative_elbo)(params, key, X_train[rows], y_scaled[rows])
        t = t + 1
        first = jax.tree.map(lambda m, g: 0.9 * m + 0.1 * g, first, grads)
        second = jax.tree.map(lambda v, g: 0.999 * v + 0.001 * g * g, second, grads)
        params = jax.tree.map(
            lambda p, m, v: (
                p - step_size * m / (1 - 0.9**t) / (jnp.sqrt(v / (1 - 0.999**t)) + 1e-8)
            ),
            params,
            first,
            second,
        )
        return (params, first, second, t), None

    epochs = n_steps * batch_size // n_rows + 2
    order = np.concatenate([rng.permutation(n_rows) for _ in range(epochs)])
    rows = order[: n_steps * batch_size].reshape(n_steps, batch_size)
    cosine = 0.5 * (1 + np.cos(np.pi * np.arange(n_steps) / n_steps))
    step_sizes = STEP_SIZE * (0.01 + 0.99 * cosine)
    keys = jax.random.split(jax.random.PRNGKey(seed), n_steps)
    zeros = jax.tree.map(jnp.zeros_like, params)
    start = time.perf_counter()
    (params, *_), _ = jax.jit(lambda s, i: jax.lax.scan(adam_step, s, i))(
        (params, zeros, zeros, 0.0),
        (keys, jnp.asarray(rows), jnp.asarray(step_sizes, jnp.float32)),
    )
    params = jax.tree.map(np.asarray, params)
    seconds = time.perf_counter() - start

    std = np.logaddexp(0.0, params["rho"])
    eps = rng.standard_normal((PREDICTION_DRAWS, n_parameters))
    if rank:
        eps += rng.standard_normal((PREDICTION_DRAWS, rank)) @ params["factor"].T
    draws = jnp.asarray(params["mean"] + std * eps, jnp.float32)
    outputs, extra = jax.vmap(lambda theta: _network_and_noise(theta, shapes, X_test))(
        draws
    )
    outputs = np.asarray(outputs, float) * y_std + y_mean
    extra = np.asarray(extra, float)
    log_scale = extra[:, 0] + np.log(y_std)
    log_excess = extra[:, 1] if student_t else None
    noise_variance = np.exp(2 * log_scale)
    if student_t:
        noise_variance *= 1 + 2 / np.exp(log_excess)
    mean = outputs.mean(0)
    variance = outputs.var(0) + noise_variance.mean()
    residual = y_test - mean
    log_density = _noise_log_density(
        y_test[None] - outputs,
        log_scale[:, None],
        None if log_excess is None else log_excess[:, None],
        np,
        gammaln,
    )
    figures = {
        "rmse": float(np.sqrt(np.mean(residual**2))),
        "ll": float(
            np.mean(-0.5 * np.log(2 * np.pi * variance) - residual**2 / (2 * variance))
        ),
        "ll_mix": float(
            np.mean(logsumexp(log_density, axis=0) - np.log(PREDICTION_DRAWS))
        ),
        "coverage": float(np.mean(np.abs(residual) <= 2 * np.sqrt(variance))),
        "seconds": seconds,
    }
    if student_t:
        figures["df_median"] = float(2 + np.exp(np.median(log_excess)))
    return figures


def _network_and_noise(theta, shapes, X):
    layers, extra = _unflatten(theta, shapes)
    return _network(layers, X), extra


def main(data_dir, datasets, splits, variant, n_steps, hidden):
    results = {}
    for name in datasets:
        runs = []
        for split in splits:
            figures = fit_and_evaluate(
                *load_split(Path(data_dir) / name, split),
                split,
                variant,
                n_steps,
                hidden,
            )
            runs.append(figures)
            rounded = {key: round(value, 3) for key, value in figures.items()}
            print(name, split, rounded, flush=True)
        results[name] = {
            key: float(np.mean([run[key] for run in runs])) for key in runs[0]
        }
        print(name, variant, results[name], flush=True)
    print(
        json.dumps(
            {"variant": variant, "steps": n_steps, "hidden": hidden, "results": results}
        )
    )
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--datasets", nargs="+", default=["yacht", "energy"])
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--variant", default="mf")
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--hidden", type=int, nargs="+", default=[16, 16])
    args = parser.parse_args()
    main(
        args.data_dir,
        args.datasets,
        range(args.splits),
        args.variant,
        args.steps,
        args.hidden,
    )
