"""IAD on the ADBench tabular datasets: every round's test AUROC from one fit.

The protocol is the benchmark suite's ``unsupervised`` one (stratified
70/30, at most 3000 training rows, features standardised on the training
part, unlabeled contaminated training part, AUROC on the 30%). One IAD fit
is scored on the test part after every round
(:meth:`~skrobustad.IAD.staged_score_samples`), which gives in one go:

- *Base*: round 0, the plain detector;
- *IAD*: the round of smallest ``h`` (what ``IAD`` returns);
- *IAD-Last*: the last round;
- *IAD-Best*: the round with the best **test** AUROC (an oracle).

``skrobustad-bench run --suite iad`` runs the same comparison cell by cell
(Base and IAD fitted separately); this script is the cheap way to study the
options (``--iad warm_start=true round_params.max_epochs=10``,
``--iad beta=estimate``, ``--set lr=1e-4``). Rows are appended to ``--out``
(JSON lines) and a rerun skips the finished ones; ``--report`` prints the
tables.

Examples
--------
OMP_NUM_THREADS=1 python benchmarks/iad_adbench.py --base DeepSVDD --seeds 0 1 2
OMP_NUM_THREADS=1 python benchmarks/iad_adbench.py --base IForest --iad beta=estimate
OMP_NUM_THREADS=1 python benchmarks/iad_adbench.py --baselines pyod.IForest pyod.ECOD
OMP_NUM_THREADS=1 python benchmarks/iad_adbench.py --report
"""

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler


def _value(text):
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _options(pairs):
    """``["a=1", "round_params.max_epochs=10"]`` -> ``{"a": 1, "round_params": {...}}``."""
    out = {}
    for pair in pairs or []:
        key, _, value = pair.partition("=")
        if "." in key:
            outer, inner = key.split(".", 1)
            out.setdefault(outer, {})[inner] = _value(value)
        else:
            out[key] = _value(value)
    return out


def split(dataset, seed, data_home):
    from skrobustad.benchmark import get_protocol, load_dataset
    from skrobustad.benchmark._suite_core import MAX_TRAIN_SAMPLES

    X, y = load_dataset(dataset, data_home)
    s = get_protocol("unsupervised")(X, y, random_state=seed, max_train_samples=MAX_TRAIN_SAMPLES)
    scaler = StandardScaler().fit(s.X_train)
    return scaler.transform(s.X_train), scaler.transform(s.X_test), s.y_test


def run_iad(dataset, seed, args, data_home):
    from skrobustad.benchmark._suite_iad import make_iad

    X_train, X_test, y_test = split(dataset, seed, data_home)
    iad = make_iad(args.base, seed, **_options(args.iad))
    if args.set:
        iad.estimator.set_params(**_options(args.set))
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        iad.fit(X_train)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    test_auc = [float(roc_auc_score(y_test, -s)) for s in iad.staged_score_samples(X_test)]
    round_seconds = []
    for est in iad.round_estimators_:
        history = getattr(est, "history_", None)
        round_seconds.append(float(sum(h["dur"] for h in history)) if history else None)
    return {
        "dataset": dataset,
        "seed": seed,
        "method": variant(args),
        "auroc": test_auc,
        "h": [None if np.isnan(v) else int(v) for v in iad.termination_values_],
        "best_iter": int(iad.best_iter_),
        "contamination_estimate": iad.contamination_,
        "fit_seconds": wall,
        "fit_cpu_seconds": cpu,
        "round_train_seconds": round_seconds,
    }


def run_baseline(dataset, seed, name, data_home):
    from skrobustad.benchmark import get_method

    X_train, X_test, y_test = split(dataset, seed, data_home)
    method = get_method(name)
    est = method.make(seed)
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X_train)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if method.api == "pyod":
        scores = est.decision_function(X_test)
    else:
        scores = -est.score_samples(X_test)
    return {
        "dataset": dataset,
        "seed": seed,
        "method": name,
        "auroc": [float(roc_auc_score(y_test, scores))],
        "best_iter": 0,
        "fit_seconds": wall,
        "fit_cpu_seconds": cpu,
    }


