"""ELITE's fit time per epoch against its backbone's (issue 13 acceptance).

Same network (widths (64, 32)), batch (128), epochs, learning rate and data;
the backbones are DeepSVDD without its step budget and the plain autoencoder
(no batch norm, no dropout, linear code), i.e. ELITE's own networks. The
minimum over ``--repeats`` fits of each, interleaved, so a shared machine's
load hits both alike. Run with one torch thread::

    OMP_NUM_THREADS=1 python tools/measurements/elite_epoch_time.py --rows 2000 --features 512
"""

import argparse
import time

import numpy as np
import torch

from skrobustad import ELITE, AutoEncoder, DeepSVDD


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--features", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(args.rows, args.features))
    y_partial = np.full(args.rows, -1)
    y_partial[:25], y_partial[-25:] = 0, 1
    common = {"hidden_dims": (64, 32), "max_epochs": args.epochs, "batch_size": 128, "lr": 1e-4,
                  "random_state": 0, "device": "cpu"}
    pairs = {
        "svdd": (ELITE("svdd", **common), DeepSVDD(max_steps=None, **common)),
        "ae": (ELITE("ae", **common),
               AutoEncoder(batch_norm=False, dropout=0.0, activate_code=False, **common)),
    }
    for name, (elite, base) in pairs.items():
        best = {"elite": np.inf, "base": np.inf}
        for _ in range(args.repeats):
            for key, est in (("elite", elite), ("base", base)):
                start = time.perf_counter()
                est.fit(X, y_partial=y_partial)
                best[key] = min(best[key], (time.perf_counter() - start) / est.n_iter_)
        print(f"{name}: ELITE {best['elite'] * 1e3:.1f} ms/epoch, backbone "
              f"{best['base'] * 1e3:.1f} ms/epoch, ratio {best['elite'] / best['base']:.2f} "
              f"({args.rows} x {args.features}, {args.epochs} epochs, min of {args.repeats})")


if __name__ == "__main__":
    main()
