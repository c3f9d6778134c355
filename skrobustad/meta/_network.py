"""The torch networks of MetaRAE (paper 000, Eqs. 1, 2, 6 and appendix D)."""

import math

import torch
from torch import nn

from ..nn import MLP
from ._inner import solve_inner

#: Where the task representation ``z`` enters (Table 2's ablations).
TASK_REPRESENTATIONS = {
    "both": (True, True),  # the paper's model
    "encoder": (True, False),  # w/o ATask: z in h only
    "attributes": (False, True),  # w/o hTask: z in v only
    "none": (False, False),  # w/o Task
}


class MetaRAENet(nn.Module):
    """f, g (task representation), h (encoder), v (initial attributes), lambda, mu.

    Parameters
    ----------
    n_features : int
        D.
    task_dim : int
        K, the size of ``z = g(mean_n f(x_n))``.
    code_dim : int
        J, the output size of the encoder ``h``.
    hidden_dim : int
        Width of every hidden layer (appendix D: 32). f has 3 layers (output
        ``hidden_dim``), g 2, h 3 and v 4.
    lambda_init, mu_init : float
        Initial l1 and l2 strengths, learned as ``exp`` of a free parameter
        (so they stay positive).
    score : {"reconstruction", "svdd"}
    svdd_dim : int
        C, the size of the fixed centre ``c`` (all ones) of the Deep SVDD form.
    task_representation : {"both", "encoder", "attributes", "none"}
    initial_attributes : {"network", "zero"}
        ``A_0 = v([x, z])`` or ``A_0 = 0`` (w/o Initial).
    attributes, iterate : bool
        ``False``: w/o A / w/o Iter (see :func:`~skrobustad.meta._inner.solve_inner`).
    n_inner_iter : int
        I.
    """

    def __init__(self, n_features, *, task_dim=32, code_dim=32, hidden_dim=32,
                 lambda_init=1.0, mu_init=0.1, score="reconstruction", svdd_dim=32,
                 task_representation="both", initial_attributes="network", attributes=True,
                 iterate=True, n_inner_iter=10):
        super().__init__()
        self.n_features = int(n_features)
        self.score = score
        self.z_in_h, self.z_in_v = TASK_REPRESENTATIONS[task_representation]
        self.attributes = bool(attributes)
        self.iterate = bool(iterate)
        self.n_inner_iter = int(n_inner_iter)
        uses_v = self.attributes and initial_attributes == "network"
        self.out_dim = self.n_features if score == "reconstruction" else int(svdd_dim)
        k = int(task_dim)
        if self.z_in_h or (self.z_in_v and uses_v):
            self.f = MLP(self.n_features, (hidden_dim, hidden_dim), hidden_dim)
            self.g = MLP(hidden_dim, (hidden_dim,), k)
        else:
            self.f = self.g = None
            k = 0
        self.task_dim = k
        self.h = MLP(self.n_features + (k if self.z_in_h else 0), (hidden_dim, hidden_dim),
                     int(code_dim))
        self.v = None
        if uses_v:
            self.v = MLP(self.n_features + (k if self.z_in_v else 0),
                         (hidden_dim, hidden_dim, hidden_dim), self.out_dim)
        self.log_lambda = nn.Parameter(torch.tensor(math.log(lambda_init)))
        self.log_mu = nn.Parameter(torch.tensor(math.log(mu_init)))
        if score == "svdd":
            self.register_buffer("center", torch.ones(self.out_dim))
        else:
            self.center = None

    @property
    def lam(self):
        return self.log_lambda.exp()

    @property
    def mu(self):
        return self.log_mu.exp()

    def task_representation(self, S):
        """Eq. 1: ``z = g(mean_n f(x_n))`` over the support set (``None`` if unused)."""
        if self.f is None:
            return None
        return self.g(self.f(S).mean(dim=0))

    @staticmethod
    def _with_z(X, z, use):
        if not use or z is None:
            return X
        return torch.cat([X, z.expand(X.shape[0], -1)], dim=1)

    def encode(self, X, z):
        """``h([x, z])`` (Eq. 2), or ``h(x)`` without z in the encoder."""
        return self.h(self._with_z(X, z, self.z_in_h))

    def targets(self, X):
        """What ``W h`` reconstructs: ``X`` itself, or the centre ``c`` (appendix B)."""
        if self.center is None:
            return X
        return self.center.expand(X.shape[0], -1)

    def initial_attributes(self, S, z):
        """Eq. 6: ``A_0 = v([x_n, z])``; ``None`` (zeros) without v."""
        if self.v is None:
            return None
        return self.v(self._with_z(S, z, self.z_in_v))

    def adapt(self, S, trace=None, tol=None):
        """The inner problem on support set ``S``: return ``(z, W_*, A)``.

        ``tol``: see :func:`~skrobustad.meta._inner.solve_inner` (``None``:
        the ``n_inner_iter`` alternations of meta-training).
        """
        z = self.task_representation(S)
        H = self.encode(S, z)
        A0 = self.initial_attributes(S, z)
        W, A = solve_inner(H, self.targets(S), A0, self.lam, self.mu,
                           n_iter=self.n_inner_iter, tol=tol, attributes=self.attributes,
                           iterate=self.iterate, trace=trace)
        return z, W, A

    def anomaly_score(self, X, z, W):
        """Eq. 7: ``||y - W_* h([x, z])||^2`` per row (``y = x``, or ``c``)."""
        return (self.targets(X) - self.encode(X, z) @ W.T).pow(2).sum(dim=1)
