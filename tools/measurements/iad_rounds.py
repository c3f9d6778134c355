"""IAD with fewer rounds, read off one run of the paper form (``iad`` suite, 3 seeds).

    SKROBUSTAD_DATA_HOME=../shared/data python tools/measurements/iad_rounds.py OUT DeepSVDD,AE
    python tools/measurements/iad_rounds.py --csv OUT/contamination.csv

The second form reads a finished ``contamination`` run, whose IAD cells
record the same per-round numbers (IAD at its defaults), and prints IAD with
1, 3 and 15 rounds beside its base at every contamination level.

Each cell fits the suite's paper form (``IAD-<base>``: 15 rounds, beta = median,
min-h round) and records the test AUROC of every round and h(t). Round t
depends only on rounds < t (each round's seed is derived from the base's seed
and t), so ``IAD(max_iter=T)`` is the first T + 1 rounds of that run: its
selected round is the min-h round among rounds 1..T. Printed per T: mean test
AUROC over datasets (mean of seeds), datasets above the base, and the cost in
base fits (T + 1). Also the rule "stop once h has not fallen for P rounds".
"""
import json
import sys
from functools import partial

import numpy as np
import pandas as pd

from skrobustad.benchmark import Method, register_method, run_benchmark
from skrobustad.benchmark._suite_contamination import iad_rounds
from skrobustad.benchmark._suite_iad import make_iad


def selected(h, T):
    """The min-h round among rounds 1..T (ties: the earliest), as IAD selects it."""
    if T == 0:
        return 0
    values = np.asarray([np.inf if v is None else v for v in h[1:T + 1]], dtype=float)
    return 1 + int(np.argmin(values))


def fixed_rounds(h, T):
    """(last round run, selected round) of ``IAD(max_iter=T)``."""
    return T, selected(h, T)


def patience_stop(h, patience, max_iter=15):
    """(last round run, selected round) when rounds stop once h has not fallen for P rounds."""
    best, best_t = np.inf, 0
    for t in range(1, max_iter + 1):
        if h[t] < best:
            best, best_t = h[t], t
        elif t - best_t >= patience:
            return t, best_t
    return max_iter, best_t


def from_contamination_csv(path, rounds=(0, 1, 3, 15)):
    df = pd.read_csv(path)
    df = df[df.error.isna()]
    iad = df[df.method.str.startswith("IAD(") & df.extra.notna()]
    rows = []
    for (method, level), cells in iad.groupby(["method", "train_contamination"]):
        inner = method[len("IAD("):-1]  # "<base>()" or "<base>(), beta='median'"
        base = inner.split(", ")[0]
        base_auc = df[(df.method == base) & (df.train_contamination == level)]
        base_auc = base_auc.groupby(["dataset", "seed"]).auroc.first()
        extra = [json.loads(e) for e in cells.extra]
        if any(e["best_iter"] is None for e in extra):
            continue  # selection='average': the cell scores no single round
        keys = list(zip(cells.dataset, cells.seed))
        n_rounds = min(len(e["h"]) for e in extra)
        for T in (T for T in rounds if T < n_rounds):
            auc = pd.Series([e["round_auroc"][selected(e["h"], T)] for e in extra],
                            index=pd.MultiIndex.from_tuples(keys))
            per_dataset = auc.groupby(level=0).mean()
            paired = base_auc.reindex(auc.index)
            b = paired.groupby(level=0).mean()
            rows.append((method, level, T, len(auc), per_dataset.mean(), b.mean(),
                         int((per_dataset > b + 1e-6).sum()), len(per_dataset)))
    table = pd.DataFrame(rows, columns=["method", "contamination", "T", "cells", "IAD",
                                        "base", "above", "datasets"])
    print(table.round(4).to_string(index=False))


def main():
    if sys.argv[1] == "--csv":
        from_contamination_csv(sys.argv[2])
        return
    out, bases = sys.argv[1], sys.argv[2].split(",")
    names = []
    for base in bases:
        name = f"IAD-{base} (rounds)"
        register_method(Method(name, partial(make_iad, base), diagnostics=iad_rounds))
        names += [name, f"{base} (IAD base)"]
    run_benchmark("iad", methods=names, seeds=[0, 1, 2], out=out, n_jobs=1, plot=False)
    df = pd.read_csv(f"{out}/iad.csv")
    for base in bases:
        cells = df[df.method == f"IAD-{base} (rounds)"]
        base_auc = df[df.method == f"{base} (IAD base)"].groupby("dataset").auroc.mean()
        extra = [json.loads(e) for e in cells.extra]
        rows = []
        rules = [(f"T={T}", partial(fixed_rounds, T=T)) for T in range(16)]
        rules += [(f"patience {p}", partial(patience_stop, patience=p)) for p in (1, 2, 3, 5)]
        for label, rule in rules:
            auc, fits = [], []
            for e in extra:
                last, chosen = rule(e["h"])
                auc.append(e["round_auroc"][chosen])
                fits.append(last + 1)
            per = pd.Series(auc, index=cells.dataset.values).groupby(level=0).mean()
            rows.append((label, per.mean(), int((per > base_auc[per.index]).sum()),
                         len(per), np.mean(fits)))
        table = pd.DataFrame(rows, columns=["rule", "mean AUROC", "above base", "datasets",
                                            "fits"])
        print(f"\n{base}: base {base_auc.mean():.4f}, paper form (suite cell) "
              f"{cells.groupby('dataset').auroc.mean().mean():.4f}")
        print(table.round(4).to_string(index=False))
        cpu = df.groupby("method").cpu_seconds.mean()
        print("CPU s per cell:", cpu.round(2).to_dict())


if __name__ == "__main__":
    main()
