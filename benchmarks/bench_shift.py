"""Does it know what it does not know? MNIST under shift, side by side.

Fits, on the same MNIST training images, network (784-800-800-10 by default)
and epoch budget:

- skbnn's ``BayesianMLPClassifier`` with the MNIST example's settings
  (batches of 128, an Adam step of 1e-3, 30 posterior draws at prediction);
- scikit-learn's ``MLPClassifier``;
- a deep ensemble: ``--members`` ``MLPClassifier``s from other seeds, their
  probabilities averaged (Lakshminarayanan et al. 2017, without adversarial
  training).

Then it measures, for each, on held-out images:

- accuracy, NLL, Brier score and top-label ECE (15 bins) on test digits
  rotated by 0, 15, ..., 180 degrees (the rotation protocol of Ovadia et al.
  2019);
- the AUROC of telling test digits from images of another kind, by the
  predictive entropy (all three) and by the mutual information (skbnn's
  posterior draws, the ensemble's members): letters A-J rendered in the fonts
  matplotlib ships (as notMNIST is made), 28x28 patches of scikit-learn's
  sample photographs, uniform noise, the test digits under one fixed pixel
  permutation, and inverted digits. All are made here, offline.

It saves a figure of both (``--output-dir``), prints every figure and ends
with one JSON line. Asserts nothing.

Run: ``python benchmarks/bench_shift.py --data-dir ../shared/data/mnist``
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402
from scipy.ndimage import rotate  # noqa: E402
from sklearn.datasets import load_sample_images  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

from skbnn import BayesianMLPClassifier  # noqa: E402
from skbnn.datasets import load_mnist  # noqa: E402
from skbnn.metrics import expected_calibration_error  # noqa: E402

DEFAULT_DATA_DIR = Path(__file__).parent.parent.parent / "shared" / "data" / "mnist"
DEFAULT_OUTPUT_DIR = Path(__file__).parent / "output"
ANGLES = tuple(range(0, 181, 15))
LETTERS = "ABCDEFGHIJ"


def calibration_figures(proba, y, n_bins=15):
    """Accuracy, NLL, Brier score and top-label ECE of probabilities ``proba``."""
    rows = np.arange(len(y))
    correct = proba.argmax(axis=1) == y
    one_hot = np.zeros_like(proba)
    one_hot[rows, y] = 1
    return {
        "accuracy": float(correct.mean()),
        "nll": float(-np.mean(np.log(np.clip(proba[rows, y], 1e-12, None)))),
        "brier": float(np.mean(np.sum((proba - one_hot) ** 2, axis=1))),
        "ece": expected_calibration_error(y, proba, n_bins=n_bins),
    }


def rotated(images, angle):
    """28x28 images (rows of 784 pixels) rotated by ``angle`` degrees."""
    square = images.reshape(-1, 28, 28)
    turned = rotate(square, angle, axes=(1, 2), reshape=False, order=1)
    return np.clip(turned, 0, 1).reshape(len(images), -1).astype(np.float32)


def _draws_letters(path):
    """Whether the font draws A-J as ten glyphs that differ from one another."""
    font = ImageFont.truetype(str(path), 22)
    glyphs = set()
    for letter in LETTERS:
        canvas = Image.new("L", (28, 28))
        ImageDraw.Draw(canvas).text((14, 14), letter, fill=255, font=font, anchor="mm")
        glyphs.add(canvas.tobytes() if canvas.getbbox() else None)
    return None not in glyphs and len(glyphs) == len(LETTERS)


def _font_files():
    # matplotlib also ships symbol fonts (cmex10: delimiters) and fonts with
    # no Latin letters; keep those that draw the letters.
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return [
        path
        for path in sorted(fonts.glob("*.ttf"))
        if not path.name.startswith("cmex") and _draws_letters(path)
    ]


def letters(n, rng):
    """Letters A-J in matplotlib's fonts, white on black, size and place jittered."""
    fonts = _font_files()
    images = np.empty((n, 28 * 28), dtype=np.float32)
    for i in range(n):
        font = ImageFont.truetype(
            str(fonts[rng.integers(len(fonts))]), rng.integers(18, 25)
        )
        canvas = Image.new("L", (28, 28))
        offset = rng.integers(-2, 3, size=2)
        ImageDraw.Draw(canvas).text(
            (14 + offset[0], 14 + offset[1]),
            LETTERS[rng.integers(10)],
            fill=255,
            font=font,
            anchor="mm",
        )
        images[i] = np.asarray(canvas, dtype=np.float32).ravel() / 255
    return images


