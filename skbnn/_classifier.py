"""Bayesian classifiers: label encoding, the likelihoods, the MLP classifier."""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d

from ._base import BaseBayesianNetwork
from ._model.likelihoods import (
    BernoulliLikelihood,
    CategoricalLikelihood,
    MultilabelBernoulliLikelihood,
)
from ._parameters import fill_doc, set_parameters

# type_of_target's name for an indicator matrix of labels; every other
# classification target is one label per sample.
MULTILABEL = "multilabel-indicator"
LABELS = "labels"


def _describe_target(target_type):
    if target_type == MULTILABEL:
        return "a multilabel indicator matrix"
    return "one label per sample"


def _fitted_classes(y, target_type, classes, estimator_class):
    """Return the classes of a fit: those of ``y``, or ``classes`` if given.

    The labels of a multilabel indicator matrix are its column indices, as
    for ``MLPClassifier``.
    """
    if classes is not None:
        classes = unique_labels(classes)
    elif target_type == MULTILABEL:
        classes = np.arange(y.shape[1])
    else:
        classes = np.unique(y)
    if target_type == MULTILABEL:
        if not np.array_equal(classes, np.arange(y.shape[1])):
            raise ValueError(
                f"classes={classes.tolist()} must be the column indices "
                f"0, ..., {y.shape[1] - 1} of the multilabel y."
            )
    elif classes.shape[0] < 2:
        raise ValueError(
            f"{estimator_class.__name__} needs samples of at least 2 classes "
            "in the data, but the data contains only one class: "
            f"{classes[0]}"
        )
    return classes


def _encoded_targets(y, classes, target_type, incremental):
    """Class indices of ``y`` (an int32 matrix as it is for multilabel).

    A warm start needs the classes of the previous fit; ``partial_fit``,
    labels among them.
    """
    if target_type == MULTILABEL:
        if y.shape[1] != classes.shape[0]:
            raise ValueError(
                f"y has {y.shape[1]} labels, but the previous call to fit had "
                f"{classes.shape[0]}."
            )
        return np.asarray(y, dtype=np.int32)
    labels = np.unique(y)
    if incremental:
        if np.setdiff1d(labels, classes).shape[0]:
            raise ValueError(
                "`y` has classes not in `self.classes_`. `self.classes_` has "
                f"{classes}. 'y' has {labels}."
            )
    elif not np.array_equal(labels, classes):
        raise ValueError(
            "warm_start can only be used where `y` has the same classes as "
            f"in the previous call to fit. Previously got {classes}, "
            f"`y` has {labels}"
        )
    return np.searchsorted(classes, y).astype(np.int32)


