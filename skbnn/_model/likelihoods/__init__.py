"""Likelihoods: how PyMC observes the targets, and how a posterior predicts.

One family a module; a new likelihood is one class here and the estimator's
choice of it (``BayesianMLPRegressor``'s table of likelihoods, the
classifier's by the targets' type).
"""

from .base import INVERSE_LINKS, Likelihood
from .classification import (
    BernoulliLikelihood,
    CategoricalLikelihood,
    MultilabelBernoulliLikelihood,
)
from .normal import NOISE_NAME, HeteroscedasticNormalLikelihood, NormalLikelihood
from .poisson import PoissonLikelihood
from .regression import RegressionLikelihood
from .student_t import (
    DF_EXCESS_NAME,
    HeteroscedasticStudentTLikelihood,
    StudentTLikelihood,
)

__all__ = [
    "DF_EXCESS_NAME",
    "INVERSE_LINKS",
    "NOISE_NAME",
    "BernoulliLikelihood",
    "CategoricalLikelihood",
    "HeteroscedasticNormalLikelihood",
    "HeteroscedasticStudentTLikelihood",
    "Likelihood",
    "MultilabelBernoulliLikelihood",
    "NormalLikelihood",
    "PoissonLikelihood",
    "RegressionLikelihood",
    "StudentTLikelihood",
]
