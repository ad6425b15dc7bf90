"""Bayesian neural networks for scikit-learn, fitted by minibatch ADVI in PyMC."""

from ._classifier import BayesianMLPClassifier
from ._conv_classifier import BayesianConvClassifier
from ._regressor import BayesianMLPRegressor

__version__ = "0.1.0"

__all__ = [
    "BayesianConvClassifier",
    "BayesianMLPClassifier",
    "BayesianMLPRegressor",
    "__version__",
]
