"""The estimators' shared parameters: constraints, storage, documentation.

Each is written once here. ``__init__`` stores its arguments with
:func:`set_parameters`; ``fit`` checks them against
``PARAMETER_CONSTRAINTS``. A class decorated with :func:`fill_doc` has each
``%(name)s`` in its docstring replaced by ``DOCS[name]``, as MNE-Python and
matplotlib share theirs; a literal percent sign is written ``%%`` there.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, Options, StrOptions

from ._model.layers import ACTIVATIONS
from ._model.priors import PRIORS

PARAMETER_CONSTRAINTS = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "prior": [StrOptions(set(PRIORS))],
    "prior_scale": [Interval(Real, 0, None, closed="neither")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "total_size": [None, Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions({"constant", "adaptive"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "n_iter_no_change": [
        Interval(Integral, 1, None, closed="left"),
        Options(Real, {np.inf}),
        StrOptions({"auto"}),
    ],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_posterior_draws": [Interval(Integral, 1, None, closed="left")],
    "warm_start": ["boolean"],
    "n_init": [Interval(Integral, 1, None, closed="left")],
    "ensemble_size": [Interval(Integral, 1, None, closed="left")],
    "gradient_estimator": [StrOptions({"local", "weights"})],
    "device": [StrOptions({"cpu", "gpu", "auto"})],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


def set_parameters(estimator, arguments):
    """Store the arguments of ``__init__`` as attributes of the same names.

    All that a scikit-learn ``__init__`` does; every check happens in ``fit``.
    """
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


DOCS = {}

DOCS["hidden_layer_sizes"] = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(16, 16)
        The ith element is the number of units in the ith hidden layer. Keep
        networks modest on small data: mean-field posteriors of wide layers
        fall back to the prior and explain the data as noise."""

DOCS["activation"] = """\
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers. With ``"relu"`` the epistemic
        uncertainty keeps growing away from the data; ``"tanh"`` and
        ``"logistic"`` saturate there."""

DOCS["prior"] = """\
    prior : {"normal", "hierarchical", "scale_mixture", "ard"}, default="normal"
        Prior over every weight and bias. ``"normal"`` is
        ``Normal(0, prior_scale)``; ``"hierarchical"`` is ``Normal(0, s)`` with
        one scale ``s ~ HalfNormal(prior_scale)`` per weight tensor and per
        bias vector, learned from the data (written ``s * z`` with
        ``z ~ Normal(0, 1)``, the mean-field posterior covering ``s`` and
        ``z``); ``"scale_mixture"`` is Bayes by Backprop's
        ``0.5 Normal(0, prior_scale) + 0.5 Normal(0, prior_scale * exp(-6))``
        (Blundell et al., 2015); ``"ard"`` (automatic relevance
        determination; the MLP estimators only) gives the weights out of
        each input feature their own learned scale
        ``s_j ~ HalfNormal(prior_scale)``, and every other parameter the
        normal prior: features the data do not need shrink to zero together."""

DOCS["prior_scale"] = """\
    prior_scale : float, default=1.0
        Standard deviation of the normal prior, of the hierarchical prior's
        HalfNormal hyperprior, or of the scale mixture's wide component."""

DOCS["batch_size"] = """\
    batch_size : int or "auto", default="auto"
        Minibatch size of ADVI; ``"auto"`` is ``min(200, n_samples)``. A batch
        that covers the training set gives full-batch ADVI."""

DOCS["total_size"] = """\
    total_size : int or None, default=None
        Rows of the whole data set that ``partial_fit``'s chunks are drawn
        from: each call's ELBO scales its minibatches' log-likelihood to this
        many rows. None counts the rows seen so far, which suits a stream that
        never repeats (each call is then a step of streaming variational
        Bayes); passes over a data set of known size should give its size, or
        the repeated rows count as new data and the posterior narrows too
        far. ``fit`` ignores it: it scales to the rows it is given."""

_SCHEDULES = """\
        ``"constant"`` keeps ``learning_rate_init`` and stops fitting the
        first time the stopping rule (``tol``, ``n_iter_no_change``) says so.
        ``"adaptive"`` is ``MLPClassifier``'s schedule: each time the stopping
        rule would stop, the step size is divided by 5 instead, until it is at
        most 1e-6; reaching ``max_iter`` after the first division ends the fit
        without a ``ConvergenceWarning``. Adam's steps at a constant size keep
        the variational parameters moving; smaller steps let them settle."""

