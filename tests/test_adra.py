"""ADRA: what it does beyond the contract (tests/test_contract.py runs that)."""

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skrobustad import ADRA
from skrobustad.nn import AdaptedLayer, ResidualCNN, ResidualMLP, attach_adapters


def _images(rng, n, kind):
    """8x8 one-channel images: horizontal bars, vertical bars or noise."""
    X = rng.normal(0, 0.3, size=(n, 1, 8, 8))
    pos = rng.randint(0, 8, size=n)
    for i, p in enumerate(pos):
        if kind == "h":
            X[i, 0, p, :] += 2.0
        elif kind == "v":
            X[i, 0, :, p] += 2.0
        else:
            X[i, 0] += rng.normal(0, 1.0, size=(8, 8))
    return X.astype(np.float32)


@pytest.fixture(scope="module")
def image_task():
    rng = np.random.RandomState(0)
    normal, exposure = _images(rng, 96, "h"), _images(rng, 192, "n")
    X = np.r_[normal, exposure]
    y_partial = np.r_[np.zeros(96, int), np.ones(192, int)]
    test = np.r_[_images(rng, 40, "h"), _images(rng, 40, "v")]
    y_test = np.r_[np.zeros(40), np.ones(40)]
    return X, y_partial, test, y_test


@pytest.fixture(scope="module")
def cnn():
    torch.manual_seed(0)
    net = ResidualCNN(1, channels=(4, 8))
    net.train()
    with torch.no_grad():  # non-trivial batch-norm statistics
        net(torch.randn(32, 1, 8, 8))
    net.eval()
    return net


def _fit(backbone, X, y_partial=None, **kwargs):
    params = {"n_experts": 2, "head_dim": 8, "max_epochs": 4, "batch_size": 32,
              "random_state": 0, "device": "cpu"}
    return ADRA(backbone, **{**params, **kwargs}).fit(X, y_partial=y_partial)


def _frozen_state(module):
    """The adapted backbone's own tensors, under the backbone's original names."""
    out = {}
    for name, t in module.state_dict().items():
        if ".adapter." in name:
            continue
        out[name.replace(".layer.", ".")] = t
    return out


@pytest.mark.parametrize("bn_stats", ["frozen", "task"])
def test_pretrained_parameters_and_buffers_stay_bit_identical(cnn, image_task, bn_stats):
    X, y_partial, _, _ = image_task
    original = {k: v.clone() for k, v in cnn.state_dict().items()}
    est = _fit(cnn, X, y_partial, bn_stats=bn_stats)
    # the user's module is never touched
    for k, v in cnn.state_dict().items():
        assert torch.equal(v, original[k]), k
    frozen = _frozen_state(est.module_.backbone)
    assert set(frozen) == set(original)
    changed = [k for k, v in frozen.items() if not torch.equal(v, original[k])]
    if bn_stats == "frozen":
        assert changed == []
    else:  # per-task statistics: only batch-norm buffers were re-estimated
        assert changed and all(k.split(".")[-1] in ("running_mean", "running_var",
                                                    "num_batches_tracked") for k in changed)


def test_only_adapters_gates_and_head_receive_gradients(cnn, image_task):
    X, y_partial, _, _ = image_task
    est = _fit(cnn, X, y_partial)
    names = est.trainable_parameters()
    assert names and all(".adapter." in n or n.startswith("head.") for n in names)
    assert any(".gate." in n for n in names)
    module = est.module_
    module.train()
    module.zero_grad(set_to_none=True)
    out = module(torch.as_tensor(X[:64]))
    est._loss(out, {"y": torch.as_tensor(y_partial[:64])}).mean().backward()
    for name, p in module.named_parameters():
        if name in names:
            assert p.grad is not None, name
        else:
            assert p.grad is None, name
    n_trainable = sum(p.numel() for n, p in module.named_parameters() if n in names)
    assert est.n_trainable_params_ == n_trainable
    assert est.n_backbone_params_ == sum(p.numel() for p in cnn.parameters())


def test_adapted_network_before_training_equals_the_backbone(cnn):
    x = torch.randn(6, 1, 8, 8)
    adapted = copy.deepcopy(cnn)
    attach_adapters(adapted, n_experts=4)
    adapted.eval()
    assert torch.equal(adapted(x), cnn(x))


#: What the recording callbacks saw (the estimator trains with deep copies
#: of its callbacks, so they report here, by key).
_RECORDS = {}


