"""Observation models: how network outputs explain the targets.

A likelihood knows the width of the network's output layer, how to attach the
observed targets to a PyMC model, and which inverse link turns outputs into the
quantities that are averaged over posterior draws at prediction time.
"""

from dataclasses import dataclass

import pymc as pm
import pytensor.tensor as pt

NOISE_NAME = "noise_std"
# PyMC infers positive variables such as the noise scale on the log scale, and
# the mean-field posterior is Gaussian in that unconstrained space.
NOISE_VALUE_NAME = f"{NOISE_NAME}_log__"


def _two_class_probabilities(logits):
    positive = pt.sigmoid(logits)
    return pt.concatenate([1.0 - positive, positive], axis=-1)


def _mean_and_noise_variance(outputs):
    # The second half of the outputs is the log of each target's noise std
    # relative to its level; exp(2 log_ratio) is the variance relative to it.
    n_targets = outputs.shape[-1] // 2
    mean, log_std = outputs[..., :n_targets], outputs[..., n_targets:]
    return pt.concatenate([mean, pt.exp(2.0 * log_std)], axis=-1)


INVERSE_LINKS = {
    "identity": lambda outputs: outputs,
    "mean_and_noise_variance": _mean_and_noise_variance,
    "sigmoid": _two_class_probabilities,
    "sigmoid_each": pt.sigmoid,
    "softmax": lambda logits: pt.special.softmax(logits, axis=-1),
}


def _categorical_logp(value, logits):
    classes = pt.arange(logits.shape[-1])
    one_hot = pt.eq(pt.shape_padright(value), classes)
    return pt.sum(pt.where(one_hot, pt.special.log_softmax(logits, axis=-1), 0.0), -1)


class _OneOutputPerTarget:
    """The network has one output per target (``n_outputs`` of them)."""

    @property
    def n_network_outputs(self):
        """int: width of the network's output layer."""
        return self.n_outputs


@dataclass(frozen=True)
class BernoulliLikelihood(_OneOutputPerTarget):
    """Binary classification: one logit, ``y`` in {0, 1}."""

    n_outputs: int = 1
    inverse_link: str = "sigmoid"

    def target_variable(self, name, dtype):
        """Symbolic targets: class indices."""
        return pt.vector(name, dtype="int32")

    def observe(self, outputs, y):
        """Attach ``y ~ Bernoulli(sigmoid(outputs))`` to the model in context."""
        return pm.Bernoulli("y", logit_p=outputs[:, 0], observed=y)


@dataclass(frozen=True)
class MultilabelBernoulliLikelihood(_OneOutputPerTarget):
    """Multilabel classification: one logit per label, each label in {0, 1}.

    The labels are independent Bernoulli variables given the network, as in
    ``MLPClassifier``'s multilabel output layer of sigmoids.
    """

    n_outputs: int
    inverse_link: str = "sigmoid_each"

    def target_variable(self, name, dtype):
        """Symbolic targets: one 0/1 column per label."""
        return pt.matrix(name, shape=(None, self.n_outputs), dtype="int32")

    def observe(self, outputs, y):
        """Attach ``y[:, j] ~ Bernoulli(sigmoid(outputs[:, j]))`` to the model."""
        return pm.Bernoulli("y", logit_p=outputs, observed=y)


@dataclass(frozen=True)
class CategoricalLikelihood(_OneOutputPerTarget):
    """Multiclass classification: one logit per class, ``y`` in {0, ..., k - 1}."""

    n_outputs: int
    inverse_link: str = "softmax"

    def target_variable(self, name, dtype):
        """Symbolic targets: class indices."""
        return pt.vector(name, dtype="int32")

    def observe(self, outputs, y):
        """Attach ``y ~ Categorical(softmax(outputs))`` to the model in context."""
        # PyMC's Categorical picks each row's log-probability by indexing, which
        # PyTensor's JAX backend compiles to an int8 range that overflows for
        # batches of 128 rows or more; a one-hot mask computes the same sum.
        return pm.CustomDist(
            "y", outputs, logp=_categorical_logp, signature="(k)->()", observed=y
        )


@dataclass(frozen=True)
class NormalLikelihood(_OneOutputPerTarget):
    """Regression: ``y ~ Normal(outputs, noise_std)`` with the noise learned.

    Parameters
    ----------
    n_outputs : int
        Number of regression targets; each has its own noise scale.
    noise_prior_scale : float, default=1.0
        Scale of the HalfNormal prior on each noise standard deviation.
    """

    n_outputs: int
    noise_prior_scale: float = 1.0
    inverse_link: str = "identity"

    def target_variable(self, name, dtype):
        """Symbolic targets: one column per output."""
        return pt.matrix(name, shape=(None, self.n_outputs), dtype=dtype)

    def noise_level(self):
        """Create each target's noise std under its HalfNormal prior."""
        return pm.HalfNormal(
            NOISE_NAME, sigma=self.noise_prior_scale, shape=(self.n_outputs,)
        )

    def observe(self, outputs, y):
        """Attach the Normal likelihood and its noise prior to the model."""
        return pm.Normal("y", mu=outputs, sigma=self.noise_level(), observed=y)


@dataclass(frozen=True)
class HeteroscedasticNormalLikelihood(NormalLikelihood):
    """Regression: ``y ~ Normal(mean(x), noise_std * exp(log_ratio(x)))``.

    The network has two outputs per target: its mean and the log of the ratio
    of its noise standard deviation to a learned level ``noise_std``, both
    functions of the input sharing the hidden layers, under the weight prior;
    ``noise_std`` has the HalfNormal prior of :class:`NormalLikelihood`.
    With the ratio's output weights at zero the model is the homoscedastic
    one, which is where a fit starts.

    Parameters
    ----------
    n_outputs : int
        Number of regression targets.
    noise_prior_scale : float, default=1.0
        Scale of the HalfNormal prior on each noise level.
    """

    inverse_link: str = "mean_and_noise_variance"

    @property
    def n_network_outputs(self):
        """int: width of the network's output layer, a mean and a log ratio each."""
        return 2 * self.n_outputs

    def observe(self, outputs, y):
        """Attach the Normal likelihood with input-dependent noise."""
        mean, log_ratio = outputs[:, : self.n_outputs], outputs[:, self.n_outputs :]
        sigma = self.noise_level() * pt.exp(log_ratio)
        return pm.Normal("y", mu=mean, sigma=sigma, observed=y)
