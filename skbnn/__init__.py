"""Bayesian neural networks for scikit-learn.

PyMC builds each network's model and log-density; skbnn fits a Gaussian
posterior to it by minibatch ADVI with a compiled step of its own, and
predicts by averaging over posterior draws.
"""

from ._classifier import BayesianMLPClassifier
from ._conv_classifier import BayesianConvClassifier
from ._prediction.distribution import PredictiveDistribution
from ._prediction.posterior import Posterior
from ._regressor import BayesianMLPRegressor

__version__ = "0.2.0.dev0"

__all__ = [
    "BayesianConvClassifier",
    "BayesianMLPClassifier",
    "BayesianMLPRegressor",
    "Posterior",
    "PredictiveDistribution",
    "__version__",
]
