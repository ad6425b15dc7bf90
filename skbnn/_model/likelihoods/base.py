"""What every likelihood is: both halves of one observation model.

The first half is how PyMC observes the targets: the width of the network's
output layer, the symbolic targets, and the observed variable that
``skbnn._model.build.build.build_model`` attaches to the model. The second half is
how a fitted posterior predicts with it: the inverse link applied to each
draw's outputs, the statistics averaged over draws, and the uncertainty
kinds read from those averages. A regression likelihood adds its noise (its
variance, draws and log-density, ``skbnn._model.build.likelihoods.regression``).

The posterior is passed in where a likelihood needs its own free variables
(the noise scale, say), through :class:`skbnn.Posterior`'s generic accessors:
the posterior knows no likelihood.
"""

import numpy as np
import pytensor.tensor as pt


def _two_class_probabilities(logits):
    positive = pt.sigmoid(logits)
    return pt.concatenate([1.0 - positive, positive], axis=-1)


# A heteroscedastic network's log noise ratio is clipped to +/- this: far
# beyond any real change of the noise (e^20 is 5e8), and far inside float32,
# whose exp overflows past 88. A weight draw that meets an extreme input row
# could otherwise make the noise infinite, the ELBO too, at any step size.
LOG_RATIO_BOUND = 20.0


def noise_ratio(log_ratio):
    """``exp(log_ratio)``, the log ratio clipped to +/- ``LOG_RATIO_BOUND``."""
    return pt.exp(pt.clip(log_ratio, -LOG_RATIO_BOUND, LOG_RATIO_BOUND))


def _mean_and_noise_variance(outputs):
    # The second half of the outputs is the log of each target's noise std
    # relative to its level; its square is the variance relative to it.
    n_targets = outputs.shape[-1] // 2
    mean, log_std = outputs[..., :n_targets], outputs[..., n_targets:]
    return pt.concatenate([mean, pt.square(noise_ratio(log_std))], axis=-1)


# Each likelihood names its inverse link; the key, not the function, goes into
# the prediction's compile cache.
INVERSE_LINKS = {
    "exp": pt.exp,
    "identity": lambda outputs: outputs,
    "mean_and_noise_variance": _mean_and_noise_variance,
    "sigmoid": _two_class_probabilities,
    "sigmoid_each": pt.sigmoid,
    "softmax": lambda logits: pt.special.softmax(logits, axis=-1),
}


def variance(second_moment, first_moment):
    """``E[x^2] - E[x]^2``, clipped at zero, which rounding can dip below."""
    return np.maximum(second_moment - np.square(first_moment), 0.0)


class Likelihood:
    """Base of the likelihoods; each family is a frozen dataclass below it.

    Subclasses set ``inverse_link`` (a key of ``INVERSE_LINKS``),
    ``statistics`` (name to a function of per-draw outputs, shaped
    ``(n_draws, n_rows, n_outputs)``, that returns leading axes
    ``(n_draws, n_rows)``), ``uncertainty_kinds``, and implement
    :meth:`target_variable`, :meth:`observe` and :meth:`uncertainty`.
    """

    statistics: dict = {}
    uncertainty_kinds: frozenset = frozenset()

    @property
    def n_network_outputs(self):
        """int: width of the network's output layer."""
        return self.n_outputs

    def target_variable(self, name, dtype):
        """Return the symbolic minibatch of targets."""
        raise NotImplementedError

    def observe(self, outputs, y):
        """Attach the observed variable ``"y"`` to the PyMC model in context."""
        raise NotImplementedError

    def uncertainty(self, expectations, kind, posterior):
        """Return uncertainty ``kind`` from the posterior means of ``statistics``."""
        raise NotImplementedError

    def prediction_outputs(self, draw_outputs, posterior, members):
        """Complete each draw's outputs with the likelihood's own draws.

        Parameters
        ----------
        draw_outputs : iterable of (slice, slice, ndarray)
            As ``skbnn._prediction.mixin.draws.iter_draw_outputs`` yields them.
        posterior : skbnn.Posterior
            The fitted posterior.
        members : ndarray of int of shape (n_draws,)
            The member of the posterior each draw comes from.

        Returns
        -------
        draw_outputs : iterable of (slice, slice, ndarray)
            The same by default.
        """
        return draw_outputs

    def initial_posterior(self, posterior, network, variable_names):
        """Adjust a run's initial posterior to the likelihood; by default, keep it."""
        return posterior
