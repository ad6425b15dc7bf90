import inspect
import re

import pytest

from skbnn import BayesianConvClassifier, BayesianMLPClassifier, BayesianMLPRegressor
from skbnn._parameters import PARAMETER_CONSTRAINTS, fill_doc

ESTIMATORS = [BayesianMLPClassifier, BayesianConvClassifier, BayesianMLPRegressor]


def _section(doc, title):
    """Names documented in a numpydoc section of ``doc``."""
    doc = inspect.cleandoc(doc)
    body = doc.split(f"\n{title}\n{'-' * len(title)}\n", 1)[1]
    body = re.split(r"\n\S[^\n]*\n-+\n", body, maxsplit=1)[0]
    return re.findall(r"^(\w+) :", body, flags=re.M)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_every_parameter_is_documented_once_in_signature_order(Estimator):
    signature = list(inspect.signature(Estimator.__init__).parameters)[1:]
    assert _section(Estimator.__doc__, "Parameters") == signature
    assert "%(" not in Estimator.__doc__


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_every_parameter_is_constrained_and_stored(Estimator):
    estimator = Estimator()
    assert set(Estimator._parameter_constraints) == set(estimator.get_params())
    # __init__ stores its arguments and nothing else.
    assert set(vars(estimator)) == set(estimator.get_params())


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fitted_attributes_include_the_posterior(Estimator):
    attributes = _section(Estimator.__doc__, "Attributes")
    assert {"posterior_", "coefs_", "loss_curve_", "n_iter_"} <= set(attributes)
    assert len(attributes) == len(set(attributes))


def test_shared_constraints_are_the_bases():
    assert set(PARAMETER_CONSTRAINTS) <= set(
        BayesianMLPRegressor._parameter_constraints
    )


@fill_doc
class _Documented:
    """Summary.

    Parameters
    ----------
    %(n_posterior_draws)s
    """


def test_fill_doc_replaces_placeholders_at_their_indentation():
    assert inspect.cleandoc(_Documented.__doc__).endswith(
        "Parameters\n----------\nn_posterior_draws : int, default=100\n"
        "    Posterior draws averaged at prediction."
    )
