"""Residual adapters on a frozen network (Rebuffi et al. 2018; Deecke et al. 2020).

:func:`attach_adapters` wraps chosen ``Conv2d`` / ``Linear`` layers of a
module in :class:`AdaptedLayer`: the frozen layer's output plus a mixture of
``K`` small linear corrections of the layer's input (Eq. 2 and 3 of Deecke
et al., "Deep Anomaly Detection by Residual Adaptation"):

.. math::

    y = f_\\theta(x) + \\sum_{k=1}^K g_k(x) \\, h_{\\alpha_k}(x)

- for a ``Conv2d``, ``h_k`` is a 1x1 convolution without bias, with the
  frozen layer's stride (:class:`ConvAdapter`);
- for a ``Linear``, ``h_k`` is a low-rank linear map ``B_k A_k`` without
  bias, of rank ``rank`` (:class:`LowRankAdapter`);
- the gate ``g(x)`` (:class:`ExpertGate`) is a softmax over the ``K``
  experts of a linear function of the layer input, global-average-pooled
  over the spatial dimensions for convolutions: one attention weight per
  expert and sample (the paper cites self-attention and leaves the form
  open; this is the cheapest per-sample gate). With ``K = 1`` there is no
  gate.

Every correction starts at zero (the convolution weights and the ``B``
factors are zero-initialised, the ``A`` factors and the gate are random), so
a freshly adapted network computes exactly what the backbone computes; the
paper initialises the corrections at random instead. Training moves the
corrections away from zero (their gradients are non-zero because their input
is), and the random gate breaks the symmetry between experts.
"""

import math

import torch
from torch import nn

from ..losses._hsc import hsc_radial

#: Layer kinds :func:`attach_adapters` can adapt.
ADAPTABLE = (nn.Conv2d, nn.Linear)


class ExpertGate(nn.Module):
    """Per-sample softmax weights over ``n_experts``, from the layer input.

    ``x`` of shape ``(n, C, ...)`` is averaged over its trailing
    (spatial) dimensions, mapped linearly to ``n_experts`` logits and
    normalised with a softmax: output shape ``(n, n_experts)``.

    Parameters
    ----------
    in_features : int
        Channels (or features) of the layer input.
    n_experts : int
    """

    def __init__(self, in_features, n_experts):
        super().__init__()
        self.proj = nn.Linear(in_features, n_experts)

    def forward(self, x):
        pooled = x.flatten(2).mean(dim=2) if x.dim() > 2 else x
        return torch.softmax(self.proj(pooled), dim=1)


class _Experts(nn.Module):
    """Shared logic: ``sum_k g_k(x) h_k(x)`` over the experts of an adapter."""

    def __init__(self, in_features, n_experts):
        super().__init__()
        if int(n_experts) < 1:
            raise ValueError(f"n_experts must be a positive int, got {n_experts!r}.")
        self.n_experts = int(n_experts)
        self.gate = ExpertGate(in_features, self.n_experts) if self.n_experts > 1 else None

    def expert(self, k, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x):
        if self.gate is None:
            return self.expert(0, x)
        weights = self.gate(x)
        out = None
        for k in range(self.n_experts):
            w = weights[:, k].reshape(-1, *([1] * (x.dim() - 1)))
            term = w * self.expert(k, x)
            out = term if out is None else out + term
        return out


class ConvAdapter(_Experts):
    """``K`` bias-free 1x1 convolutions mixed by a gate, parallel to a ``Conv2d``.

    Parameters
    ----------
    conv : torch.nn.Conv2d
        The frozen layer the correction is added to; the adapter takes its
        stride and a padding that gives the same output size (the layer's
        padding must be "same-like": ``2 * padding = dilation * (kernel - 1)``
        plus what the 1x1 convolution may have, per dimension).
    n_experts : int, default=1
    """

    def __init__(self, conv, n_experts=1):
        super().__init__(conv.in_channels, n_experts)
        padding = _matching_padding(conv)
        self.experts = nn.ModuleList(
            nn.Conv2d(conv.in_channels, conv.out_channels, 1, stride=conv.stride,
                      padding=padding, bias=False)
            for _ in range(self.n_experts)
        )
        for e in self.experts:
            nn.init.zeros_(e.weight)

    def expert(self, k, x):
        return self.experts[k](x)


