"""The hypersphere classifier (HSC) loss with outlier exposure (Ruff et al. 2020, FCDD)."""

import torch


def hsc_radial(z):
    """``h(z) = sqrt(||z||^2 + 1) - 1`` per row (a pseudo-Huber distance to 0).

    Parameters
    ----------
    z : Tensor of shape (n, d)

    Returns
    -------
    Tensor of shape (n,)
    """
    return torch.sqrt(z.pow(2).flatten(1).sum(dim=1) + 1.0) - 1.0


def hsc_loss(z, is_exposure, eps=1e-9):
    """Per-sample HSC loss with outlier exposure, centre at the origin.

    Normal and unlabeled rows minimise ``h(z)`` (pulled to the centre);
    outlier-exposure rows minimise ``-log(1 - exp(-h(z)) + eps)`` (pushed
    away from it). The paper of ADRA (Deecke et al., Eq. 1) prints these two
    terms swapped and without the minus sign; this is the form of Ruff et
    al., "Rethinking Assumptions in Deep Anomaly Detection" (2020) and FCDD.

    Parameters
    ----------
    z : Tensor of shape (n, d)
        Representations (already shifted by the centre).
    is_exposure : bool Tensor of shape (n,)
    eps : float, default=1e-9

    Returns
    -------
    Tensor of shape (n,)
    """
    h = hsc_radial(z)
    pushed = -torch.log(-torch.expm1(-h) + eps)  # 1 - exp(-h), accurately near h = 0
    return torch.where(is_exposure, pushed, h)
