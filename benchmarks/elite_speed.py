"""ELITE's fit time per epoch against its backbone's, and a bare torch loop.

Protocol (issue 13's acceptance; paper 001 reports about 3x): 4,000 rows of
64 standard-normal features (``--n-samples``, ``--features``), 10 labeled
normals and 10 labeled anomalies, the rest unlabeled; hidden layers (64, 32),
batch 128, lr 1e-4, 20 epochs, one torch thread. For each backbone the same
network, batch and epochs are trained three ways, interleaved (so a shared
machine's load hits all three alike), and the minimum over ``--repeats``
fits of the seconds per epoch is reported:

- ``ELITE(backbone)``: virtual step, validation loss, per-sample
  meta-gradient and the weighted real step, every mini-batch;
- the backbone alone (``DeepSVDD`` or ``AutoEncoder`` without batch norm or
  dropout), the estimator ELITE is compared with;
- a bare torch loop over the same network and loss (no estimator, no
  validation, no callbacks): the floor for the backbone's own overhead.

The ratios are the result (times on a shared machine are not): the
acceptance asks ``ELITE / backbone <= 3.5``.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/elite_speed.py --repeats 3
"""

import argparse
import time

import numpy as np
import torch
from torch import nn

from skrobustad import ELITE, AutoEncoder, DeepSVDD


def seconds_per_epoch(fits, repeats):
    """Min over ``repeats`` rounds of each fit's seconds per epoch, interleaved."""
    best = dict.fromkeys(fits, np.inf)
    for _ in range(repeats):
        for name, fit in fits.items():
            start = time.perf_counter()
            n_epochs = fit()
            best[name] = min(best[name], (time.perf_counter() - start) / n_epochs)
    return best


def bare_loop(X, backbone, hidden_dims, epochs, batch_size, lr, seed):
    """The backbone's training loop written directly in torch."""
    torch.manual_seed(seed)
    dims = [X.shape[1], *hidden_dims]
    layers = []
    for d_in, d_out in zip(dims[:-1], dims[1:], strict=True):
        layers += [nn.Linear(d_in, d_out, bias=backbone == "ae"), nn.ReLU()]
    layers.pop()
    if backbone == "ae":
        for d_in, d_out in zip(dims[::-1][:-1], dims[::-1][1:], strict=True):
            layers += [nn.ReLU(), nn.Linear(d_in, d_out)]
    net = nn.Sequential(*layers)
    X = torch.as_tensor(X, dtype=torch.float32)
    with torch.no_grad():
        center = net(X).mean(0) if backbone == "svdd" else None
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(X), generator=generator).split(batch_size):
            xb = X[idx]
            out = net(xb)
            target = center if backbone == "svdd" else xb
            loss = ((out - target) ** 2).sum(1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return epochs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=4000)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    rng = np.random.RandomState(0)
    X = rng.normal(size=(args.n_samples, args.features))
    y_partial = np.full(args.n_samples, -1)
    y_partial[:10], y_partial[-10:] = 0, 1
    common = {"hidden_dims": (64, 32), "max_epochs": args.epochs, "batch_size": 128,
              "lr": 1e-4, "random_state": 0, "device": "cpu"}

    print(f"{args.n_samples} rows x {args.features}, {args.epochs} epochs, batch 128, "
          f"min of {args.repeats} fits, torch threads={torch.get_num_threads()}")
    print("| backbone | ELITE s/epoch | backbone s/epoch | bare loop s/epoch | "
          "ELITE / backbone | backbone / bare loop |")
    print("|---|---:|---:|---:|---:|---:|")
    for backbone in ("svdd", "ae"):
        if backbone == "svdd":
            base = DeepSVDD(max_steps=None, weight_decay=1e-6, **common)
        else:
            base = AutoEncoder(batch_norm=False, dropout=0.0, activate_code=False, **common)
        elite = ELITE(backbone, **common)

        def fit_elite(elite=elite):
            return elite.fit(X, y_partial=y_partial).n_iter_

        def fit_base(base=base):
            return base.fit(X, y_partial=y_partial).n_iter_

        def fit_bare(backbone=backbone):
            return bare_loop(X, backbone, common["hidden_dims"], args.epochs, 128, 1e-4, 0)

        best = seconds_per_epoch(
            {"elite": fit_elite, "base": fit_base, "bare": fit_bare}, args.repeats)
        t_elite, t_base, t_bare = best["elite"], best["base"], best["bare"]
        print(f"| {backbone} | {t_elite:.4f} | {t_base:.4f} | {t_bare:.4f} | "
              f"{t_elite / t_base:.2f} | {t_base / t_bare:.2f} |")


if __name__ == "__main__":
    main()
