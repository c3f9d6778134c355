"""scikit-learn's estimator checks on every public skrobustad estimator."""

import inspect

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import skrobustad

from ._instances import CHECK_PARAMS, EXPECTED_FAILED_CHECKS, check_instances


def _public_estimators():
    classes = (getattr(skrobustad, name) for name in skrobustad.__all__)
    return [
        cls for cls in classes
        if inspect.isclass(cls) and issubclass(cls, BaseEstimator) and not inspect.isabstract(cls)
    ]


PUBLIC = _public_estimators()


@parametrize_with_checks(
    check_instances(),
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(type(est), {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda c: c.__name__)
def test_every_public_estimator_is_checked(cls):
    assert CHECK_PARAMS.get(cls), (
        f"{cls.__name__} is in skrobustad.__all__ but has no parameter set in "
        "tests/_instances.py CHECK_PARAMS: scikit-learn's common checks do not run on it"
    )


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda c: c.__name__)
def test_every_expected_failure_has_a_reason(cls):
    for check, reason in EXPECTED_FAILED_CHECKS.get(cls, {}).items():
        assert len(reason) > 20, f"{cls.__name__}.{check} needs a written reason"


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda c: c.__name__)
def test_no_constructor_parameter_ends_in_an_underscore(cls):
    # scikit-learn reserves a trailing underscore for fitted attributes
    params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    assert not [p for p in params if p.endswith("_")]


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda c: c.__name__)
def test_optional_features_are_declared_where_the_parameter_exists(cls):
    params = inspect.signature(cls.__init__).parameters
    for flag, name in (("_has_warm_start", "warm_start"), ("_has_batch_norm", "batch_norm")):
        if hasattr(cls, flag):
            assert getattr(cls, flag) == (name in params), f"{cls.__name__}.{flag}"
    constraints = getattr(cls, "_parameter_constraints", {})
    assert set(constraints) <= set(params), "a constraint for a parameter the class lacks"
