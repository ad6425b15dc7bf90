"""Two moons, as in PyMC's variational-inference tutorial
======================================================

The tutorial fits a network of two hidden layers of five tanh units with ADVI
on ``make_moons(noise=0.2, random_state=0, n_samples=1000)``, scaled, half held
out, and reaches about 94% test accuracy. This script fits the same network
with skbnn and prints its test accuracy and fit time. It then fits skbnn's
default network (two hidden layers of 16 ReLU units) and saves two pictures:

- ``moons_probability.png``: the default network's posterior predictive
  probability of class 1;
- ``moons_uncertainty.png``: its epistemic uncertainty, the mutual
  information between the label and the weights. It is near zero within the
  training data away from the boundary, and largest where the decision
  boundary runs on beyond the data: there the posterior draws disagree about
  where it lies, and the disagreement widens with the distance from the data.
  Empty regions that every draw puts on the same side of the boundary stay
  confident; a network's uncertainty follows the functions its posterior
  allows, not the distance itself. (The tutorial's tanh network saturates
  away from the data, so its draws agree almost everywhere there.)

Run: ``python examples/moons.py [--output-dir DIR]``
"""

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import scale  # noqa: E402

from skbnn import BayesianMLPClassifier  # noqa: E402

# The documentation's gallery runs each example in its folder, without __file__.
HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()
DEFAULT_OUTPUT_DIR = HERE / "output"


def _plot_surface(grid_x, grid_y, values, X, y, *, title, label, cmap, path):
    fig, ax = plt.subplots(figsize=(6, 5))
    contour = ax.contourf(grid_x, grid_y, values, levels=20, cmap=cmap)
    ax.scatter(X[y == 0, 0], X[y == 0, 1], s=8, color="tab:blue", label="class 0")
    ax.scatter(X[y == 1, 0], X[y == 1, 1], s=8, color="tab:red", label="class 1")
    fig.colorbar(contour, ax=ax, label=label)
    ax.set(title=title, xlabel="x1 (scaled)", ylabel="x2 (scaled)")
    ax.legend(loc="lower left")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def main(output_dir=DEFAULT_OUTPUT_DIR):
    """Fit, evaluate and plot; return the test accuracy and the fit seconds."""
    X, y = make_moons(noise=0.2, random_state=0, n_samples=1000)
    X = scale(X)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, random_state=0
    )

    # The tutorial's network is small enough to cross long plateaus on its way
    # (loss ~0.38 per sample, accuracy ~85%); a patience of 1000 epochs (3000
    # steps) waits them out, where the default of 200 epochs may not.
    clf = BayesianMLPClassifier(
        hidden_layer_sizes=(5, 5),
        activation="tanh",
        n_iter_no_change=1000,
        random_state=0,
    )
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    accuracy = clf.score(X_test, y_test)
    print(f"test accuracy: {accuracy:.1%}")
    print(f"fit time: {fit_seconds:.1f} s ({clf.n_iter_} epochs)")

    default = BayesianMLPClassifier(random_state=0).fit(X_train, y_train)
    default_accuracy = default.score(X_test, y_test)
    print(f"default network, (16, 16) ReLU: test accuracy {default_accuracy:.1%}")
    grid_x, grid_y = np.meshgrid(np.linspace(-3, 3, 120), np.linspace(-3, 3, 120))
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    mutual_information, proba = default.predict_uncertainty(
        grid, kind="mutual_information", return_proba=True
    )
    proba = proba[:, 1].reshape(grid_x.shape)
    mutual_information = mutual_information.reshape(grid_x.shape)

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = [output_dir / "moons_probability.png", output_dir / "moons_uncertainty.png"]
    _plot_surface(
        grid_x,
        grid_y,
        proba,
        X_test,
        y_test,
        title="Posterior predictive P(class 1)",
        label="probability",
        cmap="RdBu_r",
        path=paths[0],
    )
    _plot_surface(
        grid_x,
        grid_y,
        mutual_information,
        X_test,
        y_test,
        title="Epistemic uncertainty: mutual information of label and weights",
        label="nats",
        cmap="viridis",
        path=paths[1],
    )
    for path in paths:
        print(f"saved {path}")
    print(
        json.dumps(
            {
                "test_accuracy": accuracy,
                "fit_seconds": fit_seconds,
                "epochs": clf.n_iter_,
                "default_test_accuracy": default_accuracy,
            }
        )
    )
    return accuracy, fit_seconds


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    main(parser.parse_known_args()[0].output_dir)