def variant(args):
    parts = [f"IAD-{args.base}"] + sorted(args.iad or []) + sorted(args.set or [])
    return " ".join(parts)


def read(path):
    if not Path(path).exists():
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def report(rows):
    """Mean test AUROC per method (and per dataset) over the seeds present."""
    datasets = sorted({r["dataset"] for r in rows})
    methods = sorted({r["method"] for r in rows})
    lines = []
    summary = {}
    for m in methods:
        for kind in ("Base", "IAD", "IAD-Last", "IAD-Best"):
            if not m.startswith("IAD-") and kind != "Base":
                continue
            per_ds = {}
            for d in datasets:
                vals = [_pick(r, kind) for r in rows if r["method"] == m and r["dataset"] == d]
                if vals:
                    per_ds[d] = (np.mean(vals), len(vals))
            summary[(m, kind)] = per_ds
    lines.append("| method | row | mean AUROC | datasets | wins vs its Base | mean fit s (CPU) "
                 "| seeds |")
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    for (m, kind), per_ds in summary.items():
        complete = sorted(per_ds)
        mean = np.mean([per_ds[d][0] for d in complete]) if complete else float("nan")
        wins = ""
        if kind != "Base" and m.startswith("IAD-"):
            base = summary[(m, "Base")]
            w = sum(per_ds[d][0] > base[d][0] for d in complete)
            wins = f"{w}/{len(complete)}"
        cpu = np.mean([r["fit_cpu_seconds"] for r in rows if r["method"] == m])
        seeds = sorted({r["seed"] for r in rows if r["method"] == m})
        label = f"{kind} (oracle)" if kind == "IAD-Best" else kind
        lines.append(
            f"| {m} | {label} | {mean:.4f} | {len(complete)} | {wins} | {cpu:.1f} | {seeds} |"
        )
    lines.append("")
    lines.append("| dataset | " + " | ".join(f"{m} {k}" for (m, k) in summary) + " |")
    lines.append("|---|" + "---:|" * len(summary))
    for d in datasets:
        cells = [f"{summary[key][d][0]:.3f}" if d in summary[key] else "-" for key in summary]
        lines.append(f"| {d} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _pick(run, kind):
    aucs = run["auroc"]
    if kind == "Base":
        return aucs[0]
    if kind == "IAD":
        return aucs[run["best_iter"]]
    if kind == "IAD-Last":
        return aucs[-1]
    return max(aucs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", choices=["DeepSVDD", "MAF", "AE", "IForest"])
    parser.add_argument("--iad", nargs="*", metavar="KEY=VALUE", help="IAD parameters")
    parser.add_argument("--set", nargs="*", metavar="KEY=VALUE", help="base parameters")
    parser.add_argument("--baselines", nargs="*", metavar="METHOD",
                        help="registered methods fitted plainly (e.g. pyod.IForest)")
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--data-home", default=os.environ.get("SKROBUSTAD_DATA_HOME"))
    parser.add_argument("--out", default="/tmp/iad/adbench.jsonl")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args(argv)
    if args.report:
        print(report(read(args.out)))
        return
    from skrobustad.benchmark import get_suite
    from skrobustad.benchmark._runner import resolve_datasets

    datasets = args.datasets or resolve_datasets(get_suite("iad"), None, args.data_home)
    done = {(r["dataset"], r["seed"], r["method"]) for r in read(args.out)}
    jobs = []
    if args.base:
        jobs.append(variant(args))
    jobs += args.baselines or []
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    for dataset in datasets:
        for seed in args.seeds:
            for job in jobs:
                if (dataset, seed, job) in done:
                    continue
                if job.startswith("IAD-"):
                    row = run_iad(dataset, seed, args, args.data_home)
                else:
                    row = run_baseline(dataset, seed, job, args.data_home)
                with open(args.out, "a") as f:
                    f.write(json.dumps(row) + "\n")
                print(f"{dataset} {seed} {job}: {np.round(row['auroc'], 3).tolist()} "
                      f"best_iter {row['best_iter']} {row['fit_cpu_seconds']:.1f} CPU s",
                      flush=True)


if __name__ == "__main__":
    main()
