"""
1-D regression: the uncertainty band and posterior draws
========================================================

The setup of the torchbnn regression demo: 500 points ``x`` evenly spread on
[-2, 2] and ``y = x**3 - x**2 + 3 u`` with ``u ~ Uniform(0, 1)``. A
:class:`~skbnn.BayesianMLPRegressor` is fitted to them and asked, over
[-3, 3], for its predictive mean, a +/- 2 std band and functions drawn from
its posterior: how does the band behave where there are no data?
"""

# %%
# Fitting
# -------
import time

import matplotlib.pyplot as plt
import numpy as np

from skbnn import BayesianMLPRegressor

rng = np.random.default_rng(0)
x = np.linspace(-2, 2, 500)
y = x**3 - x**2 + 3 * rng.uniform(size=x.shape)

reg = BayesianMLPRegressor(random_state=0)
start = time.perf_counter()
reg.fit(x[:, None], y)
fit_seconds = time.perf_counter() - start
print(f"fit time: {fit_seconds:.1f} s ({reg.n_iter_} epochs)")
train_r2 = reg.score(x[:, None], y)
print(f"R^2 on the training data: {train_r2:.3f}")

# %%
# The noise it learned
# --------------------
# Uniform noise on [0, 3] has standard deviation :math:`3 / \sqrt{12}`. The
# aleatoric part of the uncertainty is the learned noise's standard
# deviation, the same at every ``x`` (with Student-t noise, ``noise_std_``
# is its scale, not its standard deviation).
noise_std = float(reg.predict_uncertainty([[0.0]], kind="aleatoric")[0])
print(f"learned noise std: {noise_std:.2f} (true 0.87)")

# %%
# Inside and beyond the data
# --------------------------
# Outside [-2, 2] only the epistemic part of the uncertainty can grow: the
# band widens there. But it widens far more slowly than the cubic leaves
# it, and the true mean leaves the band a little beyond the data: a network
# has no way to know that the function keeps curving there.
grid = np.linspace(-3, 3, 601)
mean, std = reg.predict(grid[:, None], return_std=True)
inside, outside = np.abs(grid) <= 2, np.abs(grid) >= 2.5
width_inside, width_outside = 4 * std[inside].mean(), 4 * std[outside].mean()
print(f"mean +/-2 std band width inside [-2, 2]: {width_inside:.2f}")
print(f"mean +/-2 std band width where |x| >= 2.5: {width_outside:.2f}")
true_mean = grid**3 - grid**2 + 1.5
outside_band = np.abs(true_mean - mean) > 2 * std
left_exit = grid[(grid < 0) & outside_band].max(initial=-np.inf)
right_exit = grid[(grid > 0) & outside_band].min(initial=np.inf)
print(
    "the true mean leaves the +/-2 std band at "
    f"x = {left_exit:.2f} and x = {right_exit:.2f}"
)

fig, ax = plt.subplots(figsize=(7, 4.5))
ax.scatter(x, y, s=6, color="0.5", label="training data")
ax.plot(grid, true_mean, "k--", label="true mean")
draws = reg.sample_y(grid[:, None], n_samples=5, random_state=0)
ax.plot(grid, draws, color="tab:orange", lw=0.8, alpha=0.7)
ax.plot([], [], color="tab:orange", lw=0.8, label="posterior draws")
ax.plot(grid, mean, color="tab:blue", label="posterior predictive mean")
band = {"color": "tab:blue", "alpha": 0.25, "label": "+/- 2 std"}
ax.fill_between(grid, mean - 2 * std, mean + 2 * std, **band)
ax.axvspan(-3, -2, color="0.9", zorder=0)
ax.axvspan(2, 3, color="0.9", zorder=0, label="no training data")
ax.set(xlabel="x", ylabel="y", title="BayesianMLPRegressor on y = x^3 - x^2 + noise")
ax.legend(loc="lower right", fontsize=8)

# sphinx_gallery_start_ignore
# Command-line runs save the picture and print the figures as one JSON line.
if "__file__" in globals():
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(description="1-D regression.")
    parser.add_argument(
        "--output-dir", type=Path, default=Path(__file__).parent / "output"
    )
    output_dir = parser.parse_known_args()[0].output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(output_dir / "regression_1d.png", dpi=100, bbox_inches="tight")
    print(f"saved {output_dir / 'regression_1d.png'}")
    print(
        json.dumps(
            {
                "fit_seconds": fit_seconds,
                "train_r2": train_r2,
                "noise_std": noise_std,
                "band_width_inside": float(width_inside),
                "band_width_outside": float(width_outside),
                "true_mean_leaves_band_at": [float(left_exit), float(right_exit)],
            }
        )
    )
# sphinx_gallery_end_ignore
