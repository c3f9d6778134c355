"""RobustAE: sparse anomalous attributes, the l1 strength, and robustness vs AutoEncoder."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from skrobustad import AutoEncoder, RobustAE


def corrupted_manifold(n, *, seed, magnitude, fraction=0.1, n_features=12, n_corrupted=2):
    """Points near a 2-D nonlinear manifold; a fraction has a few corrupted attributes.

    Returns ``X``, the row labels (1 = corrupted) and the boolean mask of the
    corrupted entries.
    """
    rng = np.random.RandomState(seed)
    W = np.random.RandomState(1000).normal(size=(2, n_features))  # the same manifold always
    X = np.tanh(rng.normal(size=(n, 2)) @ W) + 0.05 * rng.normal(size=(n, n_features))
    n_bad = int(fraction * n)
    mask = np.zeros(X.shape, dtype=bool)
    for i in range(n_bad):
        cols = rng.choice(n_features, n_corrupted, replace=False)
        mask[i, cols] = True
        X[i, cols] += rng.choice([-1.0, 1.0], n_corrupted) * magnitude
    y = np.r_[np.ones(n_bad, int), np.zeros(n - n_bad, int)]
    return X, y, mask


FAST = dict(hidden_dims=(32, 4), max_epochs=30, batch_size=64, device="cpu")


@pytest.fixture(scope="module")
def grossly_corrupted():
    return corrupted_manifold(400, seed=0, magnitude=20.0)


@pytest.fixture(scope="module")
def fitted(grossly_corrupted):
    X, _, _ = grossly_corrupted
    return RobustAE(random_state=0, **FAST).fit(X)


def test_attributes_are_sparse_and_on_the_corrupted_entries(grossly_corrupted, fitted):
    X, _, mask = grossly_corrupted
    S = fitted.anomalous_attributes_
    assert S.shape == X.shape
    found = S != 0
    assert found.mean() < 2 * mask.mean()  # sparse: about as many entries as were corrupted
    assert found[mask].mean() > 0.95  # recall of the corrupted entries
    assert mask[found].mean() > 0.9  # precision
    # S absorbs the corruption itself (20 units), not a fraction of it
    assert np.median(np.abs(S[mask])) > 15
    # the score of a training row agrees with what was learned: rows with
    # anomalous attributes score higher
    assert roc_auc_score(np.abs(S).sum(axis=1) > 0, -fitted.score_samples(X)) > 0.95


def test_larger_alpha_gives_sparser_attributes():
    X, _, _ = corrupted_manifold(300, seed=1, magnitude=3.0)
    nonzero = [
        np.count_nonzero(RobustAE(alpha=alpha, random_state=0, **FAST).fit(X).anomalous_attributes_)
        for alpha in (0.2, 1.0, 4.0)
    ]
    assert nonzero[0] > nonzero[1] > nonzero[2]


def test_beats_autoencoder_on_grossly_corrupted_training_data():
    """Training rows with a few huge attributes pull a plain autoencoder off the
    normal manifold; RobustAE moves them into S and models the inliers, so
    it detects subtler test anomalies better (same network, same epochs)."""
    aurocs = []
    for seed in range(3):
        X, _, _ = corrupted_manifold(400, seed=seed, magnitude=20.0)
        X_test, y_test, _ = corrupted_manifold(400, seed=100 + seed, magnitude=1.0)
        ae = AutoEncoder(random_state=seed, **FAST).fit(X)
        rae = RobustAE(random_state=seed, **FAST).fit(X)
        aurocs.append((roc_auc_score(y_test, -ae.score_samples(X_test)),
                       roc_auc_score(y_test, -rae.score_samples(X_test))))
    aurocs = np.array(aurocs)
    assert np.all(aurocs[:, 1] > aurocs[:, 0]), aurocs
    assert aurocs[:, 1].mean() > aurocs[:, 0].mean() + 0.03, aurocs


def test_rows_left_out_of_training_have_zero_attributes(grossly_corrupted):
    X, _, _ = grossly_corrupted
    w = np.ones(len(X))
    w[-5:] = 0.0
    y_partial = np.full(len(X), -1)
    y_partial[:5] = 1  # five of the corrupted rows are known anomalies
    est = RobustAE(random_state=0, n_outer_iter=2, **{**FAST, "max_epochs": 4}).fit(
        X, y_partial=y_partial, sample_weight=w
    )
    S = est.anomalous_attributes_
    assert S.shape == X.shape
    assert not S[:5].any() and not S[-5:].any()
    assert S[5:40].any()


def test_max_epochs_is_the_total_budget_over_rounds(grossly_corrupted):
    X, _, _ = grossly_corrupted
    est = RobustAE(n_outer_iter=3, random_state=0, **{**FAST, "max_epochs": 7}).fit(X)
    assert est.n_iter_ == len(est.loss_curve_) == 7
    assert [h["round"] for h in est.history_] == [1, 1, 1, 2, 2, 3, 3]
    assert [h["epoch"] for h in est.history_] == list(range(1, 8))
    few = RobustAE(n_outer_iter=10, random_state=0, **{**FAST, "max_epochs": 2}).fit(X)
    assert [h["round"] for h in few.history_] == [1, 2]


# test_contract.py runs RobustAE with one round (see _instances.py); the
# properties that depend on the training data are checked again with several.
SEVERAL_ROUNDS = dict(hidden_dims=(4, 2), max_epochs=6, n_outer_iter=3, batch_size=32)


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(150, 5)), rng.normal(loc=6.0, size=(15, 5))]
    y = np.r_[np.zeros(150, int), np.ones(15, int)]
    return X, y


def test_several_rounds_zero_weight_and_labeled_anomalies_are_left_out(blobs, device):
    X, y = blobs
    ref = RobustAE(random_state=0, device=device, **SEVERAL_ROUNDS).fit(X[y == 0])
    labeled = RobustAE(random_state=0, device=device, **SEVERAL_ROUNDS).fit(
        X, y_partial=np.where(y == 1, 1, -1)
    )
    weighted = RobustAE(random_state=0, device=device, **SEVERAL_ROUNDS).fit(
        X, sample_weight=(y == 0).astype(float)
    )
    for est in (labeled, weighted):
        np.testing.assert_allclose(est.score_samples(X), ref.score_samples(X), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(est.anomalous_attributes_[y == 0], ref.anomalous_attributes_,
                                   rtol=1e-5, atol=1e-6)


def test_several_rounds_are_deterministic(blobs, device):
    X, _ = blobs
    a = RobustAE(random_state=0, device=device, **SEVERAL_ROUNDS).fit(X)
    b = RobustAE(random_state=0, device=device, **SEVERAL_ROUNDS).fit(X)
    np.testing.assert_allclose(a.score_samples(X), b.score_samples(X), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(a.anomalous_attributes_, b.anomalous_attributes_)


def test_a_fit_that_raises_leaves_no_anomalous_attributes():
    from skorch.callbacks import Callback

    class FailInRoundTwo(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise RuntimeError("stopped by the test")

    X, _, _ = corrupted_manifold(200, seed=0, magnitude=5.0)
    est = RobustAE(n_outer_iter=2, callbacks=[FailInRoundTwo()], random_state=0,
                   **{**FAST, "max_epochs": 4})
    with pytest.raises(RuntimeError, match="stopped by the test"):
        est.fit(X)
    assert not hasattr(est, "anomalous_attributes_")


def test_training_on_float64_input_leaves_it_unmodified():
    # the rounds update X - S in place: on the training copy, never the caller's array
    X, _, _ = corrupted_manifold(200, seed=0, magnitude=5.0)
    before = X.copy()
    est = RobustAE(n_outer_iter=3, scale=False, dtype="float64", random_state=0, **FAST).fit(X)
    np.testing.assert_array_equal(X, before)
    assert np.count_nonzero(est.anomalous_attributes_) > 0


def test_activate_code_builds_the_autoencoders_network(grossly_corrupted):
    X, _, _ = grossly_corrupted
    params = dict(FAST, max_epochs=1, n_outer_iter=1, random_state=0)
    linear = RobustAE(**params).fit(X).module_
    activated = RobustAE(activate_code=True, **params).fit(X).module_
    # the activated code is the AutoEncoder's default network, layer for layer
    reference = AutoEncoder(**{k: v for k, v in params.items() if k != "n_outer_iter"}).fit(X)
    assert [type(m) for m in activated.modules()] == [type(m) for m in reference.module_.modules()]
    assert len(list(activated.encoder)) > len(list(linear.encoder))
    assert isinstance(list(linear.encoder)[-1], torch.nn.Linear)
