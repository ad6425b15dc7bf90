"""Bayesian classifiers: label encoding, the likelihoods, the MLP classifier."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import log_loss
from sklearn.utils.multiclass import check_classification_targets

from ._base import BaseBayesianNetwork, _by_kind, _check_kinds
from ._likelihoods import BernoulliLikelihood, CategoricalLikelihood
from ._predictive import CLASSIFICATION_STATISTICS, classification_uncertainty

UNCERTAINTY_KINDS = {"entropy", "mutual_information", "expected_entropy", "std"}


class BaseBayesianClassifier(ClassifierMixin, BaseBayesianNetwork):
    """Base class of the Bayesian classifiers; use the derived estimators."""

    _statistics = CLASSIFICATION_STATISTICS

    def _encode_targets(self, y, reset):
        check_classification_targets(y)
        classes, encoded = np.unique(y, return_inverse=True)
        if reset:
            if classes.shape[0] < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes "
                    "in the data, but the data contains only one class: "
                    f"{classes[0]}"
                )
            self.classes_ = classes
        elif not np.array_equal(classes, self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as "
                f"in the previous call to fit. Previously got {self.classes_}, "
                f"`y` has {classes}"
            )
        return encoded.astype(np.int32)

    def _likelihood(self):
        n_classes = self.classes_.shape[0]
        if n_classes == 2:
            return BernoulliLikelihood()
        return CategoricalLikelihood(n_outputs=n_classes)

    def _validation_score(self, expectations, y, sample_weight):
        # Accuracy on a small validation set moves in coarse steps, and a lucky
        # early epoch is never beaten; the log-likelihood is continuous and
        # also rewards calibrated probabilities.
        labels = np.arange(self.classes_.shape[0])
        return -log_loss(
            y, expectations["proba"], labels=labels, sample_weight=sample_weight
        )

    def predict_proba(self, X):
        """Posterior predictive class probabilities.

        The network's class probabilities averaged over ``n_posterior_draws``
        draws from the posterior.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of the classes in the order of ``classes_``.
        """
        return self._expectations(X)["proba"]

    def predict_log_proba(self, X):
        """Logarithm of the posterior predictive class probabilities.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities of the classes in the order of ``classes_``;
            ``-inf`` where every posterior draw gives a class probability zero.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def sample_proba(self, X, n_samples=1, random_state=0):
        """Class probabilities under posterior draws of the weights.

        The counterpart of :meth:`GaussianProcessRegressor.sample_y
        <sklearn.gaussian_process.GaussianProcessRegressor.sample_y>`: each
        draw is one network from the posterior, and :meth:`predict_proba` is
        the mean of many.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples_X, n_features)
            Inputs.
        n_samples : int, default=1
            Number of posterior draws.
        random_state : int, RandomState instance or None, default=0
            Seeds the draws; an int gives the same draws on every call.

        Returns
        -------
        proba_samples : ndarray of shape (n_samples_X, n_classes, n_samples)
            Each draw's class probabilities, in the order of ``classes_``.
        """
        proba = self._sample_outputs(X, n_samples, random_state)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predict the most probable class under the posterior predictive.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_uncertainty(self, X, kind="entropy", *, return_proba=False):
        """Uncertainty of each prediction, one number per sample and kind.

        All kinds come from one pass over the posterior draws: ask for several
        at once (and for the probabilities with ``return_proba``) rather than
        calling once per kind.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Inputs.
        kind : {"entropy", "mutual_information", "expected_entropy", "std"}, \
                list of them, or "all", default="entropy"
            - ``"entropy"``: entropy of the predictive probabilities, in nats
              (total uncertainty).
            - ``"mutual_information"``: mutual information between the label
              and the weights, the epistemic part of the entropy; it grows
              where the posterior draws disagree, e.g. away from the data.
            - ``"expected_entropy"``: mean entropy of each draw's
              probabilities, the aleatoric part (class overlap).
            - ``"std"``: posterior standard deviation of the predicted class's
              probability, as in the PyMC tutorial on Bayesian networks.

            ``"entropy"`` equals ``"mutual_information"`` plus
            ``"expected_entropy"``.
        return_proba : bool, default=False
            Also return :meth:`predict_proba`'s probabilities, from the same
            pass.

        Returns
        -------
        uncertainty : ndarray of shape (n_samples,) or dict of str to ndarray
            An array for one kind; a dict by kind for a list or ``"all"``.
        proba : ndarray of shape (n_samples, n_classes)
            Only with ``return_proba=True``.
        """
        kinds = _check_kinds(kind, UNCERTAINTY_KINDS)
        expectations = self._expectations(X)
        uncertainty = _by_kind(
            kind,
            {one: classification_uncertainty(expectations, one) for one in kinds},
        )
        if return_proba:
            return uncertainty, expectations["proba"]
        return uncertainty


