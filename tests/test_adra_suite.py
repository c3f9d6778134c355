"""The adra benchmark suites: protocols (fast) and a bounded reproduction (slow)."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skrobustad.benchmark import get_suite, run_benchmark
from skrobustad.benchmark._suite_adra import (
    EXPOSURE_CLASSES,
    TEST_CLASSES,
    adra_holdout_split,
    adra_modes_split,
    adra_ovr_split,
    upsample_digits,
)


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return d.data, d.target


def _classes(split, X, y):
    """Class of every row of a split (rows are matched back to the digits)."""
    flat = upsample_digits(X).reshape(len(X), -1)
    index = {row.tobytes(): c for row, c in zip(flat, y, strict=True)}
    return (np.array([index[r.tobytes()] for r in split.X_train]),
            np.array([index[r.tobytes()] for r in split.X_test]))


def test_upsampled_digits_are_16x16_in_unit_range(digits):
    images = upsample_digits(digits[0][:5])
    assert images.shape == (5, 1, 16, 16)
    assert images.min() >= 0.0 and images.max() <= 1.0


def test_ovr_split_exposure_is_disjoint_from_the_test_classes(digits):
    X, y = digits
    split = adra_ovr_split(X, y, random_state=0, normal_class=7)
    train_c, test_c = _classes(split, X, y)
    exposure = split.y_partial_train == 1
    assert set(train_c[exposure]) == set(EXPOSURE_CLASSES)
    assert set(train_c[~exposure]) == {7} and np.all(split.y_partial_train[~exposure] == 0)
    assert set(test_c) == set(TEST_CLASSES)
    np.testing.assert_array_equal(split.y_test, test_c != 7)
    # no training image is tested
    assert not {r.tobytes() for r in split.X_train} & {r.tobytes() for r in split.X_test}


def test_holdout_split_holds_out_one_class(digits):
    X, y = digits
    split = adra_holdout_split(X, y, random_state=1, held_out_class=6)
    train_c, test_c = _classes(split, X, y)
    assert 6 not in set(train_c)
    assert set(train_c[split.y_partial_train == 0]) == {5, 7, 8, 9}
    np.testing.assert_array_equal(split.y_test, test_c == 6)


@pytest.mark.parametrize("evaluate", ["primary", "secondary"])
def test_modes_split_ratio_and_evaluated_class(digits, evaluate):
    X, y = digits
    full = adra_modes_split(X, y, random_state=0, pair=(5, 8), ratio=1.0, evaluate=evaluate)
    small = adra_modes_split(X, y, random_state=0, pair=(5, 8), ratio=0.1, evaluate=evaluate)
    train_full, test_c = _classes(full, X, y)
    train_small, _ = _classes(small, X, y)
    n8 = np.sum(train_full == 8)
    assert np.sum(train_small == 8) == round(0.1 * n8)
    assert np.sum(train_small == 5) == np.sum(train_full == 5)
    assert set(test_c[full.y_test == 0]) == ({8} if evaluate == "secondary" else {5})
    assert set(test_c[full.y_test == 1]) == {6, 7, 9}


def test_suites_are_registered():
    assert get_suite("adra").sweep == {"normal_class": TEST_CLASSES}
    assert get_suite("adra-holdout").protocol == "adra-holdout"
    assert get_suite("adra-modes-58-secondary").protocol_kwargs["pair"] == (5, 8)


@pytest.mark.slow
def test_adra_suite_reproduction(smoke):
    """What the CPU protocol measured: ADRA above kNN-AD and UADRA (see the user guide).

    The paper's full ordering (ADRA above the from-scratch HSC network) does
    not hold on this protocol, and is not asserted.
    """
    seeds = [0] if smoke else [0, 1, 2]
    classes = (5,) if smoke else TEST_CLASSES
    rows = []
    for c in classes:
        result = run_benchmark("adra", methods=["ADRA-K2", "UADRA", "kNN-AD"], seeds=seeds,
                               protocol_kwargs={"normal_class": c})
        rows.append(result.to_frame())
    import pandas as pd

    frame = pd.concat(rows)
    assert not frame["error"].astype(bool).any()
    means = frame.groupby("method")["auroc"].mean()
    assert means["ADRA-K2"] > means["kNN-AD"]
    assert means["ADRA-K2"] > means["UADRA"]
