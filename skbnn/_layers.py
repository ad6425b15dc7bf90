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
