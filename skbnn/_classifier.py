"""Bayesian classifiers: label encoding, the likelihoods, the MLP classifier."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import log_loss
from sklearn.utils.multiclass import check_classification_targets

from ._base import BaseBayesianNetwork
from ._likelihoods import BernoulliLikelihood, CategoricalLikelihood
from ._parameters import fill_doc, set_parameters
from ._predictive import (
    CLASSIFICATION_STATISTICS,
    by_kind,
    classification_uncertainty,
    requested_kinds,
)

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
        kinds = requested_kinds(kind, UNCERTAINTY_KINDS)
        expectations = self._expectations(X)
        uncertainty = by_kind(
            kind,
            {one: classification_uncertainty(expectations, one) for one in kinds},
        )
        if return_proba:
            return uncertainty, expectations["proba"]
        return uncertainty


@fill_doc
class BayesianMLPClassifier(BaseBayesianClassifier):
    """Bayesian multi-layer perceptron classifier fitted by minibatch ADVI.

    Every weight and bias has a prior; the posterior over them is approximated
    by a mean-field Gaussian fitted by automatic differentiation variational
    inference (ADVI) on minibatches, and predictions average the network's
    class probabilities over posterior draws. Two classes use a Bernoulli
    likelihood on one logit, more a categorical likelihood on one logit per
    class.

    Parameters
    ----------
    %(hidden_layer_sizes)s

    %(activation)s

    %(classifier_fit_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    %(posterior_)s

    %(dense_moments)s

    %(fit_records)s

    %(classifier_validation_scores)s

    %(fit_counts)s

    n_layers_ : int
        Number of layers, input and output included.

    %(feature_attributes)s

    See Also
    --------
    BayesianMLPRegressor : The regression counterpart.
    BayesianConvClassifier : The same with convolutions, for images.
    sklearn.neural_network.MLPClassifier : A non-Bayesian MLP classifier.

    Notes
    -----
    %(notes)s

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
        set_parameters(self, locals())
