"""Layers that sample their outputs, not their weights: the "local" estimator.

Under a mean-field Gaussian posterior, a dense layer's pre-activations given
its inputs are Gaussian too, with a mean and a variance that two matrix
products give (the local reparameterization trick of Kingma, Salimans and
Welling, "Variational Dropout and the Local Reparameterization Trick",
NeurIPS 2015). Sampling them, independently for each row of a minibatch,
gives each row's likelihood term the distribution it has under a draw of the
weights, so the ELBO estimate keeps its expectation; but the rows no longer
share one draw, and the gradient's variance falls with the batch size. A
convolution's outputs are not independent across positions, so its kernel
gets Flipout instead (Wen, Vicol, Ba, Tran and Grosse, "Flipout: Efficient
Pseudo-Independent Weight Perturbations on Mini-Batches", ICLR 2018): one
perturbation of the kernel, multiplied by random signs of each row's input
and output channels, which leaves each row's distribution unchanged and
decorrelates the rows.
"""

from dataclasses import dataclass

import numpy as np
import pytensor
import pytensor.tensor as pt

from .._model.layers import conv2d, dense


@dataclass(frozen=True)
class GaussianWeights:
    """Weights with independent Gaussian entries, held as mean and std.

    Attributes
    ----------
    mean, std : TensorVariable
        Of the weights' shape.
    """

    mean: object
    std: object

    @property
    def ndim(self):
        """int: dimensions of the weights, which the networks read."""
        return self.mean.ndim


def normal_draw(rng, shape, dtype):
    """Return a symbolic N(0, 1) draw of ``shape`` and the RNG's next state."""
    try:  # PyTensor 3 hands out the next RNG state when asked to.
        next_rng, draw = pt.random.normal(
            size=shape, dtype=dtype, rng=rng, return_next_rng=True
        )
    except TypeError:  # PyTensor 2 keeps it as the draw's first output.
        draw = pt.random.normal(size=shape, dtype=dtype, rng=rng)
        next_rng = draw.owner.outputs[0]
    return draw, next_rng


class NoiseSource:
    """Standard-normal draws from one RNG, chained within a graph.

    Parameters
    ----------
    dtype : str
        Float type of the draws.
    """

    def __init__(self, dtype):
        self.rng = pytensor.shared(np.random.default_rng())
        self._state = self.rng
        self.dtype = dtype

    def normal(self, shape):
        """Return a fresh N(0, 1) draw of ``shape``."""
        draw, self._state = normal_draw(self._state, shape, self.dtype)
        return draw

    def signs(self, shape):
        """Return independent random signs, -1 or +1 with equal odds."""
        return pt.sign(self.normal(shape))

    def updates(self):
        """Return the RNG's update, so that every call draws afresh."""
        return {self.rng: self._state}


class SampledOutputLayers:
    """The layers with weights, for :class:`GaussianWeights`.

    Dense layers sample their pre-activations (the local reparameterization
    trick), convolutions perturb their kernel by Flipout, and the channel
    biases of convolutions are drawn for each row.

    Parameters
    ----------
    noise : NoiseSource
        Where the draws come from.
    """

    def __init__(self, noise):
        self.noise = noise

    def dense(self, inputs, coef, intercept):
        """Sample ``inputs @ coef + intercept``, one draw per row."""
        mean = dense(inputs, coef.mean, intercept.mean)
        variance = dense(
            pt.square(inputs), pt.square(coef.std), pt.square(intercept.std)
        )
        return mean + pt.sqrt(variance) * self.noise.normal(mean.shape)

    def conv2d(self, images, kernel):
        """Convolve ``images`` with a Flipout draw of ``kernel``."""
        n_samples = images.shape[0]
        channels, filters = kernel.mean.type.shape[-2:]
        perturbation = kernel.std * self.noise.normal(kernel.std.shape)
        input_signs = self.noise.signs((n_samples, 1, 1, channels))
        output_signs = self.noise.signs((n_samples, 1, 1, filters))
        flipped = conv2d(images * input_signs, perturbation) * output_signs
        return conv2d(images, kernel.mean) + flipped

    def add_channel_bias(self, images, bias):
        """Add a draw of the channel biases, one for each row."""
        draws = bias.mean + bias.std * self.noise.normal(
            (images.shape[0], *bias.mean.type.shape)
        )
        return images + draws[:, None, None, :]
