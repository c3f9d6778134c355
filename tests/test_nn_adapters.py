"""The ADRA building blocks of skrobustad.nn, the HSC loss and the balanced iterator."""

import copy

import numpy as np
import pytest
import torch
from torch import nn

from skrobustad._engine import BalancedBatchIterator, BatchData
from skrobustad.losses import hsc_loss, hsc_radial
from skrobustad.nn import (
    AdaptedLayer,
    ConvAdapter,
    ExpertGate,
    LowRankAdapter,
    ResidualCNN,
    ResidualMLP,
    attach_adapters,
    pretrain_classifier,
)


def _perturb_bn(net, x):
    """Give batch-norm layers non-trivial running statistics."""
    net.train()
    with torch.no_grad():
        net(x)
    net.eval()


@pytest.mark.parametrize("n_experts", [1, 2, 4])
def test_adapted_network_starts_equal_to_the_backbone_conv(n_experts):
    torch.manual_seed(0)
    net = ResidualCNN(2, channels=(4, 8))
    x = torch.randn(5, 2, 9, 9)
    _perturb_bn(net, x)
    before = net(x)
    adapted = attach_adapters(net, n_experts=n_experts)
    assert adapted == ["stem.0", "stages.0.conv1", "stages.0.conv2", "stages.1.conv1",
                       "stages.1.conv2"]
    assert torch.equal(net(x), before)  # bit-identical: every correction is exactly 0
    for name in adapted:
        layer = net.get_submodule(name)
        assert isinstance(layer, AdaptedLayer) and isinstance(layer.adapter, ConvAdapter)
        assert (layer.adapter.gate is None) == (n_experts == 1)
        # a stride-2 layer's correction has its stride and output size
        assert layer.adapter.experts[0].stride == layer.layer.stride


def test_adapted_network_starts_equal_to_the_backbone_linear():
    torch.manual_seed(0)
    net = ResidualMLP(6, width=8, n_blocks=2)
    x = torch.randn(7, 6)
    before = net(x)
    adapted = attach_adapters(net, n_experts=2, rank=3)
    assert len(adapted) == 5
    assert torch.equal(net(x), before)
    adapter = net.get_submodule(adapted[0]).adapter
    assert isinstance(adapter, LowRankAdapter) and adapter.rank == 3
    # rank 3 corrections: 3 * (in + out) parameters per expert, plus the gate
    n = sum(p.numel() for p in adapter.parameters())
    assert n == 2 * 3 * (6 + 8) + (6 * 2 + 2)


def test_backbone_is_frozen_and_adapters_train():
    torch.manual_seed(0)
    torch.manual_seed(1)
    net = ResidualMLP(3, width=16, n_blocks=1)
    original = {n for n, _ in net.named_parameters()}
    attach_adapters(net, n_experts=2, rank=2)
    for name, p in net.named_parameters():
        is_adapter = ".adapter." in name
        assert p.requires_grad == is_adapter, name
        if not is_adapter:
            assert name.replace(".layer.", ".") in original
    out = net(torch.randn(32, 3)).pow(2).sum()
    out.backward()
    for name, p in net.named_parameters():
        if ".adapter." not in name:
            assert p.grad is None
    # zero-initialised corrections still get gradients (through their input)
    ups = [p for n, p in net.named_parameters() if ".up." in n]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in ups)


def test_gate_is_a_per_sample_softmax():
    gate = ExpertGate(3, 4)
    w = gate(torch.randn(5, 3, 6, 6))
    assert w.shape == (5, 4)
    torch.testing.assert_close(w.sum(dim=1), torch.ones(5))
    assert not torch.allclose(w[0], w[1])


def test_layer_selection_and_errors():
    net = ResidualMLP(3, width=4, n_blocks=1)
    assert attach_adapters(copy.deepcopy(net), ["inp"]) == ["inp"]
    assert attach_adapters(copy.deepcopy(net), "linear") == [
        "inp", "blocks.0.fc1", "blocks.0.fc2"]
    with pytest.raises(ValueError, match="no layer to adapt"):
        attach_adapters(copy.deepcopy(net), "conv")
    with pytest.raises(ValueError, match=r"\['nope'\]"):
        attach_adapters(copy.deepcopy(net), ["nope"])
    with pytest.raises(ValueError, match="'all', 'conv', 'linear'"):
        attach_adapters(copy.deepcopy(net), "every")
    unpadded = nn.Sequential(nn.Conv2d(1, 2, 3))
    with pytest.raises(ValueError, match="unpadded|same-like"):
        attach_adapters(unpadded)
    even = nn.Sequential(nn.Conv2d(1, 2, 4, padding=1))
    with pytest.raises(ValueError, match="same-like"):
        attach_adapters(even)
    with pytest.raises(ValueError, match="n_experts"):
        attach_adapters(copy.deepcopy(net), n_experts=0)


