"""Pretrain a module as a classifier on auxiliary labeled data (through the engine)."""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def pretrain_classifier(module, X, y, *, max_epochs=20, batch_size=64, lr=1e-3,
                        weight_decay=0.0, random_state=0, device="cpu", return_head=False):
    """Train ``module`` in place as the body of a classifier of ``y``.

    A linear classifier on the flattened output of ``module`` is trained
    with it (cross-entropy, Adam) by the package's training engine, then
    dropped: ``module`` comes back holding "pretrained" weights, as a
    torchvision model holds ImageNet's. Nothing is downloaded. Training
    drops the last incomplete batch (batch norm needs two rows). Torch's
    global generators are left as they were.

    Parameters
    ----------
    module : torch.nn.Module
        Maps ``X`` to features (e.g. :class:`ResidualCNN`).
    X : array-like of shape (n_samples, ...)
    y : array-like of shape (n_samples,)
        Class labels (any values; ``np.unique`` orders them).
    max_epochs, batch_size, lr, weight_decay : int, int, float, float
    random_state : int, default=0
        Seeds the classifier's initialisation and the data order.
    device : str or torch.device, default="cpu"
    return_head : bool, default=False
        Also return the trained classifier layer.

    Returns
    -------
    module : torch.nn.Module
        The same object, trained, in evaluation mode.
    head : torch.nn.Linear
        Only with ``return_head=True``.
    """
    from .._engine import BatchData, seeded, train_module  # the engine imports skorch

    device = torch.device(device)
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    classes, codes = np.unique(np.asarray(y), return_inverse=True)
    module = module.to(device)
    module.eval()
    with torch.no_grad():
        n_out = module(X[:2].to(device)).flatten(1).shape[1]
    with seeded(int(random_state), device):
        head = nn.Linear(n_out, len(classes)).to(device)
    net = nn.Sequential(module, nn.Flatten(), head)
    data = BatchData({
        "X": X, "weight": torch.ones(len(X)), "y": torch.as_tensor(codes, dtype=torch.long),
    }).to(device)
    generator = torch.Generator().manual_seed(int(random_state))
    train_module(
        net, data, loss_fn=lambda out, batch: F.cross_entropy(out, batch["y"], reduction="none"),
        max_epochs=max_epochs, batch_size=batch_size, lr=lr, device=device,
        generator=generator, optimizer_kwargs={"weight_decay": weight_decay},
        drop_last=len(X) > batch_size, name="pretrain_classifier",
    )
    module.eval()
    return (module, head) if return_head else module
