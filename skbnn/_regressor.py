"""Bayesian MLP regressor: target scaling and the Normal likelihood."""

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._base import DTYPE, BaseBayesianNetwork, _by_kind, _check_kinds
from ._likelihoods import NOISE_VALUE_NAME, NormalLikelihood
from ._predictive import REGRESSION_STATISTICS, regression_uncertainty

UNCERTAINTY_KINDS = {"std", "epistemic", "aleatoric"}


class BayesianMLPRegressor(RegressorMixin, BaseBayesianNetwork):
    """Bayesian multi-layer perceptron regressor fitted by minibatch ADVI.

    Every weight and bias has a prior, and each target has a Normal
    likelihood whose noise standard deviation is learned under a HalfNormal
    prior. The posterior is approximated by a mean-field Gaussian fitted with
    PyMC's automatic differentiation variational inference (ADVI) on
    minibatches; predictions average the network over posterior draws.

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

    noise_prior_scale : float, default=1.0
        Scale of the HalfNormal prior on the noise standard deviation of each
        target, in units of the standardised target when ``normalize_y``.

    normalize_y : bool, default=True
        Standardise each target to zero mean and unit variance before fitting,
        so that the priors suit targets of any scale; predictions are returned
        in the original units.

    batch_size : int or "auto", default="auto"
        Minibatch size of ADVI; ``"auto"`` is ``min(200, n_samples)``. A batch
        that covers the training set gives full-batch ADVI.

    learning_rate : {"constant", "adaptive"}, default="adaptive"
        Step-size schedule. ``"adaptive"`` is ``MLPClassifier``'s schedule:
        each time the stopping rule (``tol``, ``n_iter_no_change``) would stop
        fitting, the step size is divided by 5 instead, until it is at most
        1e-6; reaching ``max_iter`` after the first division ends the fit
        without a ``ConvergenceWarning``. Adam's steps at a constant size keep
        the variational parameters moving; smaller steps let them settle. On
        the UCI benchmark (``benchmarks/bench_uci.py``) it lowered the test
        RMSE and raised the test log-likelihood on all four data sets.
        ``"constant"`` keeps ``learning_rate_init`` and stops fitting the
        first time the stopping rule says so.

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
        Hold out ``validation_fraction`` of the training data, stop when its
        :math:`R^2` stops improving, and keep the posterior that scored best.

    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping``.

    n_posterior_draws : int, default=100
        Posterior draws averaged at prediction.

    warm_start : bool, default=False
        Start from the posterior of the previous call to ``fit`` instead of a
        fresh initialisation. The architecture must not change.

    n_init : int, default=1
        Number of fits from different initialisations and Monte Carlo seeds;
        the one with the best smoothed ELBO (or validation score with
        ``early_stopping``) is kept, as ``KMeans`` keeps its best of
        ``n_init`` runs. ADVI on a small network can settle in a poor local
        optimum; a few restarts guard against it. Ignored with a warm start.

    ensemble_size : int, default=2
        Number of mean-field posteriors fitted independently, each from its
        own initialisation and Monte Carlo seeds (and with its own ``n_init``
        runs). The fitted posterior is their equal-weight mixture: predictions
        share their draws evenly among the members. One mean-field Gaussian
        settles around one mode of the posterior and understates its spread;
        a mixture covers several modes, as deep ensembles do. Fitting takes
        ``ensemble_size`` times as long. With a warm start, the fitted members
        continue and the missing ones are fitted from scratch.
        On the UCI benchmark (``benchmarks/bench_uci.py``, 20 splits of each
        of four data sets) two members rather than one lowered the test RMSE
        and raised the test log-likelihood on every data set (concrete: RMSE
        5.18 to 4.96, log-likelihood -3.06 to -2.99), and widened the +/- 2
        std intervals (coverage 0.94 to 0.95 on concrete, 0.96 to 0.98 on
        yacht); three members gained little more for half as much time again.

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
    posteriors_ : list of dict of str to tuple of (ndarray, ndarray)
        The fitted posterior, one mean-field Gaussian per member of the
        ensemble (``ensemble_size`` of them; fewer after an interrupted fit):
        for each free variable of the PyMC model, the mean and standard
        deviation of its Gaussian in PyMC's unconstrained space. Weights are
        ``"coef_i"`` and ``"intercept_i"``, the log noise scales
        ``"noise_std_log__"``. The hierarchical prior writes each weight tensor
        as a learned scale times standard-normal weights:
        ``"coef_0_scale_log__"`` and ``"coef_0_standardised"``. The weight
        summaries (``coefs_``, ``coefs_std_``, ``intercepts_``,
        ``intercepts_std_``) are the mixture's moments; the records of the fit
        (``loss_curve_``, ``n_iter_``, ``best_loss_``, the validation scores,
        ``t_``) are the first member's.

    coefs_ : list of ndarray
        Posterior mean of each layer's weight matrix, shaped like
        :attr:`sklearn.neural_network.MLPRegressor.coefs_`.

    coefs_std_ : list of ndarray
        Posterior standard deviation of each layer's weight matrix.

    intercepts_ : list of ndarray
        Posterior mean of each layer's bias vector.

    intercepts_std_ : list of ndarray
        Posterior standard deviation of each layer's bias vector.

    noise_std_ : ndarray of shape (n_outputs_,)
        Posterior median of each target's noise standard deviation, in the
        units of ``y``; with several members, the geometric mean of their
        medians.

    loss_curve_ : list of float
        Negative ELBO divided by the number of training samples, averaged over
        each epoch. It continues across calls with ``warm_start``.

    best_loss_ : float or None
        Lowest value of ``loss_curve_`` in the last fit; None with
        ``early_stopping``.

    validation_scores_ : list of float or None
        Validation :math:`R^2` of each epoch with ``early_stopping``, else
        None.

    best_validation_score_ : float or None
        Best validation :math:`R^2` with ``early_stopping``, else None.

    n_iter_ : int
        Epochs run by the last call to ``fit``.

    t_ : int
        Training samples seen by the optimiser in the last call to ``fit``.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of targets.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    BayesianMLPClassifier : The classification counterpart.
    sklearn.neural_network.MLPRegressor : A non-Bayesian MLP regressor.
    sklearn.linear_model.BayesianRidge : A Bayesian linear regressor.

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
        "noise_prior_scale": [Interval(Real, 0, None, closed="neither")],
        "normalize_y": ["boolean"],
    }

    _statistics = REGRESSION_STATISTICS

    def __init__(
        self,
        hidden_layer_sizes=(16, 16),
        activation="relu",
        *,
        prior="normal",
        prior_scale=1.0,
        noise_prior_scale=1.0,
        normalize_y=True,
        batch_size="auto",
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
        self.noise_prior_scale = noise_prior_scale
        self.normalize_y = normalize_y

    _target_checks = {"multi_output": True, "y_numeric": True}

    def _encode_targets(self, y, reset):
        if y.dtype.kind not in "biuf":
            raise ValueError(
                f"{type(self).__name__} needs numeric regression targets, got y "
                f"of dtype {y.dtype}."
            )
        # Statistics and the encoding in float64, without a float64 copy of
        # a y that may be as long as data read from disk.
        y = y.reshape(y.shape[0], -1)
        if reset:
            self.n_outputs_ = y.shape[1]
            self._y_mean = np.zeros(self.n_outputs_)
            self._y_scale = np.ones(self.n_outputs_)
            if self.normalize_y:
                self._y_mean = y.mean(axis=0, dtype=np.float64)
                std = y.std(axis=0, dtype=np.float64)
                self._y_scale = np.where(std > 0, std, 1.0)
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                "warm_start can only be used with the number of targets of the "
                f"previous call to fit: {self.n_outputs_}, got {y.shape[1]}."
            )
        encoded = y - self._y_mean
        encoded /= self._y_scale
        return encoded.astype(DTYPE)

    def _likelihood(self):
        return NormalLikelihood(
            n_outputs=self.n_outputs_, noise_prior_scale=self.noise_prior_scale
        )

    def _validation_score(self, expectations, y, sample_weight):
        return r2_score(y, expectations["mean"], sample_weight=sample_weight)

    def _noise_variance(self):
        # The noise scale is log-normal under each posterior, so its mean
        # square is exp(2 m + 2 s^2) for log-scale mean m and std s; the
        # mixture's is the members' average.
        return np.mean(
            [
                np.exp(2.0 * mean + 2.0 * np.square(std))
                for mean, std in (p[NOISE_VALUE_NAME] for p in self.posteriors_)
            ],
            axis=0,
        )

    def _in_target_units(self, values, offset=0.0):
        values = values * self._y_scale + offset
        return values[:, 0] if self.n_outputs_ == 1 else values

    @property
    def noise_std_(self):
        """ndarray: posterior median of each target's noise std, in y units.

        With several members, the geometric mean of their medians.
        """
        check_is_fitted(self)
        log_medians = [p[NOISE_VALUE_NAME][0] for p in self.posteriors_]
        return np.exp(np.mean(log_medians, axis=0)) * self._y_scale

    def predict(self, X, return_std=False):
        """Predict with the posterior predictive mean.

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
            Posterior predictive mean.
        y_std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Posterior predictive standard deviation; only with
            ``return_std=True``.
        """
        expectations = self._expectations(X)
        y_mean = self._in_target_units(expectations["mean"], self._y_mean)
        if not return_std:
            return y_mean
        std = regression_uncertainty(expectations, self._noise_variance(), "std")
        return y_mean, self._in_target_units(std)

    def sample_y(self, X, n_samples=1, random_state=0):
        """Network outputs under posterior draws of the weights.

        As :meth:`GaussianProcessRegressor.sample_y
        <sklearn.gaussian_process.GaussianProcessRegressor.sample_y>` draws
        functions from its posterior, each draw here is the mean of one network
        from the posterior, without observation noise; their spread is the
        ``"epistemic"`` uncertainty.

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
        samples = outputs * self._y_scale[:, None] + self._y_mean[:, None]
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
        kinds = _check_kinds(kind, UNCERTAINTY_KINDS)
        expectations = self._expectations(X)
        noise_variance = self._noise_variance()
        return _by_kind(
            kind,
            {
                one: self._in_target_units(
                    regression_uncertainty(expectations, noise_variance, one)
                )
                for one in kinds
            },
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