class BaseBayesianClassifier(ClassifierMixin, BaseBayesianNetwork):
    """Base class of the Bayesian classifiers; use the derived estimators.

    Targets are class labels (two classes: a Bernoulli likelihood on one
    logit; more: a categorical one on a logit per class), or an indicator
    matrix of labels (multilabel: a Bernoulli likelihood per label).
    """

    _target_checks = {"multi_output": True}

    @property
    def _multilabel(self):
        return getattr(self, "_target_type", None) == MULTILABEL

    def _encode_targets(self, y, *, reset, incremental=False, classes=None):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        target_type = type_of_target(y, input_name="y")
        if target_type == "multiclass-multioutput":
            raise ValueError(
                "Multioutput target data is not supported with label binarization"
            )
        check_classification_targets(y)
        target_type = MULTILABEL if target_type == MULTILABEL else LABELS
        if reset:
            self._target_type = target_type
            self.classes_ = _fitted_classes(y, target_type, classes, type(self))
        elif target_type != self._target_type:
            raise ValueError(
                f"y is {_describe_target(target_type)}, but the previous call to "
                f"fit had {_describe_target(self._target_type)}."
            )
        return _encoded_targets(y, self.classes_, target_type, incremental)

    def _likelihood(self):
        n_classes = self.classes_.shape[0]
        if self._multilabel:
            return MultilabelBernoulliLikelihood(n_outputs=n_classes)
        if n_classes == 2:
            return BernoulliLikelihood()
        return CategoricalLikelihood(n_outputs=n_classes)

    def _validation_score(self, expectations, y, sample_weight):
        # Accuracy on a small validation set moves in coarse steps, and a lucky
        # early epoch is never beaten; the log-likelihood is continuous and
        # also rewards calibrated probabilities.
        proba = expectations["proba"]
        if self._multilabel:
            proba = np.clip(proba, 1e-15, 1 - 1e-15)
            row_ll = np.mean(y * np.log(proba) + (1 - y) * np.log1p(-proba), axis=1)
            return float(np.average(row_ll, weights=sample_weight))
        # log_loss's figure (probabilities clipped to [eps, 1 - eps]) without
        # its input checks, which cost more than the rest of a small check.
        eps = np.finfo(proba.dtype).eps
        right = np.clip(np.take_along_axis(proba, y[:, None], axis=1), eps, 1 - eps)
        return float(np.average(np.log(right[:, 0]), weights=sample_weight))

    _trivial_name = "predicting the class frequencies"

    def _trivial_expectations(self, y, sample_weight, n_rows):
        # The frequencies of the encoded classes (or labels) in y.
        if self._multilabel:
            proba = np.average(y, axis=0, weights=sample_weight)
        else:
            counts = np.bincount(
                y, weights=sample_weight, minlength=self.classes_.shape[0]
            )
            proba = counts / counts.sum()
        return {"proba": np.tile(proba, (n_rows, 1))}

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the posterior with one epoch of ADVI over the given rows.

        Each call continues the optimiser where the previous call, or ``fit``,
        left it; the ELBO's data size is ``total_size``, or without it the
        number of rows seen so far. ``max_iter``, ``n_init``,
        ``early_stopping`` and the step-size schedule play no part: the step
        size stays ``learning_rate_init``.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            A chunk of training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Its labels, or its indicator matrix of labels.
        classes : array-like of shape (n_classes,), default=None
            Every class of the whole stream (for multilabel targets, the
            column indices 0, ..., n_labels - 1). Required on the first call,
            and ignored where it equals ``classes_`` later.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample's log-likelihood term.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if classes is not None and hasattr(self, "classes_"):
            if not np.array_equal(self.classes_, unique_labels(classes)):
                raise ValueError(
                    f"`classes={unique_labels(classes)}` is not the same as on "
                    f"last call to partial_fit, was: {self.classes_}"
                )
        return self._partial_fit(X, y, sample_weight, classes=classes)

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
            Probabilities of the classes in the order of ``classes_``; for
            multilabel targets, each label's probability of being 1, shaped
            (n_samples, n_labels) as ``MLPClassifier`` returns them.
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
            Each draw's class probabilities, in the order of ``classes_``; for
            multilabel targets, each draw's probability of each label.
        """
        proba = self._sample_outputs(X, n_samples, random_state)
        if self._multilabel:
            return proba
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predict the most probable class under the posterior predictive.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels; for multilabel targets, the indicator matrix of
            the labels whose probability exceeds 0.5.
        """
        proba = self.predict_proba(X)
        if self._multilabel:
            return (proba > 0.5).astype(int)
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
            ``"expected_entropy"``. For multilabel targets each label is a
            two-class problem of its own: the kinds are those of its 0/1
            outcome, one number per sample and label, and ``"std"`` is the
            posterior standard deviation of the label's probability.
        return_proba : bool, default=False
            Also return :meth:`predict_proba`'s probabilities, from the same
            pass.

        Returns
        -------
        uncertainty : ndarray of shape (n_samples,) or (n_samples, n_labels), \
                or dict of str to ndarray
            An array for one kind; a dict by kind for a list or ``"all"``.
        proba : ndarray of shape (n_samples, n_classes)
            Only with ``return_proba=True``.
        """
        uncertainty, expectations = self._uncertainties(X, kind)
        if return_proba:
            return uncertainty, expectations["proba"]
        return uncertainty

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


@fill_doc
class BayesianMLPClassifier(BaseBayesianClassifier):
    """Bayesian multi-layer perceptron classifier fitted by minibatch ADVI.

    Every weight and bias has a prior; the posterior over them is approximated
    by a mean-field Gaussian fitted by automatic differentiation variational
    inference (ADVI) on minibatches, and predictions average the network's
    class probabilities over posterior draws. Two classes use a Bernoulli
    likelihood on one logit, more a categorical likelihood on one logit per
    class, and a multilabel indicator matrix ``y`` an independent Bernoulli
    likelihood on one logit per label.

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