DOCS["learning_rate_constant"] = f"""\
    learning_rate : {{"constant", "adaptive"}}, default="constant"
        Step-size schedule.
{_SCHEDULES}
        The classifiers keep ``"constant"``: on the small classification
        benchmarks ``"adaptive"`` lowered the test log loss a little for
        several times the fitting time."""

DOCS["learning_rate_adaptive"] = f"""\
    learning_rate : {{"constant", "adaptive"}}, default="adaptive"
        Step-size schedule.
{_SCHEDULES}
        The regressor's default is ``"adaptive"``: on the UCI regression
        benchmark it improved the test RMSE and log-likelihood of every data
        set."""

DOCS["learning_rate_init"] = """\
    learning_rate_init : float, default=0.01
        Step size of the Adam optimiser of the variational parameters."""

DOCS["max_iter"] = """\
    max_iter : int, default=5000
        Maximum number of epochs; an epoch is ``ceil(n_samples / batch_size)``
        optimisation steps. ADVI needs a few thousand steps to settle, which on
        a data set smaller than ``batch_size`` is as many epochs; on larger
        data the stopping rule usually ends fitting long before."""

DOCS["tol"] = """\
    tol : float, default=1e-4
        Tolerance on the per-sample negative ELBO (or on the validation score
        with ``early_stopping``): when it does not improve by at least ``tol``
        for more than ``n_iter_no_change`` consecutive epochs, fitting stops
        (or, with ``learning_rate="adaptive"``, the step size drops)."""

DOCS["n_iter_no_change"] = """\
    n_iter_no_change : int or "auto", default="auto"
        Epochs without an improvement of ``tol`` that end fitting or, with
        ``learning_rate="adaptive"``, divide the step size. ``"auto"``
        is 10 epochs, or as many as span 600 optimisation steps if that is
        more: the ELBO is a noisy estimate, and on small data sets, where an
        epoch is a step or two, its trend only shows over hundreds of steps."""

DOCS["early_stopping_classifier"] = """\
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        stop when its mean log predictive probability stops improving, and
        keep the posterior that scored best. Unlike ``MLPClassifier``, which
        watches accuracy, this score is continuous and rewards calibration."""

DOCS["validation_fraction"] = """\
    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping``."""

DOCS["n_posterior_draws"] = """\
    n_posterior_draws : int, default=100
        Posterior draws averaged at prediction."""

DOCS["warm_start"] = """\
    warm_start : bool, default=False
        Start from the posterior of the previous call to ``fit`` instead of a
        fresh initialisation. The architecture, and the classes or the number
        of targets, must not change."""

DOCS["n_init"] = """\
    n_init : int, default=1
        Number of fits from different initialisations and Monte Carlo seeds;
        the one with the best smoothed ELBO (or validation score with
        ``early_stopping``) is kept, as ``KMeans`` keeps its best of
        ``n_init`` runs. ADVI on a small network can settle in a poor local
        optimum; a few restarts guard against it. Ignored with a warm start."""

DOCS["ensemble_size"] = """\
        Number of mean-field posteriors fitted independently, each from its
        own initialisation and Monte Carlo seeds (and with its own ``n_init``
        runs). The fitted posterior is their equal-weight mixture: predictions
        share their draws evenly among the members. One mean-field Gaussian
        settles around one mode of the posterior and understates its spread;
        a mixture covers several modes, as deep ensembles do. Fitting takes
        ``ensemble_size`` times as long. With a warm start, the fitted members
        continue and the missing ones are fitted from scratch."""

DOCS["ensemble_size_classifier"] = f"""\
    ensemble_size : int, default=1
{DOCS["ensemble_size"]}
        The classifiers' default is one member: on the small classification
        benchmarks more members lowered the test log loss only a little, and
        on images a fit takes minutes."""

DOCS["gradient_estimator"] = """\
    gradient_estimator : {"weights", "local"}, default="weights"
        How each ADVI step estimates the gradient of the ELBO; both estimate
        the same objective without bias. ``"weights"``: one draw of every
        weight per step, shared by the minibatch's rows (Bayes by Backprop,
        and ``pm.fit``'s ADVI). ``"local"``: dense layers sample their
        pre-activations for each row from the Gaussian that the weights'
        posterior gives them (the local reparameterization trick of Kingma,
        Salimans and Welling, 2015), convolutions perturb their kernels by
        Flipout (Wen et al., 2018), and Normal priors' log-density is taken
        in expectation: less gradient noise, and no weight drawn, which makes
        a step on a wide network faster and one on a small network slower.
        With less noise Adam moves further per step at the same
        ``learning_rate_init`` (see the user guide's "How it computes")."""

