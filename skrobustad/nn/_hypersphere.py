"""An encoder with a fixed hypersphere centre (Deep SVDD)."""

import torch
from torch import nn

from ._mlp import MLP, check_widths


class HypersphereEncoder(nn.Module):
    """Bias-free dense encoder ``phi`` and the centre ``c`` of its hypersphere.

    ``forward(x)`` returns the squared distance ``||phi(x) - c||^2`` of each
    row; :meth:`embed` returns ``phi(x)``. The centre is a buffer: it is not
    trained, it follows the module across devices and dtypes and it is saved
    with the module.

    Parameters
    ----------
    n_features : int
    hidden_dims : sequence of int
        Encoder widths; the last one is the size of the representation.
    activation : str, default="relu"
    batch_norm : bool, default=False
        Batch normalisation without affine parameters (the network stays
        bias-free).
    dropout : float, default=0.0
    """

    def __init__(self, n_features, hidden_dims, *, activation="relu", batch_norm=False,
                 dropout=0.0):
        super().__init__()
        hidden_dims = check_widths(hidden_dims)
        self.encoder = MLP(
            n_features,
            hidden_dims[:-1],
            hidden_dims[-1],
            activation=activation,
            bias=False,
            batch_norm=batch_norm,
            dropout=dropout,
        )
        self.register_buffer("center", torch.zeros(hidden_dims[-1]))

    def embed(self, x):
        """The representation ``phi(x)``, shape ``(n, hidden_dims[-1])``."""
        return self.encoder(x)

    def forward(self, x):
        """Squared distance of each row's representation to the centre, shape ``(n,)``."""
        return (self.embed(x) - self.center).pow(2).sum(dim=1)
