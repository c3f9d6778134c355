"""MAF: density-based ranking, calibrated log-likelihoods, numerical guards."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from skrobustad import MAF

FAST = dict(n_transforms=3, hidden_dims=(16, 16), batch_size=128)


@pytest.fixture(scope="module")
def gaussian_fit():
    X = np.random.RandomState(0).normal(size=(1000, 3))
    return MAF(max_epochs=30, random_state=0, device="cpu", **FAST).fit(X)


def test_log_likelihood_of_a_gaussian_sample_is_close_to_the_analytic_one(gaussian_fit):
    d = 3
    X_test = np.random.RandomState(1).normal(size=(2000, d))
    log_density = gaussian_fit.score_samples(X_test)
    analytic = -0.5 * d * np.log(2 * np.pi) - 0.5 * (X_test**2).sum(axis=1)
    # mean log-likelihood within 0.15 nats of the truth (about -4.26 here)
    assert abs(log_density.mean() - analytic.mean()) < 0.15
    assert np.mean(np.abs(log_density - analytic)) < 0.3
    # score_samples is the flow's log-density
    # (of the standardised features, corrected by the scaler's log-Jacobian)
    scaler = gaussian_fit.scaler_
    z = torch.as_tensor(scaler.transform(X_test[:5]), dtype=torch.float32)
    with torch.no_grad():
        direct = gaussian_fit.module_.log_prob(z).numpy() - np.log(scaler.scale_).sum()
    np.testing.assert_allclose(log_density[:5], direct, rtol=1e-5)


def test_ranks_planted_anomalies_above_inliers(device):
    rng = np.random.RandomState(0)
    # inliers on a noisy bent line; anomalies lie 10 noise levels above it,
    # inside the marginal range of the second feature
    t = rng.uniform(-2, 2, size=600)
    inliers = np.c_[t, np.abs(t) + 0.1 * rng.normal(size=600), rng.normal(size=600)]
    u = rng.uniform(-2, 2, size=20)
    anomalies = np.c_[u, np.abs(u) + 1.0 + 0.1 * rng.normal(size=20), rng.normal(size=20)]
    X = np.r_[inliers, anomalies]
    y = np.r_[np.zeros(600, int), np.ones(20, int)]
    est = MAF(max_epochs=50, random_state=0, device=device, **{**FAST, "batch_size": 64}).fit(X)
    assert roc_auc_score(y, -est.score_samples(X)) > 0.95


def test_far_away_points_get_finite_lowest_scores(gaussian_fit):
    X = np.random.RandomState(2).normal(size=(50, 3))
    far = np.array([[1e30, 0.0, 0.0], [-1e38, 1e38, -1e38], [0.0, 0.0, 1e20]])
    scores = gaussian_fit.score_samples(np.r_[X, far])
    assert np.all(np.isfinite(scores))
    assert np.all(scores[-3:] < scores[:-3].min())
    assert np.all(np.isfinite(gaussian_fit.decision_function(far)))
    assert np.all(gaussian_fit.predict(far) == -1)


def test_float64_flow(gaussian_fit):
    X = np.random.RandomState(0).normal(size=(200, 2))
    est = MAF(max_epochs=2, random_state=0, device="cpu", dtype="float64", **FAST).fit(X)
    assert all(p.dtype == torch.float64 for p in est.module_.parameters())
    assert np.all(np.isfinite(est.score_samples(X)))


def test_single_feature():
    X = np.random.RandomState(0).normal(size=(200, 1))
    est = MAF(max_epochs=3, random_state=0, device="cpu", **FAST).fit(X)
    assert np.all(np.isfinite(est.score_samples(X)))