class _ScoresOf(Callback):
    """Record the mean anomaly score of fixed rows at the start and end of training."""

    def __init__(self, key, X):
        self.key = key
        self.X = X

    def _record(self, net):
        net.module_.eval()
        with torch.no_grad():
            score = net.module_.radial(torch.as_tensor(self.X)).mean()
        _RECORDS.setdefault(self.key, []).append(float(score))
        net.module_.train()

    def on_train_begin(self, net, **kwargs):
        self._record(net)

    def on_train_end(self, net, **kwargs):
        self._record(net)


def test_exposure_scores_rise_and_normal_scores_fall_during_training(cnn, image_task):
    # pins the direction of the HSC loss: the paper's Eq. 1 is printed with
    # its two terms swapped; copying it would make these inequalities flip
    X, y_partial, _, _ = image_task
    callbacks = [("exp", _ScoresOf("exposure", X[y_partial == 1])),
                 ("nor", _ScoresOf("normal", X[y_partial == 0]))]
    _RECORDS.clear()
    est = _fit(cnn, X, y_partial, max_epochs=6, callbacks=callbacks)
    assert not est.unsupervised_
    (start_e, end_e), (start_n, end_n) = _RECORDS["exposure"], _RECORDS["normal"]
    assert end_e > start_e
    # (normal scores may rise too while the random head spreads everything
    # out; the gap between the two grows)
    assert end_e - end_n > 2 * (start_e - start_n) > 0


def test_outlier_exposure_reaches_the_model(cnn, image_task):
    X, y_partial, test, _ = image_task
    with_oe = _fit(cnn, X, y_partial, max_epochs=4)
    without = _fit(cnn, X[y_partial == 0], max_epochs=4)
    assert with_oe.n_exposure_ == 192 and without.unsupervised_
    assert not np.allclose(with_oe.score_samples(test), without.score_samples(test))
    # the exposure corpus itself is scored abnormal
    s = with_oe.score_samples(X)
    assert s[y_partial == 1].mean() < s[y_partial == 0].mean()
    # relabeling the corpus as unlabeled (it then trains as normal) changes the model
    as_normal = _fit(cnn, X, np.full(len(X), -1), max_epochs=4)
    assert as_normal.unsupervised_
    assert not np.allclose(as_normal.score_samples(test), with_oe.score_samples(test))


def test_large_exposure_corpus_does_not_warn(image_task):
    X, y_partial, _, _ = image_task
    assert (y_partial == 1).mean() > 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _fit(ResidualCNN(1, channels=(4,)), X, y_partial, max_epochs=1)


def test_uadra_head_is_bias_free_and_scores_are_not_constant(image_task):
    X, y_partial, test, _ = image_task
    est = _fit(ResidualCNN(1, channels=(4,)), X[y_partial == 0], max_epochs=5)
    assert est.unsupervised_ and est.module_.head.bias is None
    assert np.all(np.abs(est.center_) >= est.eps - 1e-7)
    scores = est.score_samples(test)
    assert np.ptp(scores) > 1e-3 and np.unique(scores).size > len(test) // 2
    with_oe = _fit(ResidualCNN(1, channels=(4,)), X, y_partial, max_epochs=1)
    assert with_oe.module_.head.bias is not None and not np.any(with_oe.center_)


class _BatchCounter(Callback):
    """Record (exposure rows, other rows) of every training batch."""

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        if training:
            y = batch[0]["y"]
            _RECORDS.setdefault("batches", []).append((int((y == 1).sum()), int((y != 1).sum())))


def test_batches_are_balanced_and_sgd_schedule_is_used(monkeypatch, image_task):
    X, y_partial, _, _ = image_task
    seen = {}
    sgd_init = torch.optim.SGD.__init__

    def spy(self, params, **kwargs):
        seen.update(kwargs)
        sgd_init(self, params, **kwargs)

    monkeypatch.setattr(torch.optim.SGD, "__init__", spy)
    _RECORDS.clear()
    est = _fit(ResidualMLP(64, width=8, n_blocks=1), X.reshape(len(X), -1), y_partial,
               max_epochs=6, batch_size=16, callbacks=[("count", _BatchCounter())])
    assert seen["momentum"] == 0.9 and seen["weight_decay"] == 1e-4
    batches = _RECORDS["batches"]
    # 96 normal rows, 8 per batch: 12 steps an epoch, each half exposure
    assert len(batches) == 6 * 12
    assert all(b == (8, 8) for b in batches)
    # step decay by 10 after 2/3 and 5/6 of the epochs
    lrs = [h["event_lr"] for h in est.history_]
    assert lrs == pytest.approx([0.01] * 4 + [1e-3] + [1e-4])


