"""Bayesian convolutional classifier: image layout and the conv architecture."""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import BaseBayesianNetwork
from ._classifier import BaseBayesianClassifier
from ._inference.out_of_core import is_out_of_core
from ._model.networks import ConvNetwork, check_hidden_layer_sizes
from ._model.priors import PRIORS
from ._parameters import fill_doc, set_parameters


def _check_conv_layers(conv_layers):
    conv_layers = [tuple(layer) for layer in conv_layers]
    if not conv_layers or not all(
        len(layer) == 2 and all(isinstance(v, Integral) and v > 0 for v in layer)
        for layer in conv_layers
    ):
        raise ValueError(
            "conv_layers must be a non-empty sequence of (filters, kernel_size) "
            f"pairs of integers > 0, got {conv_layers}."
        )
    return tuple((int(filters), int(kernel)) for filters, kernel in conv_layers)


def _check_input_shape(input_shape):
    shape = tuple(input_shape)
    if len(shape) not in (2, 3) or not all(
        isinstance(v, Integral) and v > 0 for v in shape
    ):
        raise ValueError(
            "input_shape must be (height, width) or (height, width, channels) "
            f"of integers > 0, got {input_shape}."
        )
    return tuple(int(v) for v in shape) + ((1,) if len(shape) == 2 else ())


# Images have at most this many channels (RGBA); an axis of images as
# short as this after wider ones holds channels.
MAX_CHANNELS = 4


def _check_channels_last(shape):
    """Refuse images laid out channels-first, ``(n, channels, height, width)``.

    Read channels-last, such an array would be ``channels`` rows of ``width``
    channels each.
    """
    if len(shape) == 4 and shape[1] <= MAX_CHANNELS < shape[3]:
        raise ValueError(
            f"X has shape {shape}, which looks channels-first (n_samples, "
            "channels, height, width); BayesianConvClassifier reads images "
            "channels-last, (n_samples, height, width, channels). Pass "
            "np.moveaxis(X, 1, -1)."
        )


