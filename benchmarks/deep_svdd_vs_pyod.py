"""AUROC and fit time: skrobustad's DeepSVDD vs PyOD's DeepSVDD.

Protocol (issue 2's acceptance for DeepSVDD): ADBench ``satellite``,
``cardio``, ``thyroid`` and ``satimage-2``; per seed a stratified 70/30
split, features standardised on the training part, both detectors trained
unsupervised on the contaminated 70% with their own default settings (hidden
layers (64, 32) in both), AUROC on the 30%. Both run in this one process, one
after the other, on the same data, so the fit times are comparable.

The script also checks that our DeepSVDD never gives constant scores: it
counts fits that raised :class:`~skrobustad.exceptions.ConstantScoresWarning`
and test sets whose scores have no spread.

Usage::

    SKROBUSTAD_DATA_HOME=../shared/data OMP_NUM_THREADS=1 \
        python benchmarks/deep_svdd_vs_pyod.py --seeds 0 1 2 3 4
"""

import argparse
import contextlib
import io
import os
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skrobustad import DeepSVDD
from skrobustad.exceptions import ConstantScoresWarning

DATASETS = ["satellite", "cardio", "thyroid", "satimage-2"]


def load(name, data_home):
    path = next(Path(data_home, "adbench", "Classical").glob(f"*_{name}.npz"))
    data = np.load(path)
    return data["X"].astype(np.float64), data["y"].astype(int)


def run_ours(X_tr, X_te, y_te, seed):
    est = DeepSVDD(random_state=seed, device="cpu")
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConstantScoresWarning)
        est.fit(X_tr)
    seconds = time.perf_counter() - start
    collapsed = any(issubclass(w.category, ConstantScoresWarning) for w in caught)
    scores = -est.score_samples(X_te)
    collapsed = collapsed or np.ptp(scores) <= 1e-10 * max(1.0, np.abs(scores).max())
    return seconds, roc_auc_score(y_te, scores), collapsed


def run_pyod(X_tr, X_te, y_te, seed):
    from pyod.models.deep_svdd import DeepSVDD as PyODDeepSVDD

    # PyOD's DeepSVDD seeds torch's global generator in __init__ and prints;
    # keep both out of our process state and output.
    with torch.random.fork_rng(), contextlib.redirect_stdout(io.StringIO()):
        est = PyODDeepSVDD(n_features=X_tr.shape[1], random_state=seed, verbose=0)
        start = time.perf_counter()
        est.fit(X_tr)
        seconds = time.perf_counter() - start
        scores = est.decision_function(X_te)
    return seconds, roc_auc_score(y_te, scores), bool(np.ptp(scores) == 0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--data-home", default=os.environ.get("SKROBUSTAD_DATA_HOME", "../shared/data")
    )
    args = parser.parse_args(argv)

    methods = {"skrobustad DeepSVDD": run_ours, "PyOD DeepSVDD": run_pyod}
    # results[dataset][method] = list of (seconds, auroc, collapsed) per seed
    results = {}
    for name in args.datasets:
        X, y = load(name, args.data_home)
        results[name] = {m: [] for m in methods}
        for seed in args.seeds:
            X_tr, X_te, _, y_te = train_test_split(
                X, y, test_size=0.3, stratify=y, random_state=seed
            )
            scaler = StandardScaler().fit(X_tr)
            X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
            for method, run in methods.items():
                results[name][method].append(run(X_tr, X_te, y_te, seed))

    print(f"seeds={args.seeds}, torch threads={torch.get_num_threads()}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    print("| dataset | method | AUROC seed 0 | AUROC mean +- std | fit s (mean) | "
          "constant scores |")
    print("|---|---|---|---|---|---|")
    wins = 0
    for name, per_method in results.items():
        means = {}
        for method, rows in per_method.items():
            seconds, aucs, collapsed = (np.array(v) for v in zip(*rows, strict=True))
            means[method] = aucs.mean()
            first = f"{aucs[0]:.3f}" if args.seeds[0] == 0 else "-"
            print(f"| {name} | {method} | {first} | {aucs.mean():.3f} +- {aucs.std():.3f} | "
                  f"{seconds.mean():.2f} | {int(collapsed.sum())}/{len(collapsed)} |")
        wins += means["skrobustad DeepSVDD"] >= means["PyOD DeepSVDD"]
    print(f"\nskrobustad DeepSVDD matches or beats PyOD (mean AUROC) on {wins} of "
          f"{len(results)} datasets.")


if __name__ == "__main__":
    main()
