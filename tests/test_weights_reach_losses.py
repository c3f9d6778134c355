"""Weights, labels and thresholds reach the losses: each test fails under a known mutation.

The mutations (issue 11): the engine using only ``weight > 0`` (IAD's
fractional weights ignored), the IAD ensemble redrawing its subsamples every
round, lambda dropped from AE-SAD's loss, RobustAE shrinking at ``alpha``
instead of ``alpha / 2``.
"""

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, OutlierMixin

from skrobustad import AESAD, IAD, MAF, AutoEncoder, DeepSVDD
from skrobustad._engine import BatchData, train_module
from skrobustad._engine._train import _DetectorNet
from skrobustad.detectors._robust_ae import RobustAE
from skrobustad.losses import aesad_loss


# ------------------------------------------------------ engine: weighted mean
def test_engine_loss_is_the_weighted_mean_of_per_sample_losses():
    net = _DetectorNet(torch.nn.Identity, loss_fn=lambda output, batch: output,
                       criterion=torch.nn.Identity)
    losses = torch.tensor([1.0, 2.0, 3.0, 4.0])
    batch = {"weight": torch.tensor([0.5, 1.0, 0.25, 0.0])}
    expected = (0.5 * 1 + 1.0 * 2 + 0.25 * 3 + 0.0 * 4) / 4
    assert float(net.get_loss(losses, None, X=batch)) == pytest.approx(expected)


def test_fractional_weights_change_the_training_gradient():
    # one full-batch SGD step: the update is the gradient of mean(w * loss)
    torch.manual_seed(0)
    X = torch.randn(8, 2)
    weight = torch.tensor([1.0, 0.1, 0.9, 0.3, 1.0, 0.5, 0.2, 0.7])
    updates = []
    for w in (weight, torch.ones(8)):
        module = torch.nn.Linear(2, 1, bias=False)
        with torch.no_grad():
            module.weight.fill_(1.0)
        train_module(
            module, BatchData({"X": X, "weight": w}),
            loss_fn=lambda output, batch: output.squeeze(1) ** 2,
            max_epochs=1, batch_size=8, lr=0.1, device=torch.device("cpu"),
            generator=torch.Generator().manual_seed(0), optimizer=torch.optim.SGD,
        )
        updates.append(1.0 - module.weight.detach().squeeze())
    out = (X @ torch.ones(2, 1)).squeeze(1)
    expected = 0.1 * (2 * (weight * out)[:, None] * X).mean(dim=0)
    torch.testing.assert_close(updates[0], expected)
    assert not torch.allclose(updates[0], updates[1])


@pytest.mark.parametrize("cls", [AutoEncoder, DeepSVDD, MAF], ids=lambda c: c.__name__)
def test_fractional_sample_weights_change_a_deep_detector(cls):
    X = np.random.RandomState(0).normal(size=(120, 3))
    w = np.random.RandomState(1).uniform(0.05, 1.0, size=120)  # no zero: a mask ignores them
    params = dict(max_epochs=3, batch_size=32, random_state=0, device="cpu")
    plain = cls(**params).fit(X).score_samples(X)
    weighted = cls(**params).fit(X, sample_weight=w).score_samples(X)
    assert not np.allclose(plain, weighted)


# ---------------------------------------------------- IAD ensemble subsamples
class RowSpy(OutlierMixin, BaseEstimator):
    """Records the rows it was fitted on (by their first feature, a row id)."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y=None, sample_weight=None):
        self.rows_ = np.sort(X[:, 0].astype(int))
        self.center_ = np.average(X[:, 1:], axis=0, weights=sample_weight)
        return self

    def score_samples(self, X):
        return -np.linalg.norm(X[:, 1:] - self.center_, axis=1)


def test_iad_ensemble_keeps_each_members_subsample_across_rounds():
    rng = np.random.RandomState(0)
    X = np.c_[np.arange(100), rng.normal(size=(100, 2))]
    iad = IAD(RowSpy(), n_estimators=3, max_iter=3, random_state=0).fit(X)
    rounds = [[m.rows_ for m in model.estimators_] for model in iad.round_estimators_]
    for k in range(3):
        assert len(rounds[0][k]) == 80
        for t in range(1, 4):
            np.testing.assert_array_equal(rounds[t][k], rounds[0][k])
    assert not np.array_equal(rounds[0][0], rounds[0][1]), "members share one subsample"


def test_iad_ensemble_scales_each_member_to_median_one():
    rng = np.random.RandomState(0)
    X = np.c_[np.arange(100), rng.normal(size=(100, 2))]
    iad = IAD(RowSpy(), n_estimators=2, max_iter=0, random_state=0).fit(X)
    ensemble = iad.estimator_
    per_member = [
        (-m.score_samples(X) - shift) / scale
        for m, shift, scale in zip(ensemble.estimators_, ensemble.shifts_, ensemble.scales_)
    ]
    for a in per_member:
        assert np.median(a) == pytest.approx(1.0)
    np.testing.assert_allclose(-ensemble.score_samples(X), np.mean(per_member, axis=0))


# -------------------------------------------------------------- AE-SAD lambda
def test_aesad_loss_weighs_labeled_anomalies_by_lambda():
    torch.manual_seed(0)
    x, x_hat = torch.rand(6, 4), torch.rand(6, 4)
    is_anomaly = torch.tensor([True, False, True, False, False, False])
    one = aesad_loss(x, x_hat, is_anomaly, anomaly_weight=1.0)
    three = aesad_loss(x, x_hat, is_anomaly, anomaly_weight=3.0)
    torch.testing.assert_close(three[is_anomaly], 3.0 * one[is_anomaly])
    torch.testing.assert_close(three[~is_anomaly], one[~is_anomaly])


def test_aesad_anomaly_weight_changes_the_model():
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(100, 3)), rng.normal(loc=3.0, size=(10, 3))]
    y_partial = np.r_[-np.ones(100), np.ones(10)]
    params = dict(hidden_dims=(4, 2), max_epochs=3, batch_size=32, random_state=0, device="cpu")
    scores = [
        AESAD(anomaly_weight=w, **params).fit(X, y_partial=y_partial).score_samples(X)
        for w in (1.0, 20.0)
    ]
    assert not np.allclose(*scores)


# ------------------------------------------------------ RobustAE's threshold
def test_robust_ae_moves_residuals_beyond_half_alpha_into_s():
    est = RobustAE(alpha=1.0)

    class Zero(torch.nn.Module):
        def forward(self, x):
            return torch.zeros_like(x)

    # with a network that reconstructs 0, the residual is x itself
    X = torch.tensor([[0.4, 0.6, -0.7, 2.0]])
    S = torch.zeros_like(X)  # the first round
    est._update_attributes(Zero(), X, S)
    # |x| <= alpha / 2 = 0.5 stays out; beyond it, x shrinks by alpha / 2
    torch.testing.assert_close(S, torch.tensor([[0.0, 0.1, -0.2, 1.5]]))
    # the next round trains on X - S
    batch = {"X": X, "S": S}
    torch.testing.assert_close(RobustAE._cleaned(batch), torch.tensor([[0.4, 0.5, -0.5, 0.5]]))
