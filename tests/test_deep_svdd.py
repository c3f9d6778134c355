"""DeepSVDD: centre, collapse guard and ranking on synthetic data."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from skrobustad import DeepSVDD
from skrobustad.exceptions import ConstantScoresWarning


@pytest.fixture(scope="module")
def planted_cluster():
    """Correlated Gaussian inliers and a small anomaly cluster off their main axis."""
    rng = np.random.RandomState(0)
    cov = 0.5 * np.eye(6) + 0.5
    inliers = rng.multivariate_normal(np.zeros(6), cov, size=400)
    anomalies = rng.normal(0.0, 0.3, size=(20, 6))
    anomalies[:, :3] += 2.0
    anomalies[:, 3:] -= 2.0
    X = np.r_[inliers, anomalies]
    y = np.r_[np.zeros(400, int), np.ones(20, int)]
    return X, y


def test_ranks_planted_cluster_with_non_constant_scores(planted_cluster, device):
    X, y = planted_cluster
    est = DeepSVDD(hidden_dims=(32, 8), max_epochs=20, random_state=0, device=device).fit(X)
    anomaly = -est.score_samples(X)
    assert roc_auc_score(y, anomaly) > 0.95
    # far from collapsed: the scores spread over a range comparable to their size
    assert np.std(anomaly) > 0.1 * np.mean(anomaly) > 0
    assert est.loss_curve_[-1] < est.loss_curve_[0]


def test_center_is_exposed_and_kept_away_from_zero(planted_cluster, device):
    X, _ = planted_cluster
    est = DeepSVDD(hidden_dims=(16, 8), eps=0.1, max_epochs=2, random_state=0,
                   device=device).fit(X)
    assert isinstance(est.center_, np.ndarray) and est.center_.shape == (8,)
    assert np.all(np.abs(est.center_) >= 0.1 - 1e-7)
    np.testing.assert_allclose(est.center_, est.module_.center.cpu().numpy())
    # the centre is a buffer: saved with the module, never trained
    assert "center" in est.module_.state_dict()
    assert all(p is not est.module_.center for p in est.module_.parameters())
    # a copy: changing it does not change the model
    est.center_[:] = 0.0
    assert torch.all(est.module_.center != 0)

    wide = DeepSVDD(hidden_dims=(16, 8), eps=10.0, max_epochs=1, random_state=0,
                    device=device).fit(X)
    np.testing.assert_allclose(np.abs(wide.center_), 10.0)


def test_center_is_the_weighted_mean_embedding(planted_cluster):
    X, _ = planted_cluster
    w = np.r_[np.full(200, 3.0), np.ones(len(X) - 200)]
    # without batch norm: its running statistics change in the one epoch
    est = DeepSVDD(hidden_dims=(16, 8), eps=0.0, batch_norm=False, max_epochs=1,
                   random_state=0, device="cpu")
    # the same seed builds the same initial network: recompute its mean embedding
    init = est.set_params(lr=1e-12).fit(X, sample_weight=w)
    with torch.no_grad():
        Z = torch.as_tensor(init._scale_input(X), dtype=torch.float32)
        z = init.module_.embed(Z).numpy()
    np.testing.assert_allclose(init.center_, np.average(z, axis=0, weights=w), rtol=1e-4,
                               atol=1e-6)


def test_collapse_warns_on_constant_training_data(device):
    X = np.ones((64, 4))
    with pytest.warns(ConstantScoresWarning, match="constant"):
        DeepSVDD(hidden_dims=(8, 4), max_epochs=2, random_state=0, device=device).fit(X)


def test_float64_and_pickle_keep_the_center(planted_cluster):
    X, _ = planted_cluster
    est = DeepSVDD(hidden_dims=(8, 4), max_epochs=2, random_state=0, device="cpu",
                   dtype="float64").fit(X)
    assert est.module_.center.dtype == torch.float64
    clone = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(clone.module_.center.numpy(), est.module_.center.numpy())
    np.testing.assert_array_equal(clone.score_samples(X), est.score_samples(X))


def test_network_is_bias_free():
    est = DeepSVDD(hidden_dims=(8, 4), batch_norm=True, max_epochs=1, random_state=0,
                   device="cpu").fit(np.random.RandomState(0).normal(size=(100, 3)))
    names = [name for name, _ in est.module_.named_parameters()]
    assert names and not any("bias" in n for n in names)
    norms = [m for m in est.module_.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert norms and not any(m.affine for m in norms)


def test_autoencoder_pretraining_starts_from_a_trained_encoder(planted_cluster, device):
    X, _ = planted_cluster
    params = dict(hidden_dims=(16, 4), lr=1e-3, max_epochs=1, random_state=0, device=device)
    plain = DeepSVDD(**params).fit(X)
    pre = DeepSVDD(pretrain_epochs=15, **params).fit(X)
    assert not hasattr(plain, "pretrain_history_")
    losses = pre.pretrain_history_[:, "train_loss"]
    assert len(losses) == 15 and losses[-1] < 0.9 * losses[0]  # the autoencoder learned
    assert not np.allclose(pre.center_, plain.center_)  # the centre comes from the new encoder
    # the network stays Deep SVDD's bias-free encoder; the decoder is dropped
    assert set(dict(pre.module_.named_parameters())) == set(dict(plain.module_.named_parameters()))
    again = DeepSVDD(pretrain_epochs=15, **params).fit(X)
    np.testing.assert_array_equal(again.score_samples(X), pre.score_samples(X))
    # a warm-started fit continues from the fitted encoder, without pre-training again
    pre.set_params(warm_start=True).fit(X)
    assert len(pre.pretrain_history_) == 15
