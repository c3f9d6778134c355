"""The AE-SAD loss and its target transforms F (Angiulli, Fassetti and Ferragina).

An autoencoder trained with this loss reconstructs normal samples and maps
labeled anomalies to ``F(x)``, a point far from ``x`` inside ``[0, 1]^d``, so
that the plain reconstruction error ``||x - x_hat||^2`` ranks anomalies high.
All transforms assume inputs in ``[0, 1]``.
"""

import torch


def negative_target(x):
    """``F(x) = 1 - x``, the "negative image" (the paper's only ``F``).

    Parameters
    ----------
    x : Tensor with values in [0, 1]

    Returns
    -------
    Tensor of the same shape
    """
    return 1.0 - x


def threshold_target(x):
    """``F(x) = 1 if x <= 1/2 else 0`` (ours: not in the paper).

    The point of ``{0, 1}^d`` farthest from ``x`` coordinate-wise: it
    maximises ``|F(x) - x|`` in every feature.

    Parameters
    ----------
    x : Tensor with values in [0, 1]

    Returns
    -------
    Tensor of the same shape
    """
    return (x <= 0.5).to(x.dtype)


def shift_target(x):
    """``F(x) = x + 1/2 if x <= 1/2 else x - 1/2`` (ours: not in the paper).

    Moves every feature by exactly 1/2 while staying in ``[0, 1]``, so
    ``|F(x) - x| = 1/2`` everywhere.

    Parameters
    ----------
    x : Tensor with values in [0, 1]

    Returns
    -------
    Tensor of the same shape
    """
    return torch.where(x <= 0.5, x + 0.5, x - 0.5)


#: Named target transforms accepted by :class:`skrobustad.AESAD`.
TARGET_TRANSFORMS = {
    "negative": negative_target,
    "threshold": threshold_target,
    "shift": shift_target,
}


def aesad_loss(x, x_hat, is_anomaly, *, anomaly_weight=1.0, target_transform=negative_target):
    """Per-sample AE-SAD loss (equation 2 of the paper).

    ``(1 - y) ||x - x_hat||^2 + lambda y ||F(x) - x_hat||^2``, the squared
    norm summed over features. ``F`` is evaluated on the labeled anomalies
    only (``x[is_anomaly]``), never on the other samples.

    Parameters
    ----------
    x : Tensor of shape (n, ...)
        Inputs, with values in [0, 1].
    x_hat : Tensor of the same shape
        Reconstructions.
    is_anomaly : bool Tensor of shape (n,)
        True for the labeled anomalies (``y = 1``).
    anomaly_weight : float, default=1.0
        ``lambda``, the weight of a labeled anomaly relative to a normal
        sample.
    target_transform : callable, default=negative_target
        ``F``, mapping a tensor of anomalies to their targets (same shape).

    Returns
    -------
    Tensor of shape (n,)
    """
    is_anomaly = is_anomaly.to(torch.bool)
    target = x
    if bool(is_anomaly.any()):
        target = x.clone()
        target[is_anomaly] = target_transform(x[is_anomaly]).to(x.dtype)
    loss = (target - x_hat).pow(2).flatten(1).sum(dim=1)
    if anomaly_weight != 1.0:
        loss = torch.where(is_anomaly, loss * anomaly_weight, loss)
    return loss