def photo_patches(n, rng):
    """Grey 28x28 patches of scikit-learn's two sample photographs."""
    photos = [img.mean(axis=2) / 255 for img in load_sample_images().images]
    images = np.empty((n, 28 * 28), dtype=np.float32)
    for i in range(n):
        photo = photos[rng.integers(len(photos))]
        top = rng.integers(photo.shape[0] - 56)
        left = rng.integers(photo.shape[1] - 56)
        patch = photo[top : top + 56, left : left + 56]
        images[i] = patch.reshape(28, 2, 28, 2).mean(axis=(1, 3)).ravel()
    return images


def out_of_distribution_sets(X_test, rng):
    """The five sets of images that are not digits, as many as ``X_test``."""
    n = len(X_test)
    permutation = rng.permutation(X_test.shape[1])
    return {
        "letters": letters(n, rng),
        "photos": photo_patches(n, rng),
        "uniform_noise": rng.uniform(size=X_test.shape).astype(np.float32),
        "permuted": X_test[:, permutation],
        "inverted": 1 - X_test,
    }


def _entropy(proba):
    return -np.sum(proba * np.log(np.clip(proba, 1e-12, None)), axis=1)


def _auroc(inside, outside):
    labels = np.r_[np.zeros(len(inside)), np.ones(len(outside))]
    return float(roc_auc_score(labels, np.r_[inside, outside]))


class Bayesian:
    """skbnn's network: probabilities and mutual information from its draws."""

    label = "skbnn BayesianMLPClassifier"

    def __init__(self, estimator):
        self.estimator = estimator

    def predict(self, X):
        """Probabilities, predictive entropy and mutual information."""
        kinds, proba = self.estimator.predict_uncertainty(
            X, kind="all", return_proba=True
        )
        return proba, kinds["entropy"], kinds["mutual_information"]


class Plain:
    """One ``MLPClassifier``: no posterior, so no mutual information."""

    label = "MLPClassifier"

    def __init__(self, estimator):
        self.estimator = estimator

    def predict(self, X):
        """Probabilities and predictive entropy."""
        proba = self.estimator.predict_proba(X)
        return proba, _entropy(proba), None


class DeepEnsemble:
    """Averaged ``MLPClassifier`` probabilities; members disagreeing is the MI."""

    def __init__(self, members):
        self.members = members
        self.label = f"deep ensemble of {len(members)} MLPClassifiers"

    def predict(self, X):
        """Probabilities, predictive entropy and the members' mutual information."""
        member_proba = np.stack([m.predict_proba(X) for m in self.members])
        proba = member_proba.mean(axis=0)
        entropy = _entropy(proba)
        return (
            proba,
            entropy,
            entropy - np.mean([_entropy(p) for p in member_proba], axis=0),
        )


