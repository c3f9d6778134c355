"""Normalising flows (from zuko) wrapped as per-sample negative log-likelihoods."""

import torch
import zuko
from torch import nn

from ._mlp import check_widths


class MAFDensity(nn.Module):
    """Masked autoregressive flow whose forward pass is the per-sample NLL.

    A thin wrapper around :class:`zuko.flows.MAF` (Papamakarios et al.,
    2017): ``forward(x)`` returns ``-log p(x)``, one value per row, so the
    flow trains and scores like any other skrobustad module.

    Parameters
    ----------
    n_features : int
    n_transforms : int, default=5
        Number of autoregressive transformations; the feature order is
        reversed between consecutive transformations.
    hidden_dims : sequence of int, default=(32, 32)
        Hidden widths of the MADE network of each transformation.
    """

    def __init__(self, n_features, n_transforms=5, hidden_dims=(32, 32)):
        super().__init__()
        hidden_dims = tuple(check_widths(hidden_dims, allow_empty=True))
        self.flow = zuko.flows.MAF(
            features=int(n_features),
            transforms=int(n_transforms),
            hidden_features=hidden_dims,
        )

    def log_prob(self, x):
        """Log-density of each row of ``x``, shape ``(n,)``."""
        return self.flow().log_prob(x)

    def forward(self, x):
        """Negative log-likelihood of each row of ``x``, shape ``(n,)``."""
        return -self.log_prob(x)


def finite_nll(nll):
    """Replace NaN and +inf NLLs (points far outside the data) by the largest float.

    Parameters
    ----------
    nll : Tensor
        Negative log-likelihoods.

    Returns
    -------
    Tensor
        ``nll`` with NaN and +inf mapped to the largest finite value of its
        dtype and -inf to the most negative one, so such points rank as the
        most (or least) anomalous instead of breaking the ranking.
    """
    finfo = torch.finfo(nll.dtype)
    return torch.nan_to_num(nll, nan=finfo.max, posinf=finfo.max, neginf=finfo.min)
