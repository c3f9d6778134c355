"""Reproduce Table II of the IAD paper (Kim et al.) side by side with its numbers.

Setting of the paper: each dataset is standardised and the detector trains,
without labels, on the whole contaminated dataset; AUROC is measured on the
same samples. One IAD fit gives three rows: *Base* (round 0, the plain
detector), *IAD* (the round with the smallest termination value ``h``) and
*IAD-Best* (the best round in hindsight: an oracle that looks at the labels,
reported as the paper does).

Architectures follow the paper (Sec. V-A): Deep SVDD and the autoencoder's
encoder are MLPs 32-16-8 (32-16-4 on thyroid) with leaky ReLU; MAF has five
autoregressive transformations with 32 hidden units; Adam with learning rate
1e-3 (1e-4 for Deep SVDD, see ``make_base``), batch size 128. The paper does
not give the epochs per round: ``--epochs`` sets them.

Each finished (base, dataset, seed) run is appended to ``--out`` as one JSON
line (per-round AUROC, ``h``, weights of true normals / anomalies, times), so
an interrupted run resumes; ``--report`` prints the tables from that file.

Examples
--------
OMP_NUM_THREADS=1 python benchmarks/iad_table2.py --bases DeepSVDD AE --seeds 0 1 2 3 4
OMP_NUM_THREADS=1 python benchmarks/iad_table2.py --report
"""

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

DATASETS = {
    "satellite": "30_satellite",
    "cardio": "6_cardio",
    "thyroid": "38_thyroid",
    "satimage-2": "31_satimage-2",
}

#: Table II of the paper: (base, method) -> AUROC (%) per dataset.
PAPER = {
    ("DeepSVDD", "Base"): (68.2, 64.5, 78.3, 86.7),
    ("DeepSVDD", "IAD"): (80.7, 85.3, 86.7, 97.6),
    ("DeepSVDD", "IAD-Best"): (82.4, 88.1, 91.7, 99.1),
    ("MAF", "Base"): (72.3, 86.9, 96.3, 99.7),
    ("MAF", "IAD"): (74.3, 90.3, 97.3, 99.8),
    ("MAF", "IAD-Best"): (77.4, 92.9, 97.8, 99.9),
    ("AE", "Base"): (62.0, 70.7, 92.1, 88.6),
    ("AE", "IAD"): (70.2, 68.7, 95.3, 99.9),
    ("AE", "IAD-Best"): (71.1, 73.3, 96.7, 99.9),
}


def data_home():
    env = os.environ.get("SKROBUSTAD_DATA_HOME")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def make_base(base, dataset, seed, epochs, batch_size):
    """The paper's base detector for ``dataset``."""
    from skrobustad import AutoEncoder
    from skrobustad.detectors import MAF, DeepSVDD

    dims = (32, 16, 4) if dataset == "thyroid" else (32, 16, 8)
    common = dict(max_epochs=epochs, batch_size=batch_size, device="cpu", random_state=seed)
    if base == "DeepSVDD":
        # lr 1e-4, not the paper's 1e-3: without the authors' autoencoder
        # pre-training our Deep SVDD shrinks onto its centre at 1e-3 and IAD
        # then has no ranking to start from (see the user guide)
        return DeepSVDD(hidden_dims=dims, activation="leaky_relu", lr=1e-4, **common)
    if base == "AE":
        return AutoEncoder(hidden_dims=dims, activation="leaky_relu", lr=1e-3, **common)
    if base == "MAF":
        return MAF(n_transforms=5, hidden_dims=(32,), lr=1e-3, **common)
    raise ValueError(f"unknown base {base!r}")


def run_one(base, dataset, seed, args):
    from skrobustad import IAD

    d = np.load(data_home() / "adbench" / "Classical" / f"{DATASETS[dataset]}.npz")
    X = StandardScaler().fit_transform(d["X"].astype(np.float64))
    y = d["y"].astype(int)
    estimator = make_base(base, dataset, seed, args.epochs, args.batch_size)
    round_params = {"max_epochs": args.round_epochs} if args.round_epochs else None
    iad = IAD(
        estimator,
        max_iter=args.max_iter,
        tau=args.tau,
        beta=args.beta,
        warm_start=args.warm_start,
        round_params=round_params,
        n_estimators=args.n_estimators,
        random_state=seed,
    )
    start = time.perf_counter()
    iad.fit(X)
    seconds = time.perf_counter() - start
    aucs = [float(roc_auc_score(y, -s)) for s in iad.round_scores_]
    train_seconds = [
        float(sum(sum(h["dur"] for h in m.history_) for m in getattr(est, "estimators_", [est])))
        for est in iad.round_estimators_
    ]
    return {
        "base": base,
        "dataset": dataset,
        "seed": seed,
        "config": config_key(args),
        "auroc": aucs,
        "h": [None if np.isnan(v) else int(v) for v in iad.termination_values_],
        "best_iter": int(iad.best_iter_),
        "contamination_estimate": iad.contamination_,
        "true_contamination": float(y.mean()),
        "w_normal": iad.round_weights_[:, y == 0].mean(axis=1).tolist(),
        "w_anomaly": iad.round_weights_[:, y == 1].mean(axis=1).tolist(),
        "fit_seconds": seconds,
        "round_train_seconds": train_seconds,
    }


