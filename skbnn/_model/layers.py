"""PyTensor building blocks of the networks.

Every block broadcasts over leading axes of its parameters, so the same code
serves the PyMC model (one set of weights) and prediction (a stack of posterior
draws with a leading draws axis). The layers with weights are reached through
a ``layers`` object (:data:`DRAWN_WEIGHTS` here), so that the ADVI step can
swap in layers that sample their outputs instead of their weights
(``skbnn._inference.sampled_layers``).
"""

import pytensor.tensor as pt

from .convolution import Convolution2d

ACTIVATIONS = {
    "identity": lambda x: x,
    "logistic": pt.sigmoid,
    "tanh": pt.tanh,
    "relu": lambda x: pt.maximum(x, 0.0),
}


def dense(inputs, coef, intercept):
    """Affine layer ``inputs @ coef + intercept``.

    Parameters
    ----------
    inputs : TensorVariable of shape (..., n_samples, n_in)
        Layer inputs.
    coef : TensorVariable of shape (..., n_in, n_out)
        Weights.
    intercept : TensorVariable of shape (..., n_out)
        Biases.

    Returns
    -------
    outputs : TensorVariable of shape (..., n_samples, n_out)
    """
    return pt.matmul(inputs, coef) + pt.expand_dims(intercept, -2)


def mlp(inputs, coefs, intercepts, activation, layers=None):
    """Multi-layer perceptron with a linear output layer.

    Parameters
    ----------
    inputs : TensorVariable of shape (n_samples, n_features)
        Network inputs.
    coefs : list of TensorVariable
        Weights of each layer, shaped ``(..., n_in, n_out)``.
    intercepts : list of TensorVariable
        Biases of each layer, shaped ``(..., n_out)``.
    activation : {"identity", "logistic", "tanh", "relu"}
        Activation of the hidden layers.
    layers : object, default=None
        Provides ``dense``; None is :data:`DRAWN_WEIGHTS`.

    Returns
    -------
    outputs : TensorVariable of shape (..., n_samples, n_outputs)
        Pre-link outputs (logits or means).
    """
    layers = DRAWN_WEIGHTS if layers is None else layers
    hidden = ACTIVATIONS[activation]
    outputs = inputs
    n_layers = len(coefs)
    for i, (coef, intercept) in enumerate(zip(coefs, intercepts, strict=True)):
        outputs = layers.dense(outputs, coef, intercept)
        if i < n_layers - 1:
            outputs = hidden(outputs)
    return outputs


def conv2d(images, kernel, bias=None):
    """Convolve (cross-correlate, valid) channels-last images with a kernel.

    Parameters
    ----------
    images : TensorVariable of shape ([draws,] n_samples, height, width, \
            channels)
        Input feature maps, with static height and width.
    kernel : TensorVariable of shape ([draws,] kernel_height, kernel_width, \
            channels, filters)
        Filters, with static trailing shape. With a draws axis and images
        without one, every draw filters the same images.
    bias : TensorVariable of shape ([draws,] filters), default=None
        One bias per filter; None adds none.

    Returns
    -------
    outputs : TensorVariable of shape ([draws,] n_samples, out_height, \
            out_width, filters)
        With ``out_height = height - kernel_height + 1``, likewise the width.
    """
    outputs = Convolution2d()(images, kernel)
    return outputs if bias is None else add_channel_bias(outputs, bias)


def add_channel_bias(images, bias):
    """Add one bias per channel to feature maps.

    Parameters
    ----------
    images : TensorVariable of shape ([draws,] n_samples, height, width, \
            channels)
        Feature maps.
    bias : TensorVariable of shape ([draws,] channels)
        Biases; those of each draw broadcast over samples, rows and columns.

    Returns
    -------
    outputs : TensorVariable, shaped as ``images``
    """
    for _ in range(3):
        bias = pt.expand_dims(bias, -2)
    return images + bias


def max_pool2d(images, pool_height, pool_width):
    """Non-overlapping max-pooling; rows and columns left over are dropped.

    Parameters
    ----------
    images : TensorVariable of shape (..., n_samples, height, width, channels)
        Input feature maps with static height and width.
    pool_height, pool_width : int
        Window size.

    Returns
    -------
    outputs : TensorVariable of shape (..., n_samples, height // pool_height, \
            width // pool_width, channels)
    """
    height, width = images.type.shape[-3:-1]
    rows = (height // pool_height) * pool_height
    columns = (width // pool_width) * pool_width
    # The maximum over strided slices, one per position in the window.
    offsets = [
        images[..., row:rows:pool_height, column:columns:pool_width, :]
        for row in range(pool_height)
        for column in range(pool_width)
    ]
    pooled = offsets[0]
    for offset in offsets[1:]:
        pooled = pt.maximum(pooled, offset)
    return pooled


class DrawnWeightLayers:
    """The layers with weights, for weights that are tensors.

    A draw of the weights, or a stack of draws with a leading axis, as the
    model and prediction hold them.
    """

    dense = staticmethod(dense)
    conv2d = staticmethod(conv2d)
    add_channel_bias = staticmethod(add_channel_bias)


DRAWN_WEIGHTS = DrawnWeightLayers()
