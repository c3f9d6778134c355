"""The closed-form inner problem of MetaRAE (paper 000, Eqs. 3-5), in torch.

Everything here is differentiable (autograd goes through the Cholesky
factorisation, the triangular solves and the soft threshold), so that the
outer objective's gradient reaches the networks that produced ``H``, ``A_0``
and the regularisation strengths.

Notation (one task): ``H`` the codes of the support set (N x J), ``Y`` the
targets (N x D: the support set ``X_S`` itself, or the fixed centre of the
Deep SVDD form repeated), ``A`` the anomalous attributes (N x D) and ``W``
the linear decoder (D x J).
"""

import torch


def factor_gram(H, mu):
    """Cholesky factor of ``H^T H / N + mu I_J`` (positive definite for ``mu > 0``).

    Returns ``(L, None)`` with the lower factor, or ``(None, G)`` with the
    matrix itself when the factorisation failed numerically (a tiny ``mu`` in
    float32): :func:`ridge_decoder` then falls back to a general solve.
    """
    n, j = H.shape
    G = H.T @ H / n + mu * torch.eye(j, dtype=H.dtype, device=H.device)
    L, info = torch.linalg.cholesky_ex(G)
    if int(info) != 0:
        return None, G
    return L, None


def ridge_decoder(H, T, factor):
    """Eq. 4: ``W = (1/N) T^T H (H^T H / N + mu I)^{-1}``, without an explicit inverse.

    Parameters
    ----------
    H : Tensor of shape (N, J)
    T : Tensor of shape (N, D)
        The decoder's target, ``X_S + A`` (or ``c + A``).
    factor : the pair returned by :func:`factor_gram` for ``H``.

    Returns
    -------
    W : Tensor of shape (D, J)
        The ridge regression of ``T`` on ``H`` with ``alpha = mu * N`` and no
        intercept.
    """
    return _solve(factor, H.T @ T / H.shape[0]).T


def _solve(factor, B):
    """``(H^T H / N + mu I)^{-1} B`` from the factor of :func:`factor_gram`."""
    L, G = factor
    if L is not None:
        return torch.cholesky_solve(B, L)
    return torch.linalg.solve(G, B)


def soft_threshold(R, threshold):
    """Eq. 5: ``sgn(R) * max(|R| - threshold, 0)``, element-wise."""
    return torch.sign(R) * torch.relu(R.abs() - threshold)


def inner_loss(Y, A, H, W, lam, mu):
    """Eq. 3: ``(1/N) sum ||y_n + a_n - W h_n||^2 + (lam/N) sum ||a_n||_1 + mu ||W||_F^2``."""
    n = Y.shape[0]
    fit = (Y + A - H @ W.T).pow(2).sum() / n
    return fit + lam * A.abs().sum() / n + mu * W.pow(2).sum()


def solve_inner(H, Y, A0, lam, mu, *, n_iter, tol=None, max_iter=1000, attributes=True,
                iterate=True, trace=None):
    """Alternate Eqs. 4 and 5 from ``A_0``; return ``(W, A)``.

    ``H`` is fixed during the alternation, so the ridge system is solved once
    for all iterations: ``P = (H^T H / N + mu I)^{-1} H^T / N`` (J x N) by
    one Cholesky solve, after which Eq. 4 is the product ``W^T = P (Y + A)``
    (the same ``W``, by associativity): O(N J D) per iteration.

    Parameters
    ----------
    H : Tensor (N, J)
    Y : Tensor (N, D)
    A0 : Tensor (N, D) or None
        Initial attributes (``None``: zeros).
    lam, mu : scalar tensors
    n_iter : int
        Alternations ``I``: each computes ``W`` from the current ``A`` (Eq. 4)
        and then ``A`` from that ``W`` (Eq. 5); ``W`` of the last one is
        ``W_*`` and ``A`` the attributes that go with it.
    tol : float or None, default=None
        ``None``: exactly ``n_iter`` alternations (the unrolled, differentiable
        solve of meta-training). A float: after ``n_iter`` alternations, go
        on until the relative change of ``W``, ``||W_k - W_{k-1}||_F /
        ||W_k||_F``, is at most ``tol`` (at most ``max_iter`` alternations in
        all). Eq. 3 is jointly convex in ``(W, A)``, strictly for
        ``mu > 0`` (the squared norm of the affine residual
        ``Y + A - H W^T`` plus an l1 and a ridge term), so the alternation
        converges to its one minimiser from any ``A_0``.
    max_iter : int, default=1000
        Cap on the alternations when ``tol`` is set.
    attributes : bool, default=True
        ``False`` is the paper's *w/o A*: ``A = 0`` throughout, so ``W`` is one
        ridge solve on ``Y``.
    iterate : bool, default=True
        ``False`` is *w/o Iter*: ``A = A_0`` and ``W`` from Eq. 4 once.
    trace : list or None
        When a list, the Eq. 3 loss after every half-step is appended to it
        (for tests).

    Returns
    -------
    W : Tensor (D, J)
    A : Tensor (N, D)
    """
    factor = factor_gram(H, mu)
    A = torch.zeros_like(Y) if A0 is None or not attributes else A0
    if not attributes or not iterate:
        W = ridge_decoder(H, Y + A, factor)
        if trace is not None:
            trace.append(float(inner_loss(Y, A, H, W, lam, mu)))
        return W, A
    P = _solve(factor, H.T / H.shape[0])  # (J, N): W^T = P @ T for any target T
    half = lam / 2
    Wt = None
    for k in range(n_iter if tol is None else max(n_iter, max_iter)):
        Wt_previous, Wt = Wt, P @ (Y + A)  # Eq. 4
        if trace is not None:
            trace.append(float(inner_loss(Y, A, H, Wt.T, lam, mu)))
        A = soft_threshold(H @ Wt - Y, half)  # Eq. 5
        if trace is not None:
            trace.append(float(inner_loss(Y, A, H, Wt.T, lam, mu)))
        if (tol is not None and k + 1 >= n_iter and Wt_previous is not None
                and torch.linalg.norm(Wt - Wt_previous) <= tol * torch.linalg.norm(Wt)):
            break
    return Wt.T, A


def smoothed_auc(s_anomalous, s_normal):
    """Eq. 10: ``mean_{n,m} sigmoid(s(x_n^A) - s(x_m^N))`` (to be maximised)."""
    return torch.sigmoid(s_anomalous[:, None] - s_normal[None, :]).mean()
