"""
Two moons, as in PyMC's variational-inference tutorial
======================================================

PyMC's tutorial on Bayesian neural networks fits a network of two hidden
layers of five tanh units with ADVI on ``make_moons(noise=0.2,
random_state=0, n_samples=1000)``, scaled, half held out, and reaches about
94% test accuracy. Here skbnn fits the same network, then its default one,
and draws what a Bayesian network adds: where it is unsure.
"""

# %%
# The data and the tutorial's network
# -----------------------------------
# A network this small crosses long plateaus on its way (its loss per
# sample stalls for hundreds of epochs); a patience of 1,000 epochs (3,000
# steps) waits them out, where the default of 200 epochs may not.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import scale

from skbnn import BayesianMLPClassifier

X, y = make_moons(noise=0.2, random_state=0, n_samples=1000)
X = scale(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

tutorial_network = BayesianMLPClassifier(
    hidden_layer_sizes=(5, 5),
    activation="tanh",
    n_iter_no_change=1000,
    random_state=0,
)
start = time.perf_counter()
tutorial_network.fit(X_train, y_train)
fit_seconds = time.perf_counter() - start
accuracy = tutorial_network.score(X_test, y_test)
print(f"test accuracy: {accuracy:.1%}")
print(f"fit time: {fit_seconds:.1f} s ({tutorial_network.n_iter_} epochs)")

# %%
# skbnn's default network
# -----------------------
# Two hidden layers of 16 ReLU units, with the defaults' stopping rule.
default = BayesianMLPClassifier(random_state=0).fit(X_train, y_train)
default_accuracy = default.score(X_test, y_test)
print(f"default network, (16, 16) ReLU: test accuracy {default_accuracy:.1%}")

# %%
# Its probabilities and its uncertainty over the plane
# ----------------------------------------------------
# ``predict_uncertainty`` gives, in one pass over the posterior draws, the
# mutual information between the label and the weights (the epistemic
# uncertainty: the part that more data would remove) and, with
# ``return_proba=True``, the predictive probabilities.
grid_x, grid_y = np.meshgrid(np.linspace(-3, 3, 120), np.linspace(-3, 3, 120))
grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
mutual_information, proba = default.predict_uncertainty(
    grid, kind="mutual_information", return_proba=True
)


def plot_surface(values, *, title, label, cmap):
    fig, ax = plt.subplots(figsize=(6, 5))
    contour = ax.contourf(grid_x, grid_y, values.reshape(grid_x.shape), 20, cmap=cmap)
    for label_value, colour in ((0, "tab:blue"), (1, "tab:red")):
        points = X_test[y_test == label_value]
        ax.scatter(*points.T, s=8, color=colour, label=f"class {label_value}")
    fig.colorbar(contour, ax=ax, label=label)
    ax.set(title=title, xlabel="x1 (scaled)", ylabel="x2 (scaled)")
    ax.legend(loc="lower left")
    return fig


probability_figure = plot_surface(
    proba[:, 1],
    title="Posterior predictive P(class 1)",
    label="probability",
    cmap="RdBu_r",
)

# %%
# The mutual information is near zero within the training data away from
# the boundary, and largest where the decision boundary runs on beyond the
# data: there the posterior draws disagree about where it lies, and the
# disagreement widens with the distance from the data. Empty regions that
# every draw puts on the same side of the boundary stay confident: a
# network's uncertainty follows the functions its posterior allows, not the
# distance itself. (The tutorial's tanh network saturates away from the
# data, so its draws agree almost everywhere there.)
uncertainty_figure = plot_surface(
    mutual_information,
    title="Epistemic uncertainty: mutual information of label and weights",
    label="nats",
    cmap="viridis",
)

# sphinx_gallery_start_ignore
# Command-line runs save the pictures and print the figures as one JSON line.
if "__file__" in globals():
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Two moons.")
    parser.add_argument(
        "--output-dir", type=Path, default=Path(__file__).parent / "output"
    )
    output_dir = parser.parse_known_args()[0].output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    for name, figure in (
        ("moons_probability.png", probability_figure),
        ("moons_uncertainty.png", uncertainty_figure),
    ):
        figure.savefig(output_dir / name, dpi=100, bbox_inches="tight")
        print(f"saved {output_dir / name}")
    print(
        json.dumps(
            {
                "test_accuracy": accuracy,
                "fit_seconds": fit_seconds,
                "epochs": tutorial_network.n_iter_,
                "default_test_accuracy": default_accuracy,
            }
        )
    )
# sphinx_gallery_end_ignore
