"""Architecture descriptions: parameter names and shapes, and the forward pass.

A network description is all that the model, the predictive code and the
fitted attributes need to know of an architecture, so a new network type is a
new description, not a fork of fitting and prediction.
"""

from dataclasses import dataclass
from itertools import pairwise
from numbers import Integral

from .layers import ACTIVATIONS, DRAWN_WEIGHTS, max_pool2d, mlp

# Side of the square max-pooling window after each convolution.
POOL_SIZE = 2


def check_hidden_layer_sizes(hidden_layer_sizes):
    """Validate the widths of the hidden layers; return them as a list of int."""
    if not hasattr(hidden_layer_sizes, "__iter__"):
        hidden_layer_sizes = [hidden_layer_sizes]
    hidden_layer_sizes = list(hidden_layer_sizes)
    if not all(isinstance(size, Integral) and size > 0 for size in hidden_layer_sizes):
        raise ValueError(
            f"hidden_layer_sizes must be integers > 0, got {hidden_layer_sizes}."
        )
    return [int(size) for size in hidden_layer_sizes]


def coef_name(layer):
    """Name of the weight matrix of ``layer`` in the model and the posterior."""
    return f"coef_{layer}"


def intercept_name(layer):
    """Name of the bias vector of ``layer`` in the model and the posterior."""
    return f"intercept_{layer}"


def _dense_parameters(layer_units, first_layer):
    """Name, shape and fan-in of dense layers numbered from ``first_layer``."""
    parameters = []
    for offset, (fan_in, fan_out) in enumerate(pairwise(layer_units)):
        layer = first_layer + offset
        parameters.append((coef_name(layer), (fan_in, fan_out), fan_in))
        parameters.append((intercept_name(layer), (fan_out,), fan_in))
    return parameters


def _dense_forward(inputs, params, indices, activation, layers):
    """Apply the dense layers ``indices`` as a perceptron with a linear output."""
    return mlp(
        inputs,
        [params[coef_name(i)] for i in indices],
        [params[intercept_name(i)] for i in indices],
        activation,
        layers,
    )


@dataclass(frozen=True)
class MLPNetwork:
    """A multi-layer perceptron with a linear output layer.

    Parameters
    ----------
    layer_units : tuple of int
        Widths of all layers, input and output included.
    activation : str
        Hidden activation, a key of ``skbnn._model.layers.ACTIVATIONS``.
    """

    layer_units: tuple
    activation: str

    # Prediction may then sample the first layer's pre-activations from their
    # Gaussian given the inputs (skbnn._prediction.draws).
    first_layer_is_dense = True

    @property
    def n_features(self):
        """int: width of the input."""
        return self.layer_units[0]

    @property
    def n_weight_layers(self):
        """int: number of affine layers."""
        return len(self.layer_units) - 1

    @property
    def activations_per_row(self):
        """int: most floats one sample's activations take in any layer."""
        return max(self.layer_units)

    def parameters(self):
        """Name, shape and fan-in of every weight and bias, layer by layer.

        Returns
        -------
        parameters : list of (str, tuple of int, int)
        """
        return _dense_parameters(self.layer_units, first_layer=0)

    def forward(self, inputs, params, layers=DRAWN_WEIGHTS):
        """Pre-link outputs of the network.

        Parameters
        ----------
        inputs : TensorVariable of shape (n_samples, n_features)
            Network inputs.
        params : dict of str to TensorVariable
            Every parameter named by :meth:`parameters`, optionally with a
            leading axis of posterior draws, or what ``layers`` takes.
        layers : object, default=DRAWN_WEIGHTS
            The layers with weights (``dense``; see ``skbnn._model.layers``).

        Returns
        -------
        outputs : TensorVariable of shape (..., n_samples, n_outputs)
        """
        first = layers.dense(inputs, params[coef_name(0)], params[intercept_name(0)])
        return self.forward_after_first_layer(first, params, layers)

    def forward_after_first_layer(self, pre_activations, params, layers=DRAWN_WEIGHTS):
        """Pre-link outputs from the first layer's pre-activations.

        Parameters
        ----------
        pre_activations : TensorVariable of shape (..., n_samples, n_units)
            Outputs of the first affine layer, before its activation.
        params : dict of str to TensorVariable
            The parameters of the later layers, as in :meth:`forward`.
        layers : object, default=DRAWN_WEIGHTS
            As in :meth:`forward`.

        Returns
        -------
        outputs : TensorVariable of shape (..., n_samples, n_outputs)
        """
        if self.n_weight_layers == 1:
            return pre_activations
        hidden = ACTIVATIONS[self.activation](pre_activations)
        return _dense_forward(
            hidden, params, range(1, self.n_weight_layers), self.activation, layers
        )


@dataclass(frozen=True)
class ConvLayerShape:
    """Static shapes of one convolution + max-pooling block."""

    kernel: tuple
    conv_output: tuple
    pool: tuple
    output: tuple


