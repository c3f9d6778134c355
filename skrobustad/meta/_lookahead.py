"""The one-step look-ahead meta-gradient of learning-to-reweight (Ren et al. 2018).

ELITE (paper 001, Eq. 11-12) perturbs each training sample's weight ``eps_i``
around 0, takes one virtual SGD step ``theta_hat = theta - lr / n * sum_i
eps_i grad Omega(x_i)`` and differentiates a validation loss at
``theta_hat`` with respect to every ``eps_i`` at once: one double backward
per batch, through :func:`torch.func.functional_call` on the module's own
parameters (no copy of the network).
"""

import torch
from torch.func import functional_call


def lookahead_meta_gradient(module, x, train_score, valid_loss, lr, *, retain_graph=False):
    """``M_i = dL_v(theta_hat(eps)) / d eps_i`` at ``eps = 0`` for every row of ``x``.

    Parameters
    ----------
    module : torch.nn.Module
        Its parameters are ``theta`` (they are not modified).
    x : Tensor of shape (n, ...)
        The training batch.
    train_score : callable ``(output, x) -> Tensor of shape (n,)``
        The per-sample quantity of the virtual step (ELITE: the score
        ``Omega``), from the module's output on ``x``.
    valid_loss : callable ``(params_and_buffers) -> scalar Tensor``
        The validation loss of the module run with the given parameters
        (through :func:`torch.func.functional_call`).
    lr : float
        ``eta_theta``, the virtual step's learning rate.
    retain_graph : bool, default=False
        Keep the graph of the training forward pass, so that the returned
        ``score`` can be back-propagated again (the real update).

    Returns
    -------
    meta_gradient : Tensor of shape (n,)
        Detached. It carries the factor ``lr / n``.
    score : Tensor of shape (n,)
        ``train_score`` at ``theta``, attached to the graph of ``module``'s
        parameters.
    valid_value : float
        The validation loss at ``theta`` (``theta_hat(0) = theta``).
    """
    params = dict(module.named_parameters())
    buffers = dict(module.named_buffers())
    names = [k for k, p in params.items() if p.requires_grad]
    n = x.shape[0]
    eps = torch.zeros(n, dtype=x.dtype, device=x.device, requires_grad=True)
    score = train_score(functional_call(module, (params, buffers), (x,)), x)
    grads = torch.autograd.grad(
        (eps * score).sum() / n, [params[k] for k in names], create_graph=True,
        allow_unused=True,
    )
    theta_hat = dict(params)
    for k, g in zip(names, grads):
        if g is not None:
            theta_hat[k] = params[k] - lr * g
    loss_v = valid_loss({**theta_hat, **buffers})
    (meta,) = torch.autograd.grad(loss_v, eps, retain_graph=retain_graph, allow_unused=True)
    if meta is None:  # the validation loss does not depend on the parameters used
        meta = torch.zeros_like(eps)
    return meta.detach(), score, float(loss_v.detach())
