"""Bayesian neural networks for scikit-learn: PyMC models fitted by minibatch ADVI."""

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
