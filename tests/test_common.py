import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skbnn import BayesianMLPClassifier, BayesianMLPRegressor

ESTIMATORS = [
    BayesianMLPClassifier(hidden_layer_sizes=(8,), max_iter=300, n_posterior_draws=30),
    BayesianMLPRegressor(hidden_layer_sizes=(8,), max_iter=300, n_posterior_draws=30),
]


# The checks fit on data sets of a few dozen rows, one optimisation step per
# epoch, where stopping at max_iter is expected; scikit-learn's own common
# tests ignore ConvergenceWarning for the same reason.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
