"""
A Bayesian convolutional network on scikit-learn's digits
=========================================================

:class:`~skbnn.BayesianConvClassifier` on the 8x8 digits that scikit-learn
ships: one block of eight 3x3 kernels, 2x2 max-pooling and a dense layer of
32 units, every kernel, weight and bias with a ``Normal(0, 1)`` prior,
fitted with the package's other defaults on half the images. Does its
uncertainty tell its mistakes apart? The MNIST-sized version of this network
is ``examples/mnist_conv.py``.
"""

# %%
# Fitting
# -------
# Images of shape ``(n, 8, 8)`` go in as they are: the estimator reads their
# shape (one channel).
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from skbnn import BayesianConvClassifier
from skbnn.metrics import expected_calibration_error

digits = load_digits()
images = digits.images / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    images, digits.target, test_size=0.5, random_state=0
)
clf = BayesianConvClassifier(
    conv_layers=((8, 3),), hidden_layer_sizes=(32,), random_state=0
)
start = time.perf_counter()
clf.fit(X_train, y_train)
fit_seconds = time.perf_counter() - start
print(f"fit time: {fit_seconds:.1f} s ({clf.n_iter_} epochs)")

# %%
# Accuracy, calibration, and the mistakes
# ---------------------------------------
# The mutual information between the label and the weights measures how much
# the posterior's networks disagree on an image. If it is high where the
# network is wrong, it can route the doubtful digits to a person: the AUROC
# below is the chance that a misclassified digit gets a higher mutual
# information than a correctly classified one.
mutual_information, proba = clf.predict_uncertainty(
    X_test, kind="mutual_information", return_proba=True
)
wrong = proba.argmax(axis=1) != y_test
figures = {
    "test_accuracy": float(1 - wrong.mean()),
    "test_log_loss": float(log_loss(y_test, proba, labels=clf.classes_)),
    "test_ece": expected_calibration_error(y_test, proba),
    "misclassified_auroc": float(roc_auc_score(wrong, mutual_information)),
    "fit_seconds": fit_seconds,
    "epochs": clf.n_iter_,
}
print(
    f"test accuracy {figures['test_accuracy']:.1%}, log loss "
    f"{figures['test_log_loss']:.3f}, ECE {figures['test_ece']:.3f}"
)
print(
    "mutual information picks out the misclassified test digits with "
    f"AUROC {figures['misclassified_auroc']:.3f}"
)

# %%
# The digits it is least and most unsure of
# -----------------------------------------
# Each with the predicted class, its probability and the mutual information.
n = 8
order = np.argsort(mutual_information)
fig, axes = plt.subplots(2, n, figsize=(1.3 * n, 3.4))
rows = [(order[:n], "least unsure"), (order[-n:][::-1], "most unsure")]
for row, (indices, label) in enumerate(rows):
    for ax, index in zip(axes[row], indices, strict=True):
        ax.imshow(X_test[index], cmap="gray_r")
        predicted = proba[index].argmax()
        ax.set_title(
            f"{predicted} ({proba[index, predicted]:.2f})\n"
            f"MI {mutual_information[index]:.2f}",
            fontsize=8,
        )
        ax.axis("off")
    axes[row, 0].text(-6, 3.5, label, fontsize=9, ha="right", va="center")
fig.suptitle("Test digits by mutual information: prediction (probability)")

# sphinx_gallery_start_ignore
# Command-line runs save the picture and print the figures as one JSON line.
if "__file__" in globals():
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Digits, conv net.")
    parser.add_argument(
        "--output-dir", type=Path, default=Path(__file__).parent / "output"
    )
    output_dir = parser.parse_known_args()[0].output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(output_dir / "digits_conv.png", dpi=100, bbox_inches="tight")
    print(f"saved {output_dir / 'digits_conv.png'}")
    print(json.dumps(figures))
# sphinx_gallery_end_ignore