DOCS["device"] = """\
    device : {"cpu", "gpu", "auto"}, default="cpu"
        Where PyTensor runs the fit and the predictions. ``"gpu"`` uses
        PyTensor's JAX backend on a CUDA GPU and raises a ``RuntimeError`` when
        none is usable; ``"auto"`` uses a GPU when one is usable and the CPU
        otherwise. A model fitted on a GPU predicts on the CPU of a machine
        without one, with a warning."""

DOCS["random_state"] = """\
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the validation split, ADVI's Monte Carlo
        draws and minibatches, and the posterior draws used at prediction.
        Pass an int for reproducible results across calls."""

DOCS["verbose"] = """\
    verbose : bool, default=False
        Print the loss of every epoch, the time elapsed and the most that the
        remaining epochs may take; on a terminal, also draw a progress bar."""

DOCS["posterior_"] = """\
    posterior_ : Posterior
        The fitted posterior: an equal-weight mixture of mean-field Gaussians,
        one per member of the ensemble (``ensemble_size`` of them; fewer after
        an interrupted fit). ``posterior_.moments(name)`` gives the mean and
        standard deviation of a network parameter (``"coef_0"``,
        ``"intercept_0"``, ...). The weight summaries (``coefs_``,
        ``coefs_std_``, ``intercepts_``, ``intercepts_std_``) are the
        mixture's moments; the records of the fit (``loss_curve_``,
        ``n_iter_``, ``best_loss_``, the validation scores, ``t_``) are the
        first member's."""

DOCS["dense_moments"] = """\
    coefs_ : list of ndarray
        Posterior mean of each layer's weight matrix, shaped like
        :attr:`sklearn.neural_network.MLPClassifier.coefs_`.

    coefs_std_ : list of ndarray
        Posterior standard deviation of each layer's weight matrix.

    intercepts_ : list of ndarray
        Posterior mean of each layer's bias vector.

    intercepts_std_ : list of ndarray
        Posterior standard deviation of each layer's bias vector."""

DOCS["fit_records"] = """\
    loss_curve_ : list of float
        Negative ELBO divided by the number of training samples, averaged over
        each epoch. It continues across calls with ``warm_start``.

    best_loss_ : float or None
        Lowest value of ``loss_curve_`` in the last fit; None with
        ``early_stopping``."""

DOCS["classifier_validation_scores"] = """\
    validation_scores_ : list of float or None
        Mean log predictive probability of the validation labels (the negative
        log loss) after each epoch with ``early_stopping``, else None.

    best_validation_score_ : float or None
        Best of ``validation_scores_`` with ``early_stopping``, else None."""

DOCS["fit_counts"] = """\
    n_iter_ : int
        Epochs run by the last call to ``fit``.

    t_ : int
        Training samples seen by the optimiser in the last call to ``fit``."""

DOCS["feature_attributes"] = """\
    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when ``X`` has
        feature names that are all strings."""

DOCS["notes"] = """\
    PyMC builds the model: the priors, the likelihood, and its joint
    log-density on a symbolic minibatch. skbnn compiles its own step of
    automatic differentiation variational inference (ADVI, Kucukelbir et al.)
    on that log-density rather than calling ``pm.fit``: a mean-field Gaussian
    over the model's free variables in PyMC's unconstrained space, one
    reparametrised draw per step (or, with ``gradient_estimator="local"``,
    per-row draws of each layer's outputs), its entropy, and Adam. On a
    minibatch the log-likelihood is scaled by ``n_samples / batch_size``
    (what PyMC's ``total_size`` does), so each step follows an unbiased
    estimate of the gradient of the full-data evidence lower bound (ELBO).
    skbnn also draws the posterior networks at prediction and averages over
    them. One compiled step serves every fit of the same architecture."""