@fill_doc
class BayesianConvClassifier(BaseBayesianClassifier):
    """Bayesian convolutional network classifier fitted by minibatch ADVI.

    Convolution blocks (a valid convolution with ``filters`` square kernels,
    the activation, then 2 x 2 max-pooling) feed dense hidden layers and the
    classifier's likelihood. Every kernel, weight and bias has a prior, the
    posterior is a mean-field Gaussian fitted with minibatch ADVI, and
    predictions average the network's class probabilities over posterior
    draws, all exactly as in :class:`BayesianMLPClassifier`.

    Parameters
    ----------
    conv_layers : sequence of (int, int), default=((8, 5), (16, 5))
        ``(filters, kernel_size)`` of each convolution block. A kernel or
        pooling window taller or wider than its input is cropped to it. The
        default is small enough that 100 posterior draws over thousands of
        images stay affordable on a laptop CPU, and accurate on MNIST (see
        ``examples/mnist_conv.py``).

    hidden_layer_sizes : array-like of shape (n_dense_layers,), default=(128,)
        Widths of the dense hidden layers after the convolution blocks.

    input_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` of the images, of
        which each row of a 2-D ``X`` holds the pixels in C order (channels
        last). None takes the shape of image arrays passed to ``fit``, and
        treats each row of a 2-D ``X`` as a 1 x n_features single-channel
        image, so that tabular data are convolved along the row.

    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the convolution blocks and the hidden dense layers.

    %(classifier_fit_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    input_shape_ : tuple of int
        ``(height, width, channels)`` of the images the network was fitted on.

    %(posterior_)s
        ``"coef_i"`` and ``"intercept_i"`` number the convolutions first,
        then the dense layers.

    coefs_ : list of ndarray
        Posterior mean of each kernel, shaped ``(kernel_height, kernel_width,
        in_channels, filters)``, then of each dense weight matrix.

    coefs_std_ : list of ndarray
        Posterior standard deviation of each kernel and weight matrix.

    intercepts_ : list of ndarray
        Posterior mean of each bias vector.

    intercepts_std_ : list of ndarray
        Posterior standard deviation of each bias vector.

    %(fit_records)s

    %(classifier_validation_scores)s

    %(fit_counts)s

    n_layers_ : int
        Number of layers with weights (convolutions and dense layers), plus one
        for the input.

    %(feature_attributes)s

    See Also
    --------
    BayesianMLPClassifier : The same without convolutions.

    Notes
    -----
    %(notes)s

    The convolutions run as XLA's own convolution under PyTensor's JAX
    backend (NumPy on other backends), and prediction evaluates many posterior
    draws per call: one convolution with every draw's filters side by side for
    the images, then one per draw.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skbnn import BayesianConvClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = BayesianConvClassifier(
    ...     conv_layers=((4, 3),), hidden_layer_sizes=(16,), input_shape=(8, 8),
    ...     random_state=0,
    ... )
    >>> clf.fit(X[:200] / 16, y[:200]).predict_proba(X[:2] / 16).shape
    (2, 10)
    >>> clf.input_shape_
    (8, 8, 1)
    """

    _parameter_constraints: dict = {
        **BaseBayesianNetwork._parameter_constraints,
        # ARD scales the weights out of each input feature; a kernel is
        # shared by every pixel.
        "prior": [StrOptions(set(PRIORS) - {"ard"})],
        "conv_layers": ["array-like"],
        "input_shape": [None, "array-like"],
    }

    def __init__(
        self,
        conv_layers=((8, 5), (16, 5)),
        hidden_layer_sizes=(128,),
        input_shape=None,
        activation="relu",
        *,
        prior="normal",
        prior_scale=1.0,
        batch_size="auto",
        total_size=None,
        learning_rate="constant",
        learning_rate_init=0.01,
        max_iter=5000,
        tol=1e-4,
        n_iter_no_change="auto",
        early_stopping=False,
        validation_fraction=0.1,
        n_posterior_draws=100,
        warm_start=False,
        n_init=1,
        ensemble_size=1,
        gradient_estimator="weights",
        device="cpu",
        random_state=None,
        verbose=False,
    ):
        set_parameters(self, locals())

    @property
    def input_shape_(self):
        """Tuple of int: ``(height, width, channels)`` of the fitted images."""
        check_is_fitted(self)
        return self._fitted_network.input_shape

    def _as_rows(self, X, reset):
        # Image arrays become rows of pixels; 2-D input is left to validation.
        if getattr(X, "ndim", 2) not in (3, 4):
            return X, None
        if not is_out_of_core(X):  # arrays on disk stay there
            X = np.asarray(X)
        _check_channels_last(X.shape)
        image_shape = X.shape[1:] + ((1,) if X.ndim == 3 else ())
        if reset:
            expected = self.input_shape
            expected = None if expected is None else _check_input_shape(expected)
        else:
            expected = self.input_shape_
        if expected is not None and image_shape != expected:
            raise ValueError(
                f"X holds images of shape {image_shape}, but the input_shape "
                f"{'is' if reset else 'fitted is'} {expected}."
            )
        return X.reshape(X.shape[0], -1), image_shape

    def _describe_network(self, n_features, n_outputs, image_shape):
        conv_layers = _check_conv_layers(self.conv_layers)
        hidden_layer_sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        if self.input_shape is not None:
            input_shape = _check_input_shape(self.input_shape)
        elif image_shape is not None:
            input_shape = image_shape
        else:
            input_shape = (1, n_features, 1)
        if np.prod(input_shape) != n_features:
            raise ValueError(
                f"X has {n_features} features per sample, but input_shape "
                f"{input_shape} needs {np.prod(input_shape)}."
            )
        return ConvNetwork(
            input_shape,
            conv_layers,
            (*hidden_layer_sizes, n_outputs),
            self.activation,
        )