@dataclass(frozen=True)
class ConvNetwork:
    """Convolution blocks, then a multi-layer perceptron with a linear output.

    Each block is a valid convolution, the activation and non-overlapping
    max-pooling of ``POOL_SIZE``. A kernel or pooling window taller or wider
    than its input is cropped to it, so any image, a 1 x n row included, passes
    through any stack of blocks.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)`` of the images.
    conv_layers : tuple of (int, int)
        ``(filters, kernel_size)`` of each block.
    dense_units : tuple of int
        Widths of the dense layers after the blocks, the output included.
    activation : str
        Activation of the blocks and hidden dense layers, a key of
        ``skbnn._model.layers.ACTIVATIONS``.
    """

    input_shape: tuple
    conv_layers: tuple
    dense_units: tuple
    activation: str

    first_layer_is_dense = False

    @property
    def n_features(self):
        """int: width of the flattened input."""
        height, width, channels = self.input_shape
        return height * width * channels

    @property
    def n_weight_layers(self):
        """int: number of convolutions plus dense layers."""
        return len(self.conv_layers) + len(self.dense_units)

    def layer_shapes(self):
        """Kernel, convolution output, pooling window and output of each block.

        Returns
        -------
        shapes : list of ConvLayerShape
        """
        height, width, channels = self.input_shape
        shapes = []
        for filters, kernel_size in self.conv_layers:
            kernel = (min(kernel_size, height), min(kernel_size, width))
            height, width = height - kernel[0] + 1, width - kernel[1] + 1
            pool = (min(POOL_SIZE, height), min(POOL_SIZE, width))
            conv_output = (height, width, filters)
            height, width = height // pool[0], width // pool[1]
            shapes.append(
                ConvLayerShape(
                    kernel=(*kernel, channels, filters),
                    conv_output=conv_output,
                    pool=pool,
                    output=(height, width, filters),
                )
            )
            channels = filters
        return shapes

    def _dense_layer_units(self):
        height, width, channels = self.layer_shapes()[-1].output
        return (height * width * channels, *self.dense_units)

    @property
    def activations_per_row(self):
        """int: most floats one sample's activations take in any layer."""
        per_row = [max(self._dense_layer_units())]
        for shape in self.layer_shapes():
            out_height, out_width, filters = shape.conv_output
            per_row.append(out_height * out_width * filters)
        return max(per_row)

    def parameters(self):
        """Name, shape and fan-in of every kernel, weight and bias.

        Kernels, shaped ``(kernel_height, kernel_width, channels, filters)``,
        come first, then the dense layers' weight matrices.

        Returns
        -------
        parameters : list of (str, tuple of int, int)
        """
        parameters = []
        for layer, shape in enumerate(self.layer_shapes()):
            kernel_height, kernel_width, channels, filters = shape.kernel
            fan_in = kernel_height * kernel_width * channels
            parameters.append((coef_name(layer), shape.kernel, fan_in))
            parameters.append((intercept_name(layer), (filters,), fan_in))
        first_dense = len(self.conv_layers)
        return parameters + _dense_parameters(self._dense_layer_units(), first_dense)

    def forward(self, inputs, params, layers=DRAWN_WEIGHTS):
        """Pre-link outputs of the network.

        Parameters
        ----------
        inputs : TensorVariable of shape (n_samples, n_features)
            Flattened images, ``(height, width, channels)`` in C order.
        params : dict of str to TensorVariable
            Every parameter named by :meth:`parameters`, optionally with a
            leading axis of posterior draws, or what ``layers`` takes.
        layers : object, default=DRAWN_WEIGHTS
            The layers with weights (``dense``, ``conv2d`` and
            ``add_channel_bias``; see ``skbnn._model.layers``).

        Returns
        -------
        outputs : TensorVariable of shape (..., n_samples, n_outputs)
        """
        hidden = ACTIVATIONS[self.activation]
        outputs = inputs.reshape((inputs.shape[0], *self.input_shape))
        for layer, shape in enumerate(self.layer_shapes()):
            # Pooling first, then bias and activation: the same numbers, as
            # both are non-decreasing, on a quarter of the values.
            outputs = layers.conv2d(outputs, params[coef_name(layer)])
            outputs = max_pool2d(outputs, *shape.pool)
            bias = params[intercept_name(layer)]
            outputs = hidden(layers.add_channel_bias(outputs, bias))
        # Flatten each sample's feature maps, keeping any leading draws axis.
        # JAX needs the target shape as constants and input shapes, not shapes
        # derived by broadcasting: the draws come from the first kernel, the
        # samples from the inputs.
        first_kernel = params[coef_name(0)]
        draws = [first_kernel.shape[i] for i in range(first_kernel.ndim - 4)]
        height, width, channels = self.layer_shapes()[-1].output
        outputs = outputs.reshape((*draws, inputs.shape[0], height * width * channels))
        dense_layers = range(len(self.conv_layers), self.n_weight_layers)
        return _dense_forward(outputs, params, dense_layers, self.activation, layers)
