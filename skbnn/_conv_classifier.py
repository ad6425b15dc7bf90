"""Bayesian convolutional classifier: image layout and the conv architecture."""

from numbers import Integral

import numpy as np

from ._base import BaseBayesianNetwork, _check_hidden_layer_sizes
from ._classifier import BaseBayesianClassifier
from ._networks import ConvNetwork
from ._out_of_core import is_out_of_core


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
        default reaches 99% test accuracy on MNIST (see
        ``examples/mnist_conv.py``) while 100 posterior draws over its 10,000
        test images stay affordable on a laptop CPU.

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

    prior : {"normal", "hierarchical", "scale_mixture"}, default="normal"
        Prior over every kernel, weight and bias, as in
        :class:`BayesianMLPClassifier`; the hierarchical prior learns one scale
        per kernel, weight matrix and bias vector.

    prior_scale : float, default=1.0
        Standard deviation of the normal prior, of the hierarchical prior's
        HalfNormal hyperprior, or of the scale mixture's wide component.

    batch_size : int or "auto", default="auto"
        Minibatch size of ADVI; ``"auto"`` is ``min(200, n_samples)``.

    learning_rate : {"constant", "adaptive"}, default="constant"
        Step-size schedule. ``"constant"`` keeps ``learning_rate_init`` and
        stops fitting the first time the stopping rule (``tol``,
        ``n_iter_no_change``) says so. ``"adaptive"`` is ``MLPClassifier``'s
        schedule: each time the stopping rule would stop, the step size is
        divided by 5 instead, until it is at most 1e-6; reaching ``max_iter``
        after the first division ends the fit without a
        ``ConvergenceWarning``. For ``BayesianMLPClassifier`` on moons and
        digits (see ``benchmarks/bench_small.py``) "adaptive" lowered the test
        log loss by 3-6% for 1.5-2.5 times the fitting time, hence not the
        default.

    learning_rate_init : float, default=0.01
        Step size of the Adam optimiser of the variational parameters.

    max_iter : int, default=5000
        Maximum number of epochs.

    tol : float, default=1e-4
        Tolerance on the per-sample negative ELBO (or on the validation score
        with ``early_stopping``) of the stopping rule.

    n_iter_no_change : int or "auto", default="auto"
        Epochs without an improvement of ``tol`` that end fitting or, with
        ``learning_rate="adaptive"``, divide the step size; ``"auto"`` is 10
        epochs, or as many as span 600 optimisation steps if that is
        more.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        stop when its mean log predictive probability stops improving, and
        keep the posterior that scored best.

    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping``.

    n_posterior_draws : int, default=100
        Posterior draws averaged at prediction.

    warm_start : bool, default=False
        Start from the posterior of the previous call to ``fit``. The
        architecture, image shape and classes must not change.

    n_init : int, default=1
        Number of fits from different initialisations and Monte Carlo seeds;
        the one with the best smoothed ELBO (or validation score with
        ``early_stopping``) is kept, as ``KMeans`` keeps its best of
        ``n_init`` runs. ADVI on a small network can settle in a poor local
        optimum; a few restarts guard against it. Ignored with a warm start.

    ensemble_size : int, default=1
        Number of mean-field posteriors fitted independently, each from its
        own initialisation and Monte Carlo seeds (and with its own ``n_init``
        runs). The fitted posterior is their equal-weight mixture: predictions
        share their draws evenly among the members. One mean-field Gaussian
        settles around one mode of the posterior and understates its spread;
        a mixture covers several modes, as deep ensembles do. Fitting takes
        ``ensemble_size`` times as long. With a warm start, the fitted members
        continue and the missing ones are fitted from scratch.
        The default is one member: a fit on MNIST takes minutes, and on moons
        and digits three members of :class:`BayesianMLPClassifier` lowered
        the test log loss by only 1-2%.

    device : {"cpu", "gpu", "auto"}, default="cpu"
        Where PyTensor runs the fit and the predictions, as in
        :class:`BayesianMLPClassifier`.

    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the validation split, ADVI's Monte Carlo
        draws and minibatches, and the posterior draws used at prediction.

    verbose : bool, default=False
        Print the loss of every epoch, the time elapsed and the most that the
        remaining epochs may take.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    input_shape_ : tuple of int
        ``(height, width, channels)`` of the images the network was fitted on.

    posteriors_ : list of dict of str to tuple of (ndarray, ndarray)
        The fitted posterior, one mean-field Gaussian per member of the
        ensemble, as in :class:`BayesianMLPClassifier`: ``"coef_i"`` and
        ``"intercept_i"`` number the convolutions first, then the dense layers.
        The weight summaries (``coefs_``, ``coefs_std_``, ``intercepts_``,
        ``intercepts_std_``) are the mixture's moments; the records of the fit
        (``loss_curve_``, ``n_iter_``, ``best_loss_``, the validation scores,
        ``t_``) are the first member's.

    coefs_ : list of ndarray
        Posterior mean of each kernel, shaped ``(kernel_height, kernel_width,
        in_channels, filters)``, then of each dense weight matrix.

    coefs_std_ : list of ndarray
        Posterior standard deviation of each kernel and weight matrix.

    intercepts_ : list of ndarray
        Posterior mean of each bias vector.

    intercepts_std_ : list of ndarray
        Posterior standard deviation of each bias vector.

    loss_curve_ : list of float
        Negative ELBO divided by the number of training samples, averaged over
        each epoch.

    best_loss_ : float or None
        Lowest value of ``loss_curve_`` in the last fit; None with
        ``early_stopping``.

    validation_scores_ : list of float or None
        Negative log loss on the validation set after each epoch with
        ``early_stopping``, else None.

    best_validation_score_ : float or None
        Best of ``validation_scores_`` with ``early_stopping``, else None.

    n_iter_ : int
        Epochs run by the last call to ``fit``.

    t_ : int
        Training samples seen by the optimiser in the last call to ``fit``.

    n_layers_ : int
        Number of layers with weights (convolutions and dense layers), plus one
        for the input.

    n_features_in_ : int
        Number of features (pixels times channels) seen during ``fit``.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    BayesianMLPClassifier : The same without convolutions.

    Notes
    -----
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
        device="cpu",
        random_state=None,
        verbose=False,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            prior=prior,
            prior_scale=prior_scale,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_posterior_draws=n_posterior_draws,
            warm_start=warm_start,
            n_init=n_init,
            ensemble_size=ensemble_size,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )
        self.conv_layers = conv_layers
        self.input_shape = input_shape

    def _as_rows(self, X, reset):
        # Image arrays become rows of pixels; 2-D input is left to validation.
        if getattr(X, "ndim", 2) not in (3, 4):
            if reset:
                self._image_shape = None
            return X
        if not is_out_of_core(X):  # arrays on disk stay there
            X = np.asarray(X)
        image_shape = X.shape[1:] + ((1,) if X.ndim == 3 else ())
        if reset:
            expected = self.input_shape
            expected = None if expected is None else _check_input_shape(expected)
            self._image_shape = image_shape
        else:
            expected = self.input_shape_
        if expected is not None and image_shape != expected:
            raise ValueError(
                f"X holds images of shape {image_shape}, but the input_shape "
                f"{'is' if reset else 'fitted is'} {expected}."
            )
        return X.reshape(X.shape[0], -1)

    def _network(self, n_features, n_outputs):
        conv_layers = _check_conv_layers(self.conv_layers)
        hidden_layer_sizes = _check_hidden_layer_sizes(self.hidden_layer_sizes)
        if self.input_shape is not None:
            input_shape = _check_input_shape(self.input_shape)
        elif self._image_shape is not None:
            input_shape = self._image_shape
        else:
            input_shape = (1, n_features, 1)
        if np.prod(input_shape) != n_features:
            raise ValueError(
                f"X has {n_features} features per sample, but input_shape "
                f"{input_shape} needs {np.prod(input_shape)}."
            )
        self.input_shape_ = input_shape
        return ConvNetwork(
            input_shape,
            conv_layers,
            (*hidden_layer_sizes, n_outputs),
            self.activation,
        )
