"""Class labels: Bernoulli, categorical and multilabel Bernoulli likelihoods.

Each draw's outputs are class probabilities; averaged over draws they are
``predict_proba``, and their entropies split the total uncertainty into its
aleatoric and epistemic parts (Depeweg et al., ICML 2018).
"""

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import entr

from .base import Likelihood, variance

CLASSIFICATION_UNCERTAINTY_KINDS = frozenset(
    {"entropy", "mutual_information", "expected_entropy", "std"}
)


def _normalised(proba):
    # Probabilities computed in float32 sum to one within ~1e-7; renormalised
    # in float64, every draw's probabilities sum to one to float64 precision.
    proba = proba.astype(np.float64)
    return proba / proba.sum(axis=-1, keepdims=True)


def _binary_entropy(proba):
    proba = proba.astype(np.float64)
    return entr(proba) + entr(1.0 - proba)


def _categorical_logp(value, logits):
    classes = pt.arange(logits.shape[-1])
    one_hot = pt.eq(pt.shape_padright(value), classes)
    return pt.sum(pt.where(one_hot, pt.special.log_softmax(logits, axis=-1), 0.0), -1)


class _OneLabelPerSample(Likelihood):
    """The prediction half of the Bernoulli and categorical likelihoods."""

    statistics = {
        "proba": _normalised,
        "proba_squared": lambda proba: np.square(_normalised(proba)),
        "entropy": lambda proba: entr(_normalised(proba)).sum(axis=-1),
    }
    uncertainty_kinds = CLASSIFICATION_UNCERTAINTY_KINDS

    def target_variable(self, name, dtype):
        """Symbolic targets: class indices."""
        return pt.vector(name, dtype="int32")

    def uncertainty(self, expectations, kind, posterior=None):
        """Per-sample uncertainty of the predictive class distribution.

        Parameters
        ----------
        expectations : dict of str to ndarray
            Posterior means of ``statistics``.
        kind : {"entropy", "mutual_information", "expected_entropy", "std"}
            ``"entropy"`` is the entropy of the posterior-mean probabilities
            (total uncertainty); it splits into ``"expected_entropy"``, the
            mean entropy of each draw's probabilities (aleatoric), and
            ``"mutual_information"``, their difference (epistemic). ``"std"``
            is the posterior standard deviation of the probability of the
            predicted class.
        posterior : skbnn.Posterior, default=None
            Not needed.

        Returns
        -------
        uncertainty : ndarray of shape (n_samples,)
        """
        proba = expectations["proba"]
        if kind == "std":
            predicted = np.argmax(proba, axis=1)[:, None]
            spread = variance(expectations["proba_squared"], proba)
            return np.sqrt(np.take_along_axis(spread, predicted, axis=1)[:, 0])
        total = entr(proba).sum(axis=1)
        if kind == "entropy":
            return total
        if kind == "expected_entropy":
            return expectations["entropy"]
        return np.maximum(total - expectations["entropy"], 0.0)


@dataclass(frozen=True)
class BernoulliLikelihood(_OneLabelPerSample):
    """Binary classification: one logit, ``y`` in {0, 1}."""

    n_outputs: int = 1
    inverse_link: str = "sigmoid"

    def observe(self, outputs, y):
        """Attach ``y ~ Bernoulli(sigmoid(outputs))`` to the model in context."""
        return pm.Bernoulli("y", logit_p=outputs[:, 0], observed=y)


@dataclass(frozen=True)
class CategoricalLikelihood(_OneLabelPerSample):
    """Multiclass classification: one logit per class, ``y`` in {0, ..., k - 1}."""

    n_outputs: int
    inverse_link: str = "softmax"

    def observe(self, outputs, y):
        """Attach ``y ~ Categorical(softmax(outputs))`` to the model in context."""
        # PyMC's Categorical picks each row's log-probability by indexing, which
        # PyTensor's JAX backend compiles to an int8 range that overflows for
        # batches of 128 rows or more; a one-hot mask computes the same sum.
        return pm.CustomDist(
            "y", outputs, logp=_categorical_logp, signature="(k)->()", observed=y
        )


@dataclass(frozen=True)
class MultilabelBernoulliLikelihood(Likelihood):
    """Multilabel classification: one logit per label, each label in {0, 1}.

    The labels are independent Bernoulli variables given the network, as in
    ``MLPClassifier``'s multilabel output layer of sigmoids. Each label is a
    two-class problem of its own, and its uncertainty kinds read as those of
    :class:`BernoulliLikelihood`, one number per sample and label.
    """

    n_outputs: int
    inverse_link: str = "sigmoid_each"

    # Each label's probability of being 1, from independent sigmoids.
    statistics = {
        "proba": lambda proba: proba.astype(np.float64),
        "proba_squared": lambda proba: np.square(proba.astype(np.float64)),
        "entropy": _binary_entropy,
    }
    uncertainty_kinds = CLASSIFICATION_UNCERTAINTY_KINDS

    def target_variable(self, name, dtype):
        """Symbolic targets: one 0/1 column per label."""
        return pt.matrix(name, shape=(None, self.n_outputs), dtype="int32")

    def observe(self, outputs, y):
        """Attach ``y[:, j] ~ Bernoulli(sigmoid(outputs[:, j]))`` to the model."""
        return pm.Bernoulli("y", logit_p=outputs, observed=y)

    def uncertainty(self, expectations, kind, posterior=None):
        """Per-sample, per-label uncertainty; an array (n_samples, n_labels)."""
        proba = expectations["proba"]
        if kind == "std":
            return np.sqrt(variance(expectations["proba_squared"], proba))
        total = _binary_entropy(proba)
        if kind == "entropy":
            return total
        if kind == "expected_entropy":
            return expectations["entropy"]
        return np.maximum(total - expectations["entropy"], 0.0)
