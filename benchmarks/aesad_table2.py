"""AE-SAD paper, Table 2, side by side with our runs (standalone script).

The ``aesad-table2`` protocol of :mod:`skrobustad.benchmark._suite_aesad` on
the ADBench copies of the paper's ODDS datasets: 60% of the normals plus
labeled anomalies making 5% of the training set, the rest as test set;
features min-max scaled on the training part; AUROC on the test part.

Every finished (dataset, seed, method) run is appended to ``--out`` (JSON
lines) and skipped when the script is started again, so a long run can be
resumed. ``--report`` prints the table of a results file.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/aesad_table2.py --out /tmp/aesad/table2.jsonl
    python benchmarks/aesad_table2.py --out /tmp/aesad/table2.jsonl --report
"""

import argparse
import contextlib
import io
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import MinMaxScaler

from skrobustad.benchmark import get_method
from skrobustad.benchmark._suite_aesad import (
    TABLE2_DATASETS,
    TABLE2_PAPER,
    aesad_table2_split,
)

DEFAULT_DATA = Path(os.environ.get("SKROBUSTAD_DATA_HOME", "../shared/data")) / "adbench"
METHODS = ("AESAD", "AutoEncoder-normals", "OCSVM", "pyod.DevNet")


def load(name, root):
    """``(X, y)`` of an ADBench Classical dataset by its short name."""
    for path in sorted((root / "Classical").glob("*.npz")):
        if path.stem.split("_", 1)[1].lower() == name:
            with np.load(path) as npz:
                return npz["X"].astype(np.float64), npz["y"].astype(int)
    raise FileNotFoundError(f"{name} not found under {root}/Classical")


def run_one(method, split, seed, overrides):
    """Fit a registered method on the split's training part.

    Returns the AUROC on the test part and the fit + score time.
    """
    spec = get_method(method)
    est = spec.make(seed)
    if overrides and method in ("AESAD", "AutoEncoder-normals"):
        est.set_params(**overrides)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if spec.api == "pyod":
            # PyOD's DevNet prints and draws from torch's global generator:
            # silence it and fork the generator around it (this script only).
            with contextlib.redirect_stdout(io.StringIO()), torch.random.fork_rng():
                torch.manual_seed(seed)
                est.fit(split.X_train, (split.y_partial_train == 1).astype(int))
                scores = est.decision_function(split.X_test)
        else:
            est.fit(split.X_train, y_partial=split.y_partial_train)
            scores = -est.score_samples(split.X_test)
    elapsed = time.perf_counter() - start
    return float(roc_auc_score(split.y_test, scores)), elapsed


def split_for(name, seed, root):
    X, y = load(name, root)
    split = aesad_table2_split(X, y, random_state=seed)
    scaler = MinMaxScaler().fit(split.X_train)
    return split.__class__(
        scaler.transform(split.X_train),
        split.y_partial_train,
        scaler.transform(split.X_test),
        split.y_test,
        split.info,
    )


def read(path):
    rows = []
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def report(rows, methods):
    """Markdown table: mean +- std AUROC per dataset, the paper's values beside."""
    by = {}
    for r in rows:
        by.setdefault((r["dataset"], r["method"]), []).append(r)
    header = (
        ["dataset", "paper AE-SAD", "paper AE"] + [f"{m}" for m in methods] + ["time AESAD (s)"]
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    close, above_ae, n_done = 0, 0, 0
    for name in TABLE2_DATASETS:
        paper = TABLE2_PAPER[name]
        cells = [name, f"{paper[0]:.3f}", f"{paper[1]:.3f}"]
        means = {}
        for m in methods:
            runs = by.get((name, m), [])
            if runs:
                auc = np.array([r["auc"] for r in runs])
                means[m] = auc.mean()
                cells.append(f"{auc.mean():.3f} ± {auc.std():.3f} (n={len(runs)})")
            else:
                cells.append("-")
        runs = by.get((name, "AESAD"), [])
        cells.append(f"{np.mean([r['time'] for r in runs]):.1f}" if runs else "-")
        lines.append("| " + " | ".join(cells) + " |")
        if "AESAD" in means:
            n_done += 1
            close += means["AESAD"] >= paper[0] - 0.03
            if "AutoEncoder-normals" in means:
                above_ae += means["AESAD"] > means["AutoEncoder-normals"]
    lines.append("")
    lines.append(
        f"AESAD within 0.03 of the paper or above: {close}/{n_done}; "
        f"AESAD above AutoEncoder-normals: {above_ae}/{n_done}"
    )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="ADBench folder")
    parser.add_argument("--datasets", default=",".join(TABLE2_DATASETS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--out", type=Path, default=Path("/tmp/aesad/table2.jsonl"))
    parser.add_argument(
        "--params",
        default="{}",
        help="JSON set_params overrides for AESAD and AutoEncoder-normals, e.g. "
        '\'{"estimator__max_epochs": 100, "n_batches": 32}\'',
    )
    parser.add_argument("--report", action="store_true", help="only print the table")
    args = parser.parse_args(argv)
    methods = args.methods.split(",")
    overrides = json.loads(args.params)
    rows = read(args.out)
    if args.report:
        print(report(rows, methods))
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["dataset"], r["seed"], r["method"]) for r in rows}
    for name in args.datasets.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            split = split_for(name, seed, args.data)
            for method in methods:
                if (name, seed, method) in done:
                    continue
                auc, elapsed = run_one(method, split, seed, overrides)
                row = {
                    "dataset": name,
                    "seed": seed,
                    "method": method,
                    "auc": auc,
                    "time": elapsed,
                    "n_train": int(len(split.X_train)),
                    "n_labeled_anomalies": split.info["n_labeled_anomalies"],
                    "params": overrides,
                    "machine": f"{platform.machine()} {os.cpu_count()} cpu, "
                    f"torch {torch.__version__}, {torch.get_num_threads()} threads",
                }
                with args.out.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(
                    f"{name:12s} seed={seed} {method:20s} auc={auc:.4f} {elapsed:7.1f}s", flush=True
                )
    print(report(read(args.out), methods))


if __name__ == "__main__":
    sys.exit(main())
