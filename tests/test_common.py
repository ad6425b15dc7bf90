import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skbnn import BayesianConvClassifier, BayesianMLPClassifier, BayesianMLPRegressor

ESTIMATORS = [
    BayesianMLPClassifier(hidden_layer_sizes=(8,), max_iter=100, n_posterior_draws=30),
    BayesianMLPRegressor(hidden_layer_sizes=(8,), max_iter=100, n_posterior_draws=30),
    # A transformed target changes what predict returns (the median).
    BayesianMLPRegressor(
        hidden_layer_sizes=(8,),
        max_iter=100,
        n_posterior_draws=30,
        target_transform="yeo-johnson",
    ),
    # Tabular rows are 1 x n_features images: the kernel slides along the row.
    BayesianConvClassifier(
        conv_layers=((4, 3),),
        hidden_layer_sizes=(8,),
        max_iter=100,
        n_posterior_draws=30,
    ),
]


# The checks fit on data sets of a few dozen rows, one optimisation step per
# epoch, where stopping at max_iter is expected; scikit-learn's own common
# tests ignore ConvergenceWarning for the same reason.
def _expected_failed_checks(estimator):
    # As for MLPClassifier: minibatches are drawn uniformly over the rows, so a
    # weight of 2 equals a repeated row in expectation, not draw for draw.
    reason = (
        "minibatch ADVI: integer weights equal repeated rows only in "
        "expectation over the random minibatches"
    )
    return {
        "check_sample_weight_equivalence_on_dense_data": reason,
        "check_sample_weight_equivalence_on_sparse_data": reason,
    }


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    reason = _expected_failed_checks(estimator).get(
        getattr(check, "func", check).__name__
    )
    if reason:
        # Known to fail, for the reason given; the marker does not assert
        # that it fails, and running it took about a minute of the suite.
        pytest.xfail(reason)
    check(estimator)
