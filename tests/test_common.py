"""scikit-learn's estimator checks on every public skrobustad estimator."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from ._instances import EXPECTED_FAILED_CHECKS, TINY_PARAMS, tiny

ESTIMATORS = [tiny(cls) for cls in TINY_PARAMS]


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(type(est), {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls", list(TINY_PARAMS), ids=lambda c: c.__name__)
def test_every_expected_failure_has_a_reason(cls):
    for check, reason in EXPECTED_FAILED_CHECKS.get(cls, {}).items():
        assert len(reason) > 20, f"{cls.__name__}.{check} needs a written reason"
