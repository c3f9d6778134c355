"""DeepSAD: the labeled terms act, the centre, the hinge variant, reductions to Deep SVDD."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from skrobustad import DeepSAD, DeepSVDD
from skrobustad.losses._hinge import DEEP_SAD_EPS, deep_sad_loss

FAST = {"hidden_dims": (16, 4), "max_epochs": 20, "random_state": 0, "device": "cpu"}


@pytest.fixture(scope="module")
def polluted():
    """300 normals, 40 anomalies (20 labeled, 20 hidden among the unlabeled)."""
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(300, 4)), rng.normal(3, 1, size=(40, 4))]
    y = np.r_[np.zeros(300, int), np.ones(40, int)]
    y_partial = np.full(len(X), -1)
    y_partial[:10] = 0
    y_partial[300:320] = 1
    return X, y, y_partial


def test_loss_terms():
    d = torch.tensor([0.5, 0.5, 0.5, 2.0])
    y = torch.tensor([-1, 0, 1, 1])
    out = deep_sad_loss(d, y, eta=3.0)
    expected = [0.5, 3.0 * (0.5 + DEEP_SAD_EPS), 3.0 / (0.5 + DEEP_SAD_EPS),
                3.0 / (2.0 + DEEP_SAD_EPS)]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_without_labels_it_is_deep_svdd(polluted, batch_norm):
    # the same network (their batch_norm defaults differ)
    X, _, _ = polluted
    sad = DeepSAD(batch_norm=batch_norm, **FAST).fit(X)
    svdd = DeepSVDD(batch_norm=batch_norm, **FAST).fit(X)
    np.testing.assert_allclose(sad.score_samples(X), svdd.score_samples(X), rtol=1e-6)


def test_centre_leaves_labeled_anomalies_out(polluted):
    X, _, y_partial = polluted
    # scale=False: the input scaling of DeepSVDD leaves the labeled anomalies out too
    sad = DeepSAD(eps=0.0, scale=False, **{**FAST, "max_epochs": 1}).fit(X, y_partial=y_partial)
    # DeepSVDD drops the labeled anomalies from training (and from its centre)
    svdd = DeepSVDD(eps=0.0, scale=False, **{**FAST, "max_epochs": 1}).fit(X, y_partial=y_partial)
    np.testing.assert_allclose(sad.center_, svdd.center_, rtol=1e-5)
    assert sad.n_labeled_anomalies_ == 20 and sad.n_labeled_normals_ == 10


@pytest.mark.parametrize("loss", ["inverse", "hinge"])
def test_eta_term_pushes_labeled_anomalies_away(polluted, loss):
    X, y, y_partial = polluted
    params = {**FAST, "lr": 1e-3, "loss": loss}
    unl = DeepSAD(**params).fit(X)
    weak = DeepSAD(eta=0.01, **params).fit(X, y_partial=y_partial)
    strong = DeepSAD(eta=10.0, **params).fit(X, y_partial=y_partial)
    labeled_anomalies = y_partial == 1

    def gap(est):
        s = -est.score_samples(X)
        return s[labeled_anomalies].mean() / s[y == 0].mean()

    # the labeled-anomaly term grows with eta: the labeled anomalies move out
    # (measured: inverse 1.03 / 5.7 / 16.0, hinge 0.91 / 1.66 / 15.9)
    assert gap(strong) > 2 * gap(weak)
    assert gap(weak) > 1.5 * gap(unl)
    # and so do the hidden ones (same cluster)
    hidden = (y == 1) & (y_partial == -1)
    s = -strong.score_samples(X)
    assert roc_auc_score(y[(y == 0) | hidden], s[(y == 0) | hidden]) > 0.95


def test_labels_reach_the_model(polluted):
    X, _, y_partial = polluted
    a = DeepSAD(**FAST).fit(X, y_partial=y_partial)
    b = DeepSAD(**FAST).fit(X, y_partial=np.where(y_partial == 1, 0, y_partial))
    assert not np.allclose(a.score_samples(X), b.score_samples(X), rtol=1e-3)


@pytest.mark.parametrize("margin", ["initial-loss", "labeled-max", 3.0])
def test_hinge_variant(polluted, margin):
    X, y, y_partial = polluted
    est = DeepSAD(loss="hinge", margin=margin, **FAST).fit(X, y_partial=y_partial)
    assert np.isfinite(est.margin_) and est.margin_ > 0
    if margin == 3.0:
        assert est.margin_ == 3.0
    assert roc_auc_score(y, -est.score_samples(X)) > 0.8
    inverse = DeepSAD(**FAST).fit(X, y_partial=y_partial)
    assert np.isnan(inverse.margin_)
    assert not np.allclose(est.score_samples(X), inverse.score_samples(X))


def test_pretraining_runs(polluted):
    X, _, y_partial = polluted
    est = DeepSAD(pretrain_epochs=2, **{**FAST, "max_epochs": 2}).fit(X, y_partial=y_partial)
    assert len(est.pretrain_history_) == 2


def test_bad_input(polluted):
    X, _, _ = polluted
    with pytest.raises(ValueError, match="needs normal or unlabeled"), \
            pytest.warns(UserWarning, match="More than half"):
        DeepSAD(**FAST).fit(X[:20], y_partial=np.ones(20))
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="loss"):
        DeepSAD(loss="square", **FAST).fit(X)
    with pytest.raises(InvalidParameterError, match="eta"):
        DeepSAD(eta=0.0, **FAST).fit(X)