def _fit(estimator, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        # A fixed epoch budget ends before the loss stops improving.
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    return time.perf_counter() - start


def measure(model, X_test, y_test, ood_sets):
    """Figures by rotation angle and OOD AUROCs by uncertainty kind."""
    by_angle = {}
    for angle in ANGLES:
        proba, entropy, mutual_information = model.predict(rotated(X_test, angle))
        by_angle[angle] = calibration_figures(proba, y_test)
        if angle == 0:
            inside = {"entropy": entropy, "mutual_information": mutual_information}
    auroc = {}
    for name, X_ood in ood_sets.items():
        _, entropy, mutual_information = model.predict(X_ood)
        outside = {"entropy": entropy, "mutual_information": mutual_information}
        auroc[name] = {
            kind: _auroc(inside[kind], outside[kind])
            for kind in outside
            if outside[kind] is not None
        }
    return by_angle, auroc


def _print_table(results, key):
    labels = list(results)
    print(f"\n{key} by rotation (degrees): " + " | ".join(labels))
    for angle in ANGLES:
        cells = " | ".join(f"{results[m]['rotation'][angle][key]:.4f}" for m in labels)
        print(f"  {angle:3d}: {cells}")


def _plot(results, path):
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for label, result in results.items():
        for ax, key in zip(axes[:2], ("accuracy", "ece"), strict=True):
            ax.plot(
                ANGLES, [result["rotation"][a][key] for a in ANGLES], "o-", label=label
            )
            ax.set(xlabel="rotation (degrees)", ylabel=key, xticks=ANGLES[::2])
    axes[0].legend(fontsize=8)
    axes[0].set_title("Accuracy on rotated test digits")
    axes[1].set_title("Calibration error (ECE) on rotated digits")
    sets = list(next(iter(results.values()))["auroc"])
    width = 0.8 / len(results)
    for i, (label, result) in enumerate(results.items()):
        best = [max(result["auroc"][s].values()) for s in sets]
        axes[2].bar(np.arange(len(sets)) + i * width, best, width, label=label)
    axes[2].set(
        xticks=np.arange(len(sets)) + width * (len(results) - 1) / 2,
        ylim=(0.5, 1.0),
        ylabel="AUROC (best uncertainty kind)",
        title="Telling digits from other images",
    )
    axes[2].set_xticklabels(sets, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(
    data_dir=DEFAULT_DATA_DIR,
    output_dir=DEFAULT_OUTPUT_DIR,
    *,
    hidden_layer_sizes=(800, 800),
    epochs=15,
    n_train=None,
    n_test=2000,
    members=3,
    n_posterior_draws=30,
    random_state=0,
):
    X, y = load_mnist(data_dir, "train")
    X_test, y_test = load_mnist(data_dir, "test")
    X, y = X[:n_train], y[:n_train]
    rng = np.random.default_rng(random_state)
    chosen = rng.choice(len(X_test), size=min(n_test, len(X_test)), replace=False)
    X_test, y_test = X_test[chosen], y_test[chosen]
    ood_sets = out_of_distribution_sets(X_test, rng)

    network = dict(
        hidden_layer_sizes=hidden_layer_sizes, batch_size=128, max_iter=epochs
    )
    bayesian = BayesianMLPClassifier(
        **network,
        learning_rate_init=1e-3,
        n_posterior_draws=n_posterior_draws,
        random_state=random_state,
    )
    ensemble = [
        MLPClassifier(**network, random_state=random_state + i) for i in range(members)
    ]
    models = [Bayesian(bayesian), Plain(ensemble[0]), DeepEnsemble(ensemble)]
    fit_seconds = {
        models[0].label: _fit(bayesian, X, y),
        models[1].label: _fit(ensemble[0], X, y),
    }
    fit_seconds[models[2].label] = fit_seconds[models[1].label] + sum(
        _fit(member, X, y) for member in ensemble[1:]
    )
    results = {}
    for model in models:
        rotation, auroc = measure(model, X_test, y_test, ood_sets)
        results[model.label] = {
            "fit_seconds": fit_seconds[model.label],
            "rotation": rotation,
            "auroc": auroc,
        }
        print(f"{model.label}: fit {fit_seconds[model.label]:.0f} s")
        for name, by_kind in auroc.items():
            cells = ", ".join(f"{kind} {value:.3f}" for kind, value in by_kind.items())
            print(f"  OOD AUROC {name}: {cells}")
    for key in ("accuracy", "nll", "brier", "ece"):
        _print_table(results, key)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    _plot(results, output_dir / "bench_shift.png")
    print(f"saved {output_dir / 'bench_shift.png'}")
    settings = dict(
        hidden_layer_sizes=list(hidden_layer_sizes),
        epochs=epochs,
        n_train=len(X),
        n_test=len(X_test),
        members=members,
        n_posterior_draws=n_posterior_draws,
    )
    print(json.dumps({"settings": settings, "results": results}))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--hidden", type=int, nargs="+", default=[800, 800])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--n-train", type=int, default=None, help="default: all 60k")
    parser.add_argument("--n-test", type=int, default=2000, help="images per set")
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--draws", type=int, default=30)
    args = parser.parse_args()
    try:
        main(
            args.data_dir,
            args.output_dir,
            hidden_layer_sizes=tuple(args.hidden),
            epochs=args.epochs,
            n_train=args.n_train,
            n_test=args.n_test,
            members=args.members,
            n_posterior_draws=args.draws,
        )
    except FileNotFoundError as error:
        parser.exit(2, f"error: {error}\n")
