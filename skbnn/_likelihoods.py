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
# The Student-t likelihood's degrees of freedom are 2 plus this variable, so
# that its noise has a variance; PyMC infers it on the log scale too.
DF_EXCESS_NAME = "df_excess"
# Gamma(2, 0.1) on the excess: mean 20 (nearly Normal noise) with room for
# heavy tails (Juarez and Steel, "Model-based clustering of non-Gaussian
# panel data based on skew-t distributions", JBES 2010, use it on the df).
DF_EXCESS_ALPHA, DF_EXCESS_BETA = 2.0, 0.1


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
        return self._observed(outputs, self.noise_level(), y)

    def _observed(self, mean, scale, y):
        return pm.Normal("y", mu=mean, sigma=scale, observed=y)


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
        return self._observed(mean, self.noise_level() * pt.exp(log_ratio), y)


class _StudentTObservations:
    """Student-t noise in place of the Normal: ``y ~ t_nu(mean, scale)``.

    ``nu = 2 + df_excess`` per target, with ``df_excess ~ Gamma(2, 0.1)``:
    the noise keeps a finite variance, ``scale**2 * nu / (nu - 2)``, and the
    data decide how heavy its tails are. Outlying rows pull the network's
    mean less than under Normal noise.
    """

    def _observed(self, mean, scale, y):
        df_excess = pm.Gamma(
            DF_EXCESS_NAME,
            alpha=DF_EXCESS_ALPHA,
            beta=DF_EXCESS_BETA,
            shape=(self.n_outputs,),
        )
        return pm.StudentT("y", nu=2.0 + df_excess, mu=mean, sigma=scale, observed=y)


@dataclass(frozen=True)
class StudentTLikelihood(_StudentTObservations, NormalLikelihood):
    """Regression: ``y ~ StudentT(2 + df_excess, outputs, noise_std)``.

    The noise scale ``noise_std`` has the HalfNormal prior of
    :class:`NormalLikelihood`; see :class:`_StudentTObservations` for the
    degrees of freedom.
    """


@dataclass(frozen=True)
class HeteroscedasticStudentTLikelihood(
    _StudentTObservations, HeteroscedasticNormalLikelihood
):
    """Regression: Student-t noise whose scale depends on the input.

    The scale is that of :class:`HeteroscedasticNormalLikelihood`; the degrees
    of freedom those of :class:`StudentTLikelihood`.
    """
