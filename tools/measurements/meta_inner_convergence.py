"""How much MetaRAE's initial attributes ``A_0 = v([x, z])`` (Eq. 6) matter once Eq. 3 is solved.

Usage::

    python tools/measurements/meta_inner_convergence.py BASE_PARAMS [SPLITS] [LABEL_RATIOS]

Eq. 3 is jointly convex in ``(W, A)`` (a squared norm of the affine residual
``X_S + A - H W^T`` plus an l1 and a ridge term, strictly convex for
``mu > 0``), so its minimiser does not depend on ``A_0``: the initial
attributes only change where the ``I`` alternations of Eqs. 4-5 stop. Each
cell meta-trains the paper's model (the ``meta`` suite's settings plus
``BASE_PARAMS``, e.g. ``"{'lambda_init': 0.1}"``) and, on each of its 50
target support sets, solves the inner problem (float64) from ``A_0 = v`` and
from ``A_0 = 0``, at the model's ``I`` and at ``I = 1000`` (converged).
Printed per start and ``I``: the mean Eq. 3 loss, its excess over the
converged loss, the mean test AUROC and the share of non-zero entries of
``A``.
"""

import sys

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from skrobustad.benchmark._suite_meta import METARAE_PARAMS
from skrobustad.datasets import make_rotated_digits_tasks
from skrobustad.meta import MetaRAE
from skrobustad.meta._inner import inner_loss, solve_inner

from meta_ablations import cli_args  # a script: this folder is on sys.path

CONVERGED = 1000


def solves(net, S):
    """(start, I) -> (W, Eq. 3 loss, share of non-zero A) on support set ``S``."""
    z = net.task_representation(S)
    H, Y = net.encode(S, z).double(), net.targets(S).double()
    A0 = net.initial_attributes(S, z)
    lam, mu = net.lam.double(), net.mu.double()
    out = {}
    for start, a0 in (("v", None if A0 is None else A0.double()), ("0", None)):
        for n_iter in (net.n_inner_iter, CONVERGED):
            W, A = solve_inner(H, Y, a0, lam, mu, n_iter=n_iter)
            out[start, n_iter] = (W, float(inner_loss(Y, A, H, W, lam, mu)),
                                  float((A != 0).double().mean()))
    return z, out


def main(base, splits, label_ratios):
    torch.set_num_threads(1)
    rows = {}
    for split in splits:
        for l_r in label_ratios:
            tasks = make_rotated_digits_tasks(l_r=l_r, random_state=split)
            meta = MetaRAE(**{"random_state": 0, **METARAE_PARAMS, **base})
            meta.fit(tasks.X_source, y_partial=tasks.y_partial_source,
                     validation_tasks=tasks.X_validation,
                     validation_y_partial=tasks.y_partial_validation)
            net = meta.module_.eval()
            cell = {}
            with torch.no_grad():
                for episode in tasks.target:
                    S = torch.as_tensor(meta._scale(episode["X_support"]), dtype=torch.float32)
                    Q = torch.as_tensor(meta._scale(episode["X_test"]), dtype=torch.float32)
                    z, out = solves(net, S)
                    best = out["0", CONVERGED][1]
                    for key, (W, loss, nonzero) in out.items():
                        s = net.anomaly_score(Q, z, W.float()).numpy()
                        cell.setdefault(key, []).append(
                            (loss, loss - best, roc_auc_score(episode["y_test"], s), nonzero))
            for key, values in cell.items():
                rows.setdefault(key, []).append(np.mean(values, axis=0))
            print(split, l_r, "  ".join(f"A0={k[0]} I={k[1]}: auroc {100 * np.mean(v, 0)[2]:.2f}"
                                        for k, v in cell.items()), flush=True)
    for (start, n_iter), values in rows.items():
        loss, excess, auc, nonzero = np.mean(values, axis=0)
        print(f"A_0={start} I={n_iter:<5d} Eq.3 loss {loss:.5f} (excess {excess:.2e})  "
              f"AUROC {100 * auc:.2f}  A non-zero {nonzero:.3f}")


if __name__ == "__main__":
    main(*cli_args(sys.argv))