# The parameters that the classifiers share, after those of their network.
DOCS["regressor_noise_parameters"] = """\
    noise : {"homoscedastic", "heteroscedastic"}, default="homoscedastic"
        How the observation noise's standard deviation is modelled.

        - ``"homoscedastic"``: one learned noise std per target, the same for
          every input, under a HalfNormal(``noise_prior_scale``) prior.
        - ``"heteroscedastic"``: a function of the input, that level times
          ``exp(r(x))``: the network has a second output per target, ``r``,
          sharing the hidden layers and the weight prior. ``r``'s output
          weights start at zero, so that the fit starts from the
          homoscedastic model.

    likelihood : {"student_t", "normal"}, default="student_t"
        The distribution of the observation noise around the network's mean.

        - ``"student_t"``: Student-t noise of scale ``noise_std`` and
          ``nu = 2 + e`` degrees of freedom per target, ``e ~ Gamma(2, 0.1)``
          learned with the weights: heavy tails where the data have outliers
          or a few rows far noisier than the rest, close to Normal where they
          have none. Its variance ``noise_std**2 * nu / (nu - 2)`` enters the
          predictive standard deviation; :meth:`log_predictive_density` gives
          its density, whose tails a mean and a standard deviation do not
          describe. The default: on the UCI regression benchmark its test
          log-likelihood was above the Normal's on three data sets and equal
          on the fourth.
        - ``"normal"``: Normal noise of standard deviation ``noise_std``.
        - ``"poisson"``: counts, ``y ~ Poisson(exp(f(x)))``: the log link of
          :class:`~sklearn.linear_model.PoissonRegressor`. ``y`` must be
          non-negative (counts or rates); it is never standardised
          (``normalize_y`` plays no part), ``noise`` must be
          ``"homoscedastic"`` (the variance is the mean) and
          ``noise_prior_scale`` plays no part. ``predict`` is the posterior
          mean of the rate, :meth:`log_predictive_density` the log of the
          posterior predictive probability of each count, and ``score`` stays
          :math:`R^2`, as for ``HistGradientBoostingRegressor(loss="poisson")``
          (:func:`~sklearn.metrics.d2_tweedie_score` with ``power=1`` gives
          the deviance explained).

    noise_prior_scale : float, default=1.0
        Scale of the HalfNormal prior on the noise scale of each target, in
        units of the standardised target when ``normalize_y``.

    normalize_y : bool, default=True
        Standardise each target to zero mean and unit variance before fitting,
        so that the priors suit targets of any scale; predictions are returned
        in the original units.

    target_transform : {None, "yeo-johnson"}, default=None
        A monotone map ``T`` of each target applied before the
        standardisation; the likelihood models ``T(y)``.

        - ``None``: the targets as they are.
        - ``"yeo-johnson"``: the Yeo-Johnson power transform (as
          :class:`~sklearn.preprocessing.PowerTransformer`'s), each target's
          power fitted to the training targets by maximum likelihood and
          clipped to [0, 2], where the transform maps the real line onto
          itself. For skewed targets spanning orders of magnitude (prices,
          resistances, durations). The predictive distribution is mapped
          back: :meth:`log_predictive_density` is a density of ``y`` (with
          the transform's Jacobian), quantiles and intervals are the
          transformed ones mapped through the inverse, and ``predict`` is the
          predictive **median**: a power-transformed Student-t need not have
          a mean or a standard deviation, so ``predict(X, return_std=True)``,
          ``predict_uncertainty`` and ``noise_std_`` raise. Not with
          ``likelihood="poisson"``."""

DOCS["classifier_fit_parameters"] = "\n\n".join(
    DOCS[name]
    for name in (
        "prior",
        "prior_scale",
        "batch_size",
        "total_size",
        "learning_rate_constant",
        "learning_rate_init",
        "max_iter",
        "tol",
        "n_iter_no_change",
        "early_stopping_classifier",
        "validation_fraction",
        "n_posterior_draws",
        "warm_start",
        "n_init",
        "ensemble_size_classifier",
        "gradient_estimator",
        "device",
        "random_state",
        "verbose",
    )
)


def fill_doc(cls):
    """Replace each ``%(name)s`` in the docstring of ``cls`` by ``DOCS[name]``.

    A placeholder stands indented as its entry's first line would, so that
    formatters see the docstring's true indentation; the entry's first line
    comes without it.
    """
    cls.__doc__ = cls.__doc__ % {name: doc.lstrip(" ") for name, doc in DOCS.items()}
    return cls
