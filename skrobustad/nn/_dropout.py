"""Dropout that draws its masks from a generator of its own."""

import torch
from torch import nn
from torch.nn import functional as F


class Dropout(nn.Dropout):
    """:class:`torch.nn.Dropout` whose masks come from ``generator``.

    torch's dropout draws from the process-wide default generator, which two
    fits running in threads share: their masks interleave and neither fit is
    reproducible. The training engine sets ``generator`` to a
    :class:`torch.Generator` of the fit for the duration of training (see
    :func:`skrobustad._engine.dropout_generator`); with ``generator=None``
    the module behaves exactly as :class:`torch.nn.Dropout`.

    Parameters
    ----------
    p : float, default=0.5
        Probability of zeroing an element.
    """

    def __init__(self, p=0.5):
        super().__init__(p=p)
        self.generator = None

    def forward(self, x):
        if not self.training or self.p == 0.0 or self.generator is None:
            return F.dropout(x, self.p, self.training)
        keep = 1.0 - self.p
        if keep == 0.0:
            return torch.zeros_like(x)
        mask = torch.empty_like(x).bernoulli_(keep, generator=self.generator)
        return x * mask.div_(keep)

    def __getstate__(self):
        # a generator is fit-time state: never pickle or deep-copy it
        state = dict(super().__getstate__())
        state["generator"] = None
        return state