def test_conv_adapter_matches_dilated_strided_and_wide_padding():
    net = nn.Sequential(nn.Conv2d(2, 3, 3, stride=2, padding=2, dilation=2), nn.ReLU(),
                        nn.Conv2d(3, 3, 5, padding=2), nn.Conv2d(3, 3, 3, padding=2))
    x = torch.randn(2, 2, 11, 11)
    before = net(x)
    attach_adapters(net, n_experts=2)
    with torch.no_grad():
        for p in net.parameters():
            if p.requires_grad:
                p.normal_()
    assert net(x).shape == before.shape


def test_hsc_loss_direction():
    z = torch.tensor([[0.1, 0.0], [3.0, 4.0]])
    normal = hsc_loss(z, torch.tensor([False, False]))
    exposure = hsc_loss(z, torch.tensor([True, True]))
    torch.testing.assert_close(normal, hsc_radial(z))
    # normal rows are cheap near the centre, exposure rows far from it
    assert normal[0] < normal[1]
    assert exposure[0] > exposure[1]
    torch.testing.assert_close(hsc_radial(torch.tensor([[3.0, 4.0]])),
                               torch.tensor([np.sqrt(26.0) - 1.0], dtype=torch.float32))


def test_balanced_batches_have_equal_halves():
    y = torch.tensor([0] * 10 + [-1] * 3 + [1] * 100, dtype=torch.int8)
    data = BatchData({"X": torch.arange(len(y)).float()[:, None], "y": y,
                      "weight": torch.ones(len(y))})
    it = BalancedBatchIterator(data, 8, generator=torch.Generator().manual_seed(0))
    batches = [b for b, _ in it]
    assert len(batches) == len(it) == 4  # ceil(13 normal rows / 4)
    seen_normal = []
    for b in batches:
        n_exposure = int((b["y"] == 1).sum())
        assert n_exposure == len(b["y"]) - n_exposure
        seen_normal += b["X"][b["y"] != 1, 0].tolist()
    assert sorted(seen_normal) == list(range(13))  # one pass over the normal rows
    exposure = torch.cat([b["X"][b["y"] == 1, 0] for b in batches])
    assert len(set(exposure.tolist())) == len(exposure)  # without replacement
    # without exposure rows: plain batches over everything
    plain = BalancedBatchIterator(data.subset(torch.arange(13)), 8)
    assert len(plain) == 2 and sum(len(b["y"]) for b, _ in plain) == 13


def test_small_corpus_repeats_within_an_epoch():
    y = torch.tensor([0] * 12 + [1] * 2, dtype=torch.int8)
    data = BatchData({"X": torch.zeros(14, 1), "y": y, "weight": torch.ones(14)})
    batches = [b for b, _ in BalancedBatchIterator(data, 8, generator=torch.Generator())]
    assert all(int((b["y"] == 1).sum()) == 4 for b in batches)


def test_pretrain_classifier_learns_and_leaves_global_rng_alone():
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(-2, 1, (60, 4)), rng.normal(2, 1, (60, 4))].astype(np.float32)
    y = np.r_[np.zeros(60), np.ones(60)]
    state = torch.random.get_rng_state().clone()
    torch.manual_seed(0)
    module = ResidualMLP(4, width=8, n_blocks=1)
    state = torch.random.get_rng_state().clone()
    out, head = pretrain_classifier(module, X, y, max_epochs=15, batch_size=32, lr=1e-2,
                                    random_state=0, return_head=True)
    assert out is module and not module.training
    assert torch.equal(torch.random.get_rng_state(), state)
    with torch.no_grad():
        pred = head(module(torch.as_tensor(X))).argmax(1).numpy()
    assert (pred == y).mean() > 0.9


def test_residual_cnn_shapes():
    net = ResidualCNN(3, channels=(4, 8, 8), blocks=2)
    assert net(torch.randn(2, 3, 15, 15)).shape == (2, 8)
    assert net.out_features == 8
    with pytest.raises(ValueError, match="non-decreasing"):
        ResidualCNN(1, channels=(8, 4))
