"""Bayesian MLP regressor: its choice of likelihood and its target scaling."""

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import BaseBayesianNetwork
from ._model.likelihoods import (
    HeteroscedasticNormalLikelihood,
    HeteroscedasticStudentTLikelihood,
    NormalLikelihood,
    PoissonLikelihood,
    StudentTLikelihood,
)
from ._parameters import fill_doc, set_parameters
from ._prediction.regression import PredictiveDistributionMixin
from ._validation import DTYPE, check_float32_range, target_scaling

# The regressor's choice of likelihood: (likelihood, noise) -> a factory of
# (n_outputs, noise_prior_scale). A new likelihood is one row here.
LIKELIHOODS = {
    ("normal", "homoscedastic"): NormalLikelihood,
    ("normal", "heteroscedastic"): HeteroscedasticNormalLikelihood,
    ("student_t", "homoscedastic"): StudentTLikelihood,
    ("student_t", "heteroscedastic"): HeteroscedasticStudentTLikelihood,
    ("poisson", "homoscedastic"): lambda n_outputs, **_: PoissonLikelihood(n_outputs),
}


@fill_doc
class BayesianMLPRegressor(
    PredictiveDistributionMixin, RegressorMixin, BaseBayesianNetwork
):
    """Bayesian multi-layer perceptron regressor fitted by minibatch ADVI.

    Every weight and bias has a prior, and each target has a Student-t (or
    Normal) likelihood whose noise scale is learned under a HalfNormal prior.
    The posterior is approximated by a mean-field Gaussian fitted by
    automatic differentiation variational inference (ADVI) on minibatches;
    predictions average the network over posterior draws.

    Parameters
    ----------
    %(hidden_layer_sizes)s

    %(activation)s

    %(prior)s

    %(prior_scale)s

    %(regressor_noise_parameters)s

    %(batch_size)s

    %(total_size)s

    %(learning_rate_adaptive)s

    %(learning_rate_init)s

    %(max_iter)s

    %(tol)s

    %(n_iter_no_change)s

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, stop when its
        :math:`R^2` stops improving, and keep the posterior that scored best.

    %(validation_fraction)s

    %(n_posterior_draws)s

    %(warm_start)s

    %(n_init)s

    ensemble_size : int, default=2
        %(ensemble_size)s
        The regressor's default is two members: on the UCI regression
        benchmark two improved the test RMSE and log-likelihood of every data
        set over one, and three gained little more for their time.

    %(gradient_estimator)s

    %(device)s

    %(random_state)s

    %(verbose)s

    Attributes
    ----------
    %(posterior_)s

    %(dense_moments)s

    noise_std_ : ndarray of shape (`n_outputs_`,)
        Posterior median of each target's noise standard deviation (with
        ``likelihood="student_t"``, of its scale), in the units of ``y``; with
        several members, the geometric mean of their medians.

    noise_df_ : ndarray of shape (`n_outputs_`,)
        With ``likelihood="student_t"``: posterior median of each target's
        degrees of freedom.

    %(fit_records)s

    validation_scores_ : list of float or None
        Validation :math:`R^2` of each epoch with ``early_stopping``, else
        None.

    best_validation_score_ : float or None
        Best validation :math:`R^2` with ``early_stopping``, else None.

    %(fit_counts)s

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of targets.

    %(feature_attributes)s

    See Also
    --------
    BayesianMLPClassifier : The classification counterpart.
    sklearn.neural_network.MLPRegressor : A non-Bayesian MLP regressor.
    sklearn.linear_model.BayesianRidge : A Bayesian linear regressor.

    Notes
    -----
    %(notes)s

    References
    ----------
    Kucukelbir, Tran, Ranganath, Gelman and Blei, "Automatic Differentiation
    Variational Inference", JMLR 18(14), 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skbnn import BayesianMLPRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-2, 2, size=(200, 1))
    >>> y = np.sin(2 * X[:, 0]) + 0.1 * rng.normal(size=200)
    >>> reg = BayesianMLPRegressor(hidden_layer_sizes=(16,), random_state=0)
    >>> mean, std = reg.fit(X, y).predict(X[:3], return_std=True)
    >>> mean.shape, std.shape
    ((3,), (3,))
    """

    _parameter_constraints: dict = {
        **BaseBayesianNetwork._parameter_constraints,
        "noise": [StrOptions({"homoscedastic", "heteroscedastic"})],
        "likelihood": [StrOptions({"student_t", "normal", "poisson"})],
        "noise_prior_scale": [Interval(Real, 0, None, closed="neither")],
        "normalize_y": ["boolean"],
        "target_transform": [None, StrOptions({"yeo-johnson"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(16, 16),
        activation="relu",
        *,
        prior="normal",
        prior_scale=1.0,
        noise="homoscedastic",
        likelihood="student_t",
        noise_prior_scale=1.0,
        normalize_y=True,
        target_transform=None,
        batch_size="auto",
        total_size=None,
        learning_rate="adaptive",
        learning_rate_init=0.01,
        max_iter=5000,
        tol=1e-4,
        n_iter_no_change="auto",
        early_stopping=False,
        validation_fraction=0.1,
        n_posterior_draws=100,
        warm_start=False,
        n_init=1,
        ensemble_size=2,
        gradient_estimator="weights",
        device="cpu",
        random_state=None,
        verbose=False,
    ):
        set_parameters(self, locals())

    _target_checks = {"multi_output": True, "y_numeric": True}
    # The fitted YeoJohnsonTransform, or None: also for older pickles.
    _target_transform = None

    def _encode_targets(self, y, *, reset, incremental=False, classes=None):
        if y.dtype.kind not in "biuf":
            raise ValueError(
                f"{type(self).__name__} needs numeric regression targets, got y "
                f"of dtype {y.dtype}."
            )
        # Statistics and the encoding in float64, without a float64 copy of
        # a y that may be as long as data read from disk.
        y = y.reshape(y.shape[0], -1)
        if reset:
            self._reset_targets(y)
        else:
            self._check_continued_targets(y)
        self._likelihood().check_targets(y)
        if self._target_transform is not None:
            y = self._target_transform.forward(y)
        encoded = y - self._y_mean
        encoded /= self._y_scale
        unscaled = not self.normalize_y and self._likelihood().standardises_targets
        check_float32_range(
            encoded, hint="Set normalize_y=True." if unscaled else "Rescale y."
        )
        return encoded.astype(DTYPE)

    def _reset_targets(self, y):
        # Prediction reads the likelihood fitted, whatever set_params did.
        if (self.likelihood, self.noise) not in LIKELIHOODS:
            raise ValueError(
                f"likelihood={self.likelihood!r} takes noise='homoscedastic' "
                f"only (its variance follows its mean), got noise={self.noise!r}."
            )
        self._fitted_likelihood = (self.likelihood, self.noise)
        self.n_outputs_ = y.shape[1]
        continuous = self._likelihood().standardises_targets
        if self.target_transform is not None and not continuous:
            raise ValueError(
                f"target_transform={self.target_transform!r} needs a continuous "
                f"likelihood ('student_t' or 'normal'), got {self.likelihood!r}."
            )
        self._target_transform, self._y_mean, self._y_scale = target_scaling(
            y, self.target_transform, standardise=self.normalize_y and continuous
        )

    def _check_continued_targets(self, y):
        likelihood, noise = self._fitted_likelihood
        transform = None if self._target_transform is None else "yeo-johnson"
        for what, fitted, asked in [
            ("noise", noise, self.noise),
            ("likelihood", likelihood, self.likelihood),
            ("target_transform", transform, self.target_transform),
            ("number of targets", self.n_outputs_, y.shape[1]),
        ]:
            if asked != fitted:
                raise ValueError(
                    f"warm_start and partial_fit can only be used with the {what} "
                    f"of the previous call to fit, {fitted!r}; got {asked!r}."
                )

    def _likelihood(self):
        return LIKELIHOODS[self._fitted_likelihood](
            n_outputs=self.n_outputs_, noise_prior_scale=self.noise_prior_scale
        )

    _trivial_name = "predicting the mean"

    def _trivial_expectations(self, y, sample_weight, n_rows):
        mean = np.average(y.astype(np.float64), axis=0, weights=sample_weight)
        return {"mean": np.tile(mean, (n_rows, 1))}

    def _validation_score(self, expectations, y, sample_weight):
        return r2_score(y, expectations["mean"], sample_weight=sample_weight)

    def _in_target_units(self, values, offset=0.0):
        values = values * self._y_scale + offset
        return values[:, 0] if self.n_outputs_ == 1 else values

    @property
    def noise_std_(self):
        """ndarray: posterior median of each target's noise std, in y units.

        With several members, the geometric mean of their medians. Only with
        ``noise="homoscedastic"`` and Normal or Student-t noise:
        heteroscedastic noise varies with the input,
        ``predict_uncertainty(X, kind="aleatoric")`` gives it.
        """
        check_is_fitted(self)
        if self._target_transform is not None:
            raise AttributeError(
                "noise_std_ is in the units of y, which a target_transform's "
                "noise has none of; its scale is in the transformed units."
            )
        noise_std = self._likelihood().noise_std(self.posterior_)
        if noise_std is None:
            raise AttributeError(
                "noise_std_ is defined for likelihood='normal' or 'student_t' "
                "with noise='homoscedastic' only; otherwise use "
                "predict_uncertainty(X, kind='aleatoric')."
            )
        return noise_std * self._y_scale

    @property
    def noise_df_(self):
        """ndarray: posterior median of each target's Student-t degrees of freedom.

        Only with ``likelihood="student_t"``; with several members, at the
        geometric mean of their medians of the excess over 2.
        """
        check_is_fitted(self)
        noise_df = self._likelihood().noise_df(self.posterior_)
        if noise_df is None:
            raise AttributeError(
                "noise_df_ is defined for likelihood='student_t' only."
            )
        return noise_df

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the posterior with one epoch of ADVI over the given rows.

        Each call continues the optimiser where the previous call, or ``fit``,
        left it; the ELBO's data size is ``total_size``, or without it the
        number of rows seen so far. With
        ``normalize_y`` the targets are standardised with the first call's
        mean and standard deviation. ``max_iter``, ``n_init``,
        ``early_stopping`` and the step-size schedule play no part: the step
        size stays ``learning_rate_init``.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            A chunk of training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Its targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample's log-likelihood term.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, sample_weight)

    def predict(self, X, return_std=False):
        """Predict with the posterior predictive mean (median with a transform).

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Inputs.
        return_std : bool, default=False
            Also return the standard deviation of the posterior predictive
            distribution, observation noise included, as
            :class:`~sklearn.linear_model.BayesianRidge` does.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Posterior predictive mean; with ``target_transform``, the
            posterior predictive median (the mean need not exist).
        y_std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Posterior predictive standard deviation; only with
            ``return_std=True``, and not with ``target_transform``.
        """
        if self._target_transform is not None:
            if return_std:
                self._check_no_moments("predict(X, return_std=True)")
            return self._predictive_median(X)
        expectations = self._expectations(X)
        y_mean = self._in_target_units(expectations["mean"], self._y_mean)
        if not return_std:
            return y_mean
        std = self._likelihood().uncertainty(expectations, "std", self.posterior_)
        return y_mean, self._in_target_units(std)

    def sample_y(self, X, n_samples=1, random_state=0):
        """Network outputs under posterior draws of the weights.

        As :meth:`GaussianProcessRegressor.sample_y
        <sklearn.gaussian_process.GaussianProcessRegressor.sample_y>` draws
        functions from its posterior, each draw here is the mean of one network
        from the posterior, without observation noise; their spread is the
        ``"epistemic"`` uncertainty. With ``target_transform``, each draw's
        output is mapped back through the transform's inverse: that draw's
        median.

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
        y_samples : ndarray of shape (n_samples_X, n_samples) or \
                (n_samples_X, n_outputs, n_samples)
            Each draw's prediction, in the units of ``y``.
        """
        outputs = self._sample_outputs(X, n_samples, random_state)
        # Heteroscedastic networks also output the noise; these are the means.
        outputs = outputs[:, : self.n_outputs_]
        samples = outputs * self._y_scale[:, None] + self._y_mean[:, None]
        if self._target_transform is not None:
            # Each draw's location, mapped back: that draw's median.
            inverse = self._target_transform.inverse(np.moveaxis(samples, 1, -1))
            samples = np.moveaxis(inverse, -1, 1)
        return samples[:, 0] if self.n_outputs_ == 1 else samples

    def predict_uncertainty(self, X, kind="std"):
        """Uncertainty of each prediction, in the units of ``y``.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Inputs.
        kind : {"std", "epistemic", "aleatoric"}, list of them, or "all", \
                default="std"
            - ``"std"``: standard deviation of the posterior predictive
              distribution (total uncertainty).
            - ``"epistemic"``: standard deviation of the network's mean over
              the posterior draws; it grows away from the training data.
            - ``"aleatoric"``: the observation noise's root mean square.

            ``"std"`` squared equals ``"epistemic"`` squared plus
            ``"aleatoric"`` squared. Several kinds come from one pass over the
            posterior draws.

        Returns
        -------
        uncertainty : ndarray of shape (n_samples,) or (n_samples, n_outputs), \
                or dict of str to ndarray
            An array for one kind; a dict by kind for a list or ``"all"``.
        """
        self._check_no_moments("predict_uncertainty")
        uncertainty, _ = self._uncertainties(X, kind)
        if isinstance(uncertainty, dict):
            return {k: self._in_target_units(v) for k, v in uncertainty.items()}
        return self._in_target_units(uncertainty)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
