"""PyTensor building blocks of the networks.

Every block broadcasts over leading axes of its parameters, so the same code
serves the PyMC model (one set of weights) and prediction (a stack of posterior
draws with a leading draws axis).
"""

import pytensor.tensor as pt

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


def mlp(inputs, coefs, intercepts, activation):
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

    Returns
    -------
    outputs : TensorVariable of shape (..., n_samples, n_outputs)
        Pre-link outputs (logits or means).
    """
    hidden = ACTIVATIONS[activation]
    outputs = inputs
    n_layers = len(coefs)
    for i, (coef, intercept) in enumerate(zip(coefs, intercepts, strict=True)):
        outputs = dense(outputs, coef, intercept)
        if i < n_layers - 1:
            outputs = hidden(outputs)
    return outputs


def _expand_dims(tensor, axis, times):
    for _ in range(times):
        tensor = pt.expand_dims(tensor, axis)
    return tensor


def conv2d(images, kernel, bias):
    """Convolve (cross-correlate, valid) as patches times a weight matrix.

    The patches are gathered by slicing (im2col), so the layer is plain
    indexing and one matrix product, which every PyTensor backend compiles
    and which broadcasts over a leading axis of posterior draws. No reshape
    merges the samples axis with another: JAX needs the target shape of a
    reshape known when it traces the function.

    Parameters
    ----------
    images : TensorVariable of shape (..., n_samples, height, width, channels)
        Input feature maps, channels last, with static height and width.
    kernel : TensorVariable of shape (..., kernel_height, kernel_width, \
            channels, filters)
        Filters, with static trailing shape.
    bias : TensorVariable of shape (..., filters)
        One bias per filter.

    Returns
    -------
    outputs : TensorVariable of shape (..., n_samples, out_height, out_width, \
            filters)
        With ``out_height = height - kernel_height + 1``, likewise the width.
    """
    kernel_height, kernel_width, channels, filters = kernel.type.shape[-4:]
    height, width = images.type.shape[-3:-1]
    out_height = height - kernel_height + 1
    out_width = width - kernel_width + 1
    # Patch features ordered (row, column, channel), as the kernel flattens.
    patches = pt.concatenate(
        [
            images[..., row : row + out_height, column : column + out_width, :]
            for row in range(kernel_height)
            for column in range(kernel_width)
        ],
        axis=-1,
    )
    leading = [kernel.shape[i] for i in range(kernel.ndim - 4)]
    matrix = kernel.reshape(
        (*leading, kernel_height * kernel_width * channels, filters)
    )
    # matmul multiplies the trailing (columns, patch features) matrices; unit
    # axes for (samples, rows) broadcast the kernel over them, and the patches
    # over the draws axis when there is one.
    outputs = pt.matmul(patches, _expand_dims(matrix, -3, 2))
    return outputs + _expand_dims(bias, -2, 3)


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