def config_key(args):
    return (
        f"E{args.epochs}-bs{args.batch_size}-T{args.max_iter}-tau{args.tau}-beta{args.beta}"
        + (f"-warm{args.round_epochs or args.epochs}" if args.warm_start else "")
        + (f"-ens{args.n_estimators}" if args.n_estimators > 1 else "")
    )


def read(path):
    if not Path(path).exists():
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def report(rows, config=None):
    """Markdown tables: ours (mean +- std over seeds) beside the paper's."""
    configs = sorted({r["config"] for r in rows}) if config is None else [config]
    lines = []
    for cfg in configs:
        sub = [r for r in rows if r["config"] == cfg]
        seeds = sorted({r["seed"] for r in sub})
        lines += [f"### {cfg} (seeds {seeds})", ""]
        lines.append("| base | method | " + " | ".join(DATASETS) + " |")
        lines.append("|---|---|" + "---|" * len(DATASETS))
        cells = {}
        for base in ("DeepSVDD", "MAF", "AE"):
            for method in ("Base", "IAD", "IAD-Last", "IAD-Best"):
                out = []
                for j, dataset in enumerate(DATASETS):
                    runs = [r for r in sub if r["base"] == base and r["dataset"] == dataset]
                    if not runs:
                        out.append("-")
                        continue
                    vals = 100 * np.array([_pick(r, method) for r in runs])
                    cells[(base, method, dataset)] = vals.mean()
                    paper = PAPER.get((base, method))
                    ref = f" ({paper[j]:.1f})" if paper else ""
                    out.append(f"{vals.mean():.1f} ± {vals.std():.1f}{ref}")
                if any(o != "-" for o in out):
                    lines.append(f"| {base} | {method} | " + " | ".join(out) + " |")
        lines.append("")
        lines.append("Paper values in parentheses. IAD-Last: the last round "
                     "(selection='last'); IAD-Best: best round in hindsight (oracle).")
        above = [
            (b, d)
            for (b, m, d) in cells
            if m == "IAD" and cells[(b, "IAD", d)] > cells[(b, "Base", d)]
        ]
        n_cells = sum(1 for (b, m, d) in cells if m == "IAD")
        close = [
            (b, d)
            for (b, m, d) in cells
            if m == "IAD"
            and cells[(b, m, d)] >= PAPER[(b, "IAD")][list(DATASETS).index(d)] - 3.0
        ]
        lines.append(
            f"IAD > Base in {len(above)}/{n_cells} cells; IAD within 3 points of the "
            f"paper's IAD (or above) in {len(close)}/{n_cells}."
        )
        times = {}
        for r in sub:
            ratio = r["fit_seconds"] / max(r["round_train_seconds"][0], 1e-9)
            times.setdefault(r["base"], []).append((r["fit_seconds"], ratio))
        for base, vals in times.items():
            vals = np.array(vals)
            lines.append(
                f"- {base}: IAD fit {vals[:, 0].mean():.1f} s on average, "
                f"{vals[:, 1].mean():.1f}x the training time of its round 0 (the base)."
            )
        lines.append("")
    return "\n".join(lines)


def _pick(run, method):
    aucs = run["auroc"]
    if method == "Base":
        return aucs[0]
    if method == "IAD":
        return aucs[run["best_iter"]]
    if method == "IAD-Last":
        return aucs[-1]
    return max(aucs)  # IAD-Best: oracle


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bases", nargs="+", default=["DeepSVDD", "MAF", "AE"])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=30, help="epochs per round")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--max-iter", type=int, default=15)
    parser.add_argument("--tau", type=float, default=0.25)
    parser.add_argument("--beta", default="median")
    parser.add_argument("--warm-start", action="store_true")
    parser.add_argument("--round-epochs", type=int, default=None,
                        help="epochs of rounds t >= 1 (default: --epochs)")
    parser.add_argument("--n-estimators", type=int, default=1,
                        help="models per round (the ensemble of the paper's Table V)")
    parser.add_argument("--out", default="/tmp/iad/table2.jsonl")
    parser.add_argument("--report", action="store_true", help="print the tables and exit")
    args = parser.parse_args(argv)
    if args.beta not in ("median", "estimate"):
        args.beta = float(args.beta)

    if args.report:
        print(report(read(args.out)))
        return
    done = {(r["base"], r["dataset"], r["seed"], r["config"]) for r in read(args.out)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    for base in args.bases:
        for dataset in args.datasets:
            for seed in args.seeds:
                if (base, dataset, seed, config_key(args)) in done:
                    continue
                row = run_one(base, dataset, seed, args)
                with open(args.out, "a") as f:
                    f.write(json.dumps(row) + "\n")
                print(
                    f"{base} {dataset} seed {seed}: base {row['auroc'][0]:.3f} "
                    f"IAD {row['auroc'][row['best_iter']]:.3f} (round {row['best_iter']}) "
                    f"best {max(row['auroc']):.3f} in {row['fit_seconds']:.0f} s",
                    flush=True,
                )
    print(report(read(args.out), config_key(args)))


if __name__ == "__main__":
    main()
