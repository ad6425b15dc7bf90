"""Architecture descriptions: parameter names and shapes, and the forward pass.

A network description is all that the model, the predictive code and the
fitted attributes need to know of an architecture, so a new network type is a
new description, not a fork of fitting and prediction.
"""

from dataclasses import dataclass
from itertools import pairwise

from ._layers import mlp


def coef_name(layer):
    """Name of the weight matrix of ``layer`` in the model and the posterior."""
    return f"coef_{layer}"


def intercept_name(layer):
    """Name of the bias vector of ``layer`` in the model and the posterior."""
    return f"intercept_{layer}"


@dataclass(frozen=True)
class MLPNetwork:
    """A multi-layer perceptron with a linear output layer.

    Parameters
    ----------
    layer_units : tuple of int
        Widths of all layers, input and output included.
    activation : str
        Hidden activation, a key of ``skbnn._layers.ACTIVATIONS``.
    """

    layer_units: tuple
    activation: str

    @property
    def n_features(self):
        """int: width of the input."""
        return self.layer_units[0]

    @property
    def n_weight_layers(self):
        """int: number of affine layers."""
        return len(self.layer_units) - 1

    def parameters(self):
        """Name, shape and fan-in of every weight and bias, layer by layer.

        Returns
        -------
        parameters : list of (str, tuple of int, int)
        """
        parameters = []
        for layer, (fan_in, fan_out) in enumerate(pairwise(self.layer_units)):
            parameters.append((coef_name(layer), (fan_in, fan_out), fan_in))
            parameters.append((intercept_name(layer), (fan_out,), fan_in))
        return parameters

    def forward(self, inputs, params):
        """Pre-link outputs of the network.

        Parameters
        ----------
        inputs : TensorVariable of shape (n_samples, n_features)
            Network inputs.
        params : dict of str to TensorVariable
            Every parameter named by :meth:`parameters`, optionally with a
            leading axis of posterior draws.

        Returns
        -------
        outputs : TensorVariable of shape (..., n_samples, n_outputs)
        """
        layers = range(self.n_weight_layers)
        return mlp(
            inputs,
            [params[coef_name(i)] for i in layers],
            [params[intercept_name(i)] for i in layers],
            self.activation,
        )