def _matching_padding(conv):
    """Padding of a 1x1 convolution (same stride) whose output matches ``conv``'s."""
    if isinstance(conv.padding, str):
        if conv.padding == "same":
            return 0  # only stride 1 is allowed with "same"
        pads = (0, 0)  # "valid"
    else:
        pads = conv.padding
    out = []
    for p, k, d in zip(pads, conv.kernel_size, conv.dilation, strict=True):
        extent = d * (k - 1)
        if conv.padding == "valid" and extent:
            raise ValueError(
                f"Cannot adapt {conv}: a 1x1 correction of its input cannot match the "
                "output size of an unpadded convolution with a kernel larger than 1."
            )
        twice = 2 * p - extent
        if twice < 0 or twice % 2:
            raise ValueError(
                f"Cannot adapt {conv}: its padding {conv.padding} is not 'same-like' "
                "(2 * padding == dilation * (kernel_size - 1)), so a 1x1 correction of its "
                "input has another output size. Leave it out of `layers`."
            )
        out.append(twice // 2)
    return tuple(out)


class LowRankAdapter(_Experts):
    """``K`` bias-free low-rank linear maps ``B_k A_k`` mixed by a gate.

    Parameters
    ----------
    linear : torch.nn.Linear
        The frozen layer the correction is added to.
    n_experts : int, default=1
    rank : int, default=8
        Rank of each correction, capped at ``min(in_features, out_features)``.
        Each expert has ``rank * (in_features + out_features)`` parameters.
    """

    def __init__(self, linear, n_experts=1, rank=8):
        super().__init__(linear.in_features, n_experts)
        if int(rank) < 1:
            raise ValueError(f"rank must be a positive int, got {rank!r}.")
        self.rank = min(int(rank), linear.in_features, linear.out_features)
        self.down = nn.ModuleList(
            nn.Linear(linear.in_features, self.rank, bias=False) for _ in range(self.n_experts)
        )
        self.up = nn.ModuleList(
            nn.Linear(self.rank, linear.out_features, bias=False) for _ in range(self.n_experts)
        )
        for a, b in zip(self.down, self.up, strict=True):
            nn.init.kaiming_uniform_(a.weight, a=math.sqrt(5))
            nn.init.zeros_(b.weight)

    def expert(self, k, x):
        return self.up[k](self.down[k](x))


class AdaptedLayer(nn.Module):
    """A frozen layer plus its residual correction: ``layer(x) + adapter(x)``.

    Parameters
    ----------
    layer : torch.nn.Conv2d or torch.nn.Linear
        Kept as ``self.layer`` (its parameters are not touched here;
        :func:`attach_adapters` freezes them).
    adapter : ConvAdapter or LowRankAdapter
    """

    def __init__(self, layer, adapter):
        super().__init__()
        self.layer = layer
        self.adapter = adapter

    def forward(self, x):
        return self.layer(x) + self.adapter(x)


def _select(module, layers):
    """``[(qualified name, layer)]`` of the layers to adapt."""
    candidates = [
        (name, m) for name, m in module.named_modules()
        if isinstance(m, ADAPTABLE) and name
    ]
    if isinstance(layers, str):
        kinds = {"all": ADAPTABLE, "conv": (nn.Conv2d,), "linear": (nn.Linear,)}
        if layers not in kinds:
            raise ValueError(
                f"layers must be 'all', 'conv', 'linear' or a list of layer names; got "
                f"{layers!r}."
            )
        chosen = [(n, m) for n, m in candidates if isinstance(m, kinds[layers])]
    else:
        names = list(layers)
        by_name = dict(candidates)
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise ValueError(
                f"layers names {unknown} that are not Conv2d / Linear layers of the "
                f"backbone; its adaptable layers are {sorted(by_name)}."
            )
        chosen = [(n, by_name[n]) for n in names]
    if not chosen:
        raise ValueError(
            f"The backbone has no layer to adapt for layers={layers!r} (adapters go on "
            "Conv2d and Linear layers that are submodules of the backbone)."
        )
    return chosen


def _set_submodule(root, name, new):
    parent_name, _, child = name.rpartition(".")
    parent = root.get_submodule(parent_name) if parent_name else root
    setattr(parent, child, new)


def freeze(module):
    """Stop gradients to every parameter of ``module``; return it.

    Buffers (batch-norm statistics) are never trained; to keep them fixed,
    keep the module in evaluation mode (:class:`AdaptedNetwork` does).
    """
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def attach_adapters(module, layers="all", *, n_experts=1, rank=8, freeze_backbone=True):
    """Wrap layers of ``module`` (in place) in :class:`AdaptedLayer`.

    Parameters
    ----------
    module : torch.nn.Module
        Modified in place (deep-copy it first to keep the original).
    layers : {"all", "conv", "linear"} or list of str, default="all"
        Which ``Conv2d`` / ``Linear`` submodules get an adapter: all of them,
        one kind, or the qualified names of ``module.named_modules()``. The
        module itself cannot be the adapted layer (wrap a bare layer in
        ``nn.Sequential`` first).
    n_experts : int, default=1
        ``K``, corrections per layer mixed by an :class:`ExpertGate`.
    rank : int, default=8
        Rank of the corrections of ``Linear`` layers.
    freeze_backbone : bool, default=True
        Set ``requires_grad=False`` on every parameter ``module`` had before
        the adapters were added.

    Returns
    -------
    adapted : list of str
        The qualified names of the adapted layers (each now an
        :class:`AdaptedLayer` whose frozen layer is ``<name>.layer``).

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skrobustad.nn import attach_adapters
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> x = torch.randn(3, 4)
    >>> before = net(x)
    >>> attach_adapters(net, n_experts=2, rank=2)
    ['0', '2']
    >>> torch.equal(net(x), before)  # the corrections start at zero
    True
    """
    chosen = _select(module, layers)
    if freeze_backbone:
        freeze(module)
    for name, layer in chosen:
        if isinstance(layer, nn.Conv2d):
            adapter = ConvAdapter(layer, n_experts)
        else:
            adapter = LowRankAdapter(layer, n_experts, rank)
        p = next(layer.parameters(), None)
        if p is not None:
            adapter = adapter.to(device=p.device, dtype=p.dtype)
        _set_submodule(module, name, AdaptedLayer(layer, adapter))
    return [name for name, _ in chosen]


def adapter_parameters(module):
    """The parameters of every adapter (and gate) inside ``module``."""
    for m in module.modules():
        if isinstance(m, AdaptedLayer):
            yield from m.adapter.parameters()


class AdaptedNetwork(nn.Module):
    """A frozen, adapted backbone, a trainable head and a hypersphere centre.

    ``forward(x)`` returns ``z - c``, the representation
    ``z = head(backbone(x))`` (backbone output flattened) relative to the
    centre ``c``; :meth:`radial` the anomaly score
    ``h(z - c) = sqrt(||z - c||^2 + 1) - 1``. The backbone's own modules
    stay in evaluation mode whatever ``train()`` says (frozen batch-norm
    statistics, no dropout), unless ``bn_stats="task"``: then its batch-norm
    layers follow the training mode and re-estimate their statistics on the
    task's data (their affine parameters stay frozen).

    Parameters
    ----------
    backbone : torch.nn.Module
        Already adapted (:func:`attach_adapters`) and frozen.
    head : torch.nn.Module
        Trainable map from the flattened backbone output to ``z``.
    rep_dim : int
        Size of ``z`` (of the centre buffer).
    bn_stats : {"frozen", "task"}, default="frozen"
    """

    def __init__(self, backbone, head, rep_dim, bn_stats="frozen"):
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.bn_stats = bn_stats
        self.register_buffer("center", torch.zeros(rep_dim))

    def train(self, mode=True):
        super().train(mode)
        task_bn = self.bn_stats == "task"
        for m in self.backbone.modules():
            if task_bn and isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.training = mode
            else:
                m.training = False  # adapters and gates behave the same in both modes
        return self

    def features(self, x):
        """The adapted backbone's output, flattened: ``(n, d)``."""
        return self.backbone(x).flatten(1)

    def forward(self, x):
        return self.head(self.features(x)) - self.center

    def radial(self, x):
        """``h(z - c)`` per sample, shape ``(n,)``."""
        return hsc_radial(self(x))

    def adapter_state_dict(self):
        """The task-specific tensors only: adapters, gates, head and centre.

        Load them with ``load_state_dict(..., strict=False)`` into another
        copy of the same adapted backbone: what one more task costs to store.
        """
        trainable = {n for n, p in self.named_parameters() if p.requires_grad}
        return {k: v for k, v in self.state_dict().items() if k in trainable or k == "center"}