def test_linear_only_backbone_and_tabular_input():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 5))
    exposure = rng.normal(0, 1, size=(240, 5)) + rng.choice([-4, 4], size=(240, 5))
    est = _fit(ResidualMLP(5, width=16), np.r_[X, exposure],
               np.r_[np.zeros(120), np.ones(240)], rank=2, max_epochs=6)
    assert all(isinstance(est.module_.backbone.get_submodule(n), AdaptedLayer)
               for n in est.adapted_layers_)
    s = est.score_samples(np.r_[X[:20], exposure[:20]])
    assert s[20:].mean() < s[:20].mean()


def test_same_seed_same_scores_and_pickle_on_images(cnn, image_task):
    X, y_partial, test, _ = image_task
    a = _fit(cnn, X, y_partial, max_epochs=2)
    b = _fit(cnn, X, y_partial, max_epochs=2)
    np.testing.assert_array_equal(a.score_samples(test), b.score_samples(test))
    c = _fit(cnn, X, y_partial, max_epochs=2, random_state=1)
    assert not np.allclose(a.score_samples(test), c.score_samples(test))
    clone = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(clone.score_samples(test), a.score_samples(test))


def test_adapter_state_dict_exports_the_task(cnn, image_task):
    X, y_partial, test, _ = image_task
    est = _fit(cnn, X, y_partial, max_epochs=2)
    task = est.module_.adapter_state_dict()
    assert all(".adapter." in k or k.startswith("head.") or k == "center" for k in task)
    assert sum(v.numel() for k, v in task.items() if k != "center") == est.n_trainable_params_
    # a second fit holds other adapters; loading the first's restores its scores
    other = _fit(cnn, X, y_partial, max_epochs=2, random_state=5)
    other.module_.load_state_dict(task, strict=False)
    np.testing.assert_allclose(other.score_samples(test), est.score_samples(test), rtol=1e-6)


def test_scale_standardises_channels(cnn, image_task):
    X, y_partial, _, _ = image_task
    est = _fit(cnn, X * 10 + 3, y_partial, scale=True, max_epochs=1)
    assert est.scaler_.mean_.shape == (1,)
    assert est._scale_input(X * 10 + 3).mean() == pytest.approx(0.0, abs=1e-6)
    assert _fit(cnn, X, y_partial, max_epochs=1).scaler_ is None


def test_bad_input_is_refused_clearly(cnn, image_task):
    X, y_partial, test, _ = image_task
    with pytest.raises(ValueError, match="shape"):
        _fit(cnn, X[:, 0])  # (n, H, W)
    est = _fit(cnn, X, y_partial, max_epochs=1)
    with pytest.raises(ValueError, match=r"shape \(1, 6, 6\).*\(1, 8, 8\)"):
        est.score_samples(test[:, :, :6, :6])
    with pytest.raises(ValueError, match="every sample"):
        _fit(cnn, X[y_partial == 1], np.ones(192))
    with pytest.raises(TypeError, match="must return a torch.nn.Module"):
        _fit(lambda shape: "resnet", X)
    with pytest.raises(ValueError, match="not Conv2d / Linear"):
        _fit(cnn, X, layers=("stem.1",))
    with pytest.raises(ValueError, match="lr_milestones"):
        _fit(cnn, X, lr_milestones=(0.5, 2.0))


def test_trainable_share_at_k2_on_the_suite_backbone():
    from skrobustad.benchmark._suite_adra import CHANNELS, HSC_PARAMS, SIZE

    net = ResidualCNN(1, channels=CHANNELS)
    x = np.random.RandomState(0).normal(size=(4, 1, SIZE, SIZE)).astype(np.float32)
    share = {}
    for k in (1, 2, 4):
        est = ADRA(net, n_experts=k, head_dim=HSC_PARAMS["head_dim"], max_epochs=1,
                   device="cpu", random_state=0)
        est.fit(x)
        share[k] = est.n_trainable_params_ / est.n_backbone_params_
    assert share[1] < share[2] < share[4]
    assert share[2] <= 0.25


def test_torchvision_resnet_backbone():
    torchvision = pytest.importorskip("torchvision")  # the optional "vision" extra
    resnet = torchvision.models.resnet18(weights=None)  # never downloads
    resnet.fc = torch.nn.Identity()
    rng = np.random.RandomState(0)
    X = rng.normal(size=(8, 3, 32, 32)).astype(np.float32)
    est = ADRA(resnet, n_experts=2, layers="conv", max_epochs=1, batch_size=4, device="cpu",
               random_state=0).fit(X, y_partial=np.r_[np.zeros(4), np.ones(4)])
    assert est.n_trainable_params_ < 0.3 * est.n_backbone_params_
    assert np.all(np.isfinite(est.score_samples(X)))