class BayesianMLPClassifier(BaseBayesianClassifier):
    """Bayesian multi-layer perceptron classifier fitted by minibatch ADVI.

    Every weight and bias has a prior; the posterior over them is approximated
    by a mean-field Gaussian fitted with PyMC's automatic differentiation
    variational inference (ADVI) on minibatches, and predictions average the
    network's class probabilities over posterior draws. Two classes use a
    Bernoulli likelihood on one logit, more a categorical likelihood on one
    logit per class.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(16, 16)
        The ith element is the number of units in the ith hidden layer. Keep
        networks modest on small data: mean-field posteriors of wide layers
        fall back to the prior and explain the data as noise.

    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers. With ``"relu"`` the epistemic
        uncertainty keeps growing away from the data; ``"tanh"`` and
        ``"logistic"`` saturate there.

    prior : {"normal", "hierarchical", "scale_mixture"}, default="normal"
        Prior over every weight and bias. ``"normal"`` is
        ``Normal(0, prior_scale)``; ``"hierarchical"`` is ``Normal(0, s)`` with
        one scale ``s ~ HalfNormal(prior_scale)`` per weight matrix and per
        bias vector, learned from the data (written ``s * z`` with ``z ~
        Normal(0, 1)``, the mean-field posterior covering ``s`` and ``z``);
        ``"scale_mixture"`` is Bayes by
        Backprop's ``0.5 Normal(0, prior_scale) + 0.5 Normal(0, prior_scale *
        exp(-6))`` (Blundell et al., 2015).

    prior_scale : float, default=1.0
        Standard deviation of the normal prior, of the hierarchical prior's
        HalfNormal hyperprior, or of the scale mixture's wide component.

    batch_size : int or "auto", default="auto"
        Minibatch size of ADVI; ``"auto"`` is ``min(200, n_samples)``. A batch
        that covers the training set gives full-batch ADVI.

    learning_rate : {"constant", "adaptive"}, default="constant"
        Step-size schedule. ``"constant"`` keeps ``learning_rate_init`` and
        stops fitting the first time the stopping rule (``tol``,
        ``n_iter_no_change``) says so. ``"adaptive"`` is ``MLPClassifier``'s
        schedule: each time the stopping rule would stop, the step size is
        divided by 5 instead, until it is at most 1e-6; reaching ``max_iter``
        after the first division ends the fit without a
        ``ConvergenceWarning``. On scikit-learn's moons and digits (see
        ``benchmarks/bench_small.py``) "adaptive" lowered the test log loss
        by 3-6% for 1.5-2.5 times the fitting time, hence not the default.

    learning_rate_init : float, default=0.01
        Step size of the Adam optimiser of the variational parameters.

    max_iter : int, default=5000
        Maximum number of epochs; an epoch is ``ceil(n_samples / batch_size)``
        optimisation steps. ADVI needs a few thousand steps to settle, which on
        a data set smaller than ``batch_size`` is as many epochs; on larger
        data the stopping rule usually ends fitting long before.

    tol : float, default=1e-4
        Tolerance on the per-sample negative ELBO (or on the validation score
        with ``early_stopping``): when it does not improve by at least ``tol``
        for more than ``n_iter_no_change`` consecutive epochs, fitting stops
        (or, with ``learning_rate="adaptive"``, the step size drops).

    n_iter_no_change : int or "auto", default="auto"
        Epochs without an improvement of ``tol`` that end fitting or, with
        ``learning_rate="adaptive"``, divide the step size. ``"auto"``
        is 10 epochs, or as many as span 600 optimisation steps if that is
        more: the ELBO is a noisy estimate, and on small data sets, where an
        epoch is a step or two, its trend only shows over hundreds of steps.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        stop when its mean log predictive probability stops improving, and
        keep the posterior that scored best. Unlike ``MLPClassifier``, which
        watches accuracy, this score is continuous and rewards calibration.

    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping``.

    n_posterior_draws : int, default=100
        Posterior draws averaged at prediction.

    warm_start : bool, default=False
        Start from the posterior of the previous call to ``fit`` instead of a
        fresh initialisation. The architecture and classes must not change.

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
        The default is one member: on moons and digits
        (``benchmarks/bench_small.py``'s problems, 3 seeds) three members
        lowered the test log loss by 1-2% and did not improve the calibration
        error, for 2-3 times the fitting time; on image data a fit takes
        minutes. The regressor's default is two.

    device : {"cpu", "gpu", "auto"}, default="cpu"
        Where PyTensor runs the fit and the predictions. ``"gpu"`` uses
        PyTensor's JAX backend on a CUDA GPU and raises a ``RuntimeError`` when
        none is usable; ``"auto"`` uses a GPU when one is usable and the CPU
        otherwise.

    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the validation split, ADVI's Monte Carlo
        draws and minibatches, and the posterior draws used at prediction.
        Pass an int for reproducible results across calls.

    verbose : bool, default=False
        Print the loss of every epoch, the time elapsed and the most that the
        remaining epochs may take.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    posteriors_ : list of dict of str to tuple of (ndarray, ndarray)
        The fitted posterior, one mean-field Gaussian per member of the
        ensemble (``ensemble_size`` of them; fewer after an interrupted fit):
        for each free variable of the PyMC model, the mean and standard
        deviation of its Gaussian in PyMC's unconstrained space. Weights are
        ``"coef_i"`` and ``"intercept_i"``; the hierarchical prior writes each
        weight tensor as a learned scale times standard-normal weights:
        ``"coef_0_scale_log__"`` and ``"coef_0_standardised"``. The weight
        summaries (``coefs_``, ``coefs_std_``, ``intercepts_``,
        ``intercepts_std_``) are the mixture's moments; the records of the fit
        (``loss_curve_``, ``n_iter_``, ``best_loss_``, the validation scores,
        ``t_``) are the first member's.

    coefs_ : list of ndarray
        Posterior mean of each layer's weight matrix, shaped like
        :attr:`sklearn.neural_network.MLPClassifier.coefs_`.

    coefs_std_ : list of ndarray
        Posterior standard deviation of each layer's weight matrix.

    intercepts_ : list of ndarray
        Posterior mean of each layer's bias vector.

    intercepts_std_ : list of ndarray
        Posterior standard deviation of each layer's bias vector.

    loss_curve_ : list of float
        Negative ELBO divided by the number of training samples, averaged over
        each epoch. It continues across calls with ``warm_start``.

    best_loss_ : float or None
        Lowest value of ``loss_curve_`` in the last fit; None with
        ``early_stopping``.

    validation_scores_ : list of float or None
        Mean log predictive probability of the validation labels (the negative
        log loss) after each epoch with ``early_stopping``, else None.

    best_validation_score_ : float or None
        Best of ``validation_scores_`` with ``early_stopping``, else None.

    n_iter_ : int
        Epochs run by the last call to ``fit``.

    t_ : int
        Training samples seen by the optimiser in the last call to ``fit``.

    n_layers_ : int
        Number of layers, input and output included.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    BayesianMLPRegressor : The regression counterpart.
    sklearn.neural_network.MLPClassifier : A non-Bayesian MLP classifier.

    Notes
    -----
    ADVI's objective is the evidence lower bound (ELBO). On a minibatch, the
    log-likelihood is scaled by ``n_samples / batch_size`` (PyMC's
    ``total_size``), so each step follows an unbiased estimate of the
    gradient of the full-data ELBO.

    References
    ----------
    Kucukelbir, Tran, Ranganath, Gelman and Blei, "Automatic Differentiation
    Variational Inference", JMLR 18(14), 2017.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skbnn import BayesianMLPClassifier
    >>> X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
    >>> clf = BayesianMLPClassifier(hidden_layer_sizes=(5, 5), random_state=0)
    >>> clf.fit(X, y).predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.predict_uncertainty(X[:2], kind="mutual_information").shape
    (2,)
    """

    def __init__(
        self,
        hidden_layer_sizes=(16, 16),
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
