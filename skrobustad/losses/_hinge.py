"""Per-sample losses of ELITE (paper 001, Eq. 4) and Deep SAD (Ruff et al. 2020)."""

import torch

from .._engine import map_chunks

#: The ``eps`` of Deep SAD's inverse-distance term ``1 / (||phi(x) - c||^2 + eps)``
#: (the authors' code uses 1e-6): it bounds the loss of an anomaly mapped onto the centre.
DEEP_SAD_EPS = 1e-6


def euclidean_norm(squared, *, tiny=1e-12):
    """``sqrt(squared + tiny)``: a norm from its square with a finite gradient at 0.

    Parameters
    ----------
    squared : Tensor of shape (n,)
        Non-negative squared norms.
    tiny : float, default=1e-12

    Returns
    -------
    Tensor of shape (n,)
    """
    return torch.sqrt(squared + tiny)


def hinge_loss(score, is_anomaly, margin):
    """Eq. 4 of the ELITE paper, one value per sample.

    ``l(x, normal) = Omega(x)`` and ``l(x, anomaly) = max(C - Omega(x), 0)``.

    Parameters
    ----------
    score : Tensor of shape (n,)
        The anomaly score ``Omega`` (a distance or a reconstruction error).
    is_anomaly : bool Tensor of shape (n,)
    margin : float
        ``C``.

    Returns
    -------
    Tensor of shape (n,)
    """
    return torch.where(is_anomaly.to(torch.bool), torch.relu(margin - score), score)


def deep_sad_loss(squared_distance, y, *, eta=1.0, eps=DEEP_SAD_EPS):
    """Deep SAD's per-sample loss (Ruff et al., ICLR 2020, Eq. 7).

    Unlabeled: ``d``; labeled normal: ``eta * (d + eps)``; labeled anomaly:
    ``eta / (d + eps)``, with ``d = ||phi(x) - c||^2``.

    Parameters
    ----------
    squared_distance : Tensor of shape (n,)
    y : Tensor of shape (n,)
        skrobustad's codes: 1 labeled anomaly, 0 labeled normal, -1 unlabeled.
    eta : float, default=1.0
        Weight of the labeled terms.
    eps : float, default=DEEP_SAD_EPS

    Returns
    -------
    Tensor of shape (n,)
    """
    d = squared_distance
    labeled = torch.where(y == 1, 1.0 / (d + eps), d + eps)
    return torch.where(y == -1, d, eta * labeled)


@torch.no_grad()
def initial_margin(margin, module, score, X_train, w_train, X_labeled):
    """The margin ``C`` of Eq. 4, fixed once at ``module``'s current parameters.

    Parameters
    ----------
    margin : {"initial-loss", "labeled-max"} or float
        A float is used as given. ``"initial-loss"`` (the ELITE paper): the
        ``w_train``-weighted mean score of ``X_train``, the unsupervised
        counterpart's training loss. ``"labeled-max"`` (the authors' code):
        the largest score over ``X_labeled``.
    module : torch.nn.Module
        Evaluated in eval mode, in chunks, without gradients.
    score : callable ``(output, x) -> Tensor of shape (n,)``
        The score ``Omega`` from the module's output on ``x``.
    X_train, w_train, X_labeled : Tensors

    Returns
    -------
    float
    """
    if not isinstance(margin, str):
        return float(margin)
    X = X_labeled if margin == "labeled-max" else X_train
    module.eval()
    scores = map_chunks(lambda x: score(module(x), x), X, chunk_size=4096).double()
    module.train()
    if margin == "labeled-max":
        return float(scores.max())
    weight = w_train.double()
    return float((weight * scores).sum() / weight.sum())
