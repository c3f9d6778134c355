"""Small residual networks to pretrain and adapt (ADRA's tests, example and suite)."""

import itertools

import torch
from torch import nn
from torch.nn import functional as F

from ._mlp import check_widths


class _Shortcut(nn.Module):
    """Parameter-free shortcut: stride by average pooling, new channels as zeros."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.extra = out_channels - in_channels
        self.stride = stride

    def forward(self, x):
        if self.stride > 1:
            x = F.avg_pool2d(x, self.stride, ceil_mode=True)
        if self.extra:
            x = F.pad(x, (0, 0, 0, 0, 0, self.extra))
        return x


class BasicBlock(nn.Module):
    """``relu(x' + bn(conv(relu(bn(conv(x))))))`` with 3x3 convolutions.

    The shortcut ``x'`` has no parameters (average pooling for the stride,
    zero channels for the width), so that every parameter of a residual
    network built from these blocks is in a 3x3 convolution, a batch norm or
    the stem.
    """

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        if out_channels < in_channels:
            raise ValueError("BasicBlock cannot reduce the number of channels.")
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = _Shortcut(in_channels, out_channels, stride)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResidualCNN(nn.Module):
    """A small ResNet for images ``(n, C, H, W)``; outputs pooled features.

    A 3x3 stem convolution, then one stage of ``blocks`` :class:`BasicBlock`
    per entry of ``channels`` (every stage after the first halves the
    resolution), then global average pooling: ``forward`` returns features
    of shape ``(n, channels[-1])`` (``out_features``), no classifier (train
    one on top, e.g. with :func:`pretrain_classifier`).

    Parameters
    ----------
    in_channels : int, default=1
    channels : sequence of int, default=(16, 32, 64)
        Widths of the stages (non-decreasing).
    blocks : int, default=1
        Blocks per stage; the network has ``2 * blocks * len(channels) + 1``
        convolutions.
    """

    def __init__(self, in_channels=1, channels=(16, 32, 64), blocks=1):
        super().__init__()
        channels = check_widths(channels, "channels")
        if any(b < a for a, b in itertools.pairwise(channels)):
            raise ValueError(f"channels must be non-decreasing, got {channels}.")
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, channels[0], 3, padding=1, bias=False),
            nn.BatchNorm2d(channels[0]),
            nn.ReLU(),
        )
        stages, c_in = [], channels[0]
        for i, c in enumerate(channels):
            for b in range(int(blocks)):
                stages.append(BasicBlock(c_in, c, stride=2 if (i > 0 and b == 0) else 1))
                c_in = c
        self.stages = nn.Sequential(*stages)
        self.out_features = channels[-1]

    def forward(self, x):
        return self.stages(self.stem(x)).mean(dim=(2, 3))


class _ResidualDense(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)

    def forward(self, x):
        return torch.relu(x + self.fc2(torch.relu(self.fc1(x))))


class ResidualMLP(nn.Module):
    """A dense residual network for tabular input ``(n, d)``; outputs features.

    ``Linear(d, width)``, ReLU, then ``n_blocks`` blocks
    ``relu(x + fc2(relu(fc1(x))))``: ``forward`` returns ``(n, width)``
    (``out_features``).

    Parameters
    ----------
    n_features : int
    width : int, default=64
    n_blocks : int, default=2
    """

    def __init__(self, n_features, width=64, n_blocks=2):
        super().__init__()
        self.inp = nn.Linear(int(n_features), int(width))
        self.blocks = nn.Sequential(*[_ResidualDense(int(width)) for _ in range(int(n_blocks))])
        self.out_features = int(width)

    def forward(self, x):
        return self.blocks(torch.relu(self.inp(x)))
