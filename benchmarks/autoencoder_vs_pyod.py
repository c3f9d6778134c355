"""Fit time and AUROC: skrobustad's AutoEncoder vs PyOD's AutoEncoder.

Protocol (issue 2's acceptance): ADBench ``30_satellite``, stratified 70/30
split per seed, features standardised on the training part, both
autoencoders with hidden layers (64, 32) and the same number of epochs and
batch size, trained unsupervised on the contaminated 70%, AUROC on the 30%.
Both run in this one process, one after the other, on the same data, with
the same number of torch threads (1 by default); the time is the process CPU
time of each fit, so the ratio holds on a machine shared with other work.

Two skrobustad configurations are timed: its defaults (batch norm + dropout
0.2, as PyOD's) and a plain network (no batch norm, no dropout).

Usage::

    SKROBUSTAD_DATA_HOME=../shared/data python benchmarks/autoencoder_vs_pyod.py \
        --epochs 50 --batch-size 256 --seeds 0 1 2 3 4
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skrobustad import AutoEncoder


def load(name, data_home):
    path = next(Path(data_home, "adbench", "Classical").glob(f"*_{name}.npz"))
    data = np.load(path)
    return data["X"].astype(np.float64), data["y"].astype(int)


def timed_fit(est, X):
    """Process CPU seconds of one fit (robust to other load on the machine)."""
    start = time.process_time()
    est.fit(X)
    return time.process_time() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="satellite")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--data-home", default=os.environ.get("SKROBUSTAD_DATA_HOME", "../shared/data")
    )
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)

    from pyod.models.auto_encoder import AutoEncoder as PyODAutoEncoder

    X, y = load(args.dataset, args.data_home)
    # one untimed fit of each, so one-time costs (lazy imports, allocator
    # warm-up) are not charged to the first timed run
    AutoEncoder(max_epochs=1, device="cpu").fit(X[:512])
    PyODAutoEncoder(epoch_num=1, verbose=0, device="cpu").fit(X[:512])
    rows = {"skrobustad AutoEncoder (defaults)": [], "skrobustad AutoEncoder (plain)": [],
            "PyOD AutoEncoder": []}
    for seed in args.seeds:
        X_tr, X_te, _, y_te = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
        scaler = StandardScaler().fit(X_tr)
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
        common = dict(hidden_dims=(64, 32), max_epochs=args.epochs,
                      batch_size=args.batch_size, random_state=seed, device="cpu")
        ours = AutoEncoder(**common)
        t = timed_fit(ours, X_tr)
        rows["skrobustad AutoEncoder (defaults)"].append(
            (t, roc_auc_score(y_te, -ours.score_samples(X_te))))
        plain = AutoEncoder(batch_norm=False, dropout=0.0, **common)
        t = timed_fit(plain, X_tr)
        rows["skrobustad AutoEncoder (plain)"].append(
            (t, roc_auc_score(y_te, -plain.score_samples(X_te))))
        theirs = PyODAutoEncoder(hidden_neuron_list=[64, 32], epoch_num=args.epochs,
                                 batch_size=args.batch_size, preprocessing=False,
                                 random_state=seed, verbose=0, device="cpu")
        t = timed_fit(theirs, X_tr)
        rows["PyOD AutoEncoder"].append((t, roc_auc_score(y_te, theirs.decision_function(X_te))))

    pyod_time = np.mean([r[0] for r in rows["PyOD AutoEncoder"]])
    print(f"{args.dataset}: {X.shape}, epochs={args.epochs}, batch_size={args.batch_size}, "
          f"seeds={args.seeds}, torch threads={__import__('torch').get_num_threads()}")
    print("| method | fit CPU seconds (mean +- std) | AUROC (mean +- std) | PyOD time / this time |")
    print("|---|---|---|---|")
    for name, vals in rows.items():
        times, aucs = np.array(vals).T
        print(f"| {name} | {times.mean():.2f} +- {times.std():.2f} | "
              f"{aucs.mean():.3f} +- {aucs.std():.3f} | {pyod_time / times.mean():.1f}x |")


if __name__ == "__main__":
    main()
