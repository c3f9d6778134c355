"""Paper 000's tables from the ``meta`` suite's results CSV.

Usage::

    python tools/measurements/meta_tables.py RESULTS/meta.csv [MORE/meta.csv ...] [--suite meta]

(several results files of the same suite are merged, e.g. runs of disjoint
methods written to different folders).

- Table 1: every method's mean AUROC over the (domain split, l_r) cells;
  each baseline family (IForest, OCSVM, AE, RAE) at its best grid point (the
  best mean test AUROC, as appendix E reports its baselines). Baseline cells
  computed at one l_r stand for every l_r: the target episodes of a split do
  not depend on l_r (``make_rotated_digits_tasks``), only the source tasks do.
  Paired t-test (and Wilcoxon) of MetaRAE against the best tuned baseline
  over the cells, and over the individual episodes.
- Per anomaly ratio of the target support set (Fig. 2).
- Table 2: the ablations against the full model, paired over the cells both
  have.
- Table 3: meta-training seconds (``fit_seconds``) and seconds per episode
  (adapt + score for meta-learners, fit + score for the baselines).
"""

import argparse
import csv
import json
import re
from collections import defaultdict

import numpy as np
from scipy import stats

FAMILIES = ("IForest", "OCSVM", "AE", "RAE")


def _rows(paths, suite):
    rows = []
    for path in paths:
        with open(path, newline="") as fh:
            rows += [r for r in csv.DictReader(fh) if r["suite"] == suite and not r["error"]]
    for r in rows:
        r["l_r"] = json.loads(r["config"])["options"].get("l_r")
        r["auroc"] = float(r["auroc"])
        r["extra"] = json.loads(r["extra"]) if r["extra"] else {}
    return rows


def _family(method):
    m = re.match(r"^(IForest|OCSVM|AE|RAE) \(", method)
    return m.group(1) if m else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("csv", nargs="+")
    parser.add_argument("--suite", default="meta")
    args = parser.parse_args()
    rows = _rows(args.csv, args.suite)
    by = defaultdict(dict)  # method -> {(seed, l_r): row}
    for r in rows:
        by[r["method"]][(int(r["seed"]), r["l_r"])] = r
    meta_cells = sorted({k for m, cells in by.items() if _family(m) is None for k in cells})

    def cell_value(method, key):
        cells = by[method]
        if key in cells:
            return cells[key]
        if _family(method) is not None or method == "5-NN":  # l_r-independent
            same_seed = [r for (s, _), r in cells.items() if s == key[0]]
            return same_seed[0] if same_seed else None
        return None

    def series(method, keys):
        out = [cell_value(method, k) for k in keys]
        return out if all(o is not None for o in out) else None

    def seeds_of(method):
        return {seed for seed, _ in by[method]}

    # best grid point per family, compared on the seeds every member has
    tuned, grids = {}, {}
    for fam in FAMILIES:
        members = [m for m in by if _family(m) == fam]
        if not members:
            continue
        common = set.intersection(*(seeds_of(m) for m in members))
        if not common:
            common = seeds_of(members[0])
            members = [m for m in members if common <= seeds_of(m)]

        def mean_on(m, seeds=common):
            return np.mean([r["auroc"] for (seed, _), r in by[m].items() if seed in seeds])

        tuned[fam] = max(members, key=mean_on)
        grids[fam] = (sorted(common), {m: mean_on(m) for m in members})
    print(f"cells (seed, l_r) with meta-learners: {len(meta_cells)}")
    print("\n### Table 1: mean AUROC [%] (baselines at their best grid point)\n")
    print("| method | mean AUROC | cells (seed, l_r) |")
    print("|---|---|---|")
    names = [m for m in by if _family(m) is None] + list(tuned.values())
    for m in names:
        keys = [k for k in meta_cells if cell_value(m, k) is not None] or list(by[m])
        vals = [cell_value(m, k)["auroc"] for k in keys]
        print(f"| {m} | {100 * np.mean(vals):.2f} | {len(keys)} |")
    for fam, (common, means) in grids.items():
        grid = ", ".join(f"{m}: {100 * v:.2f}" for m, v in means.items())
        print(f"\n{fam} grid, mean over seeds {common}: {grid}")

    if "MetaRAE" in by and tuned:
        # the best tuned baseline: the grid point (any family) with the best mean
        # AUROC over MetaRAE's cells, among those computed on all of them
        keys = sorted(by["MetaRAE"])
        members = [m for m in by if _family(m) is not None]
        full = [m for m in members if all(cell_value(m, k) is not None for k in keys)]
        if not full:
            full = [max(members, key=lambda m: sum(cell_value(m, k) is not None for k in keys))]
            keys = [k for k in keys if cell_value(full[0], k) is not None]
        base = max(full, key=lambda m: np.mean([cell_value(m, k)["auroc"] for k in keys]))
        print("\ngrid points computed on every MetaRAE cell: " + ", ".join(
            f"{m}: {100 * np.mean([cell_value(m, k)['auroc'] for k in keys]):.2f}" for m in full))
        a = np.array([by["MetaRAE"][k]["auroc"] for k in keys])
        b = np.array([cell_value(base, k)["auroc"] for k in keys])
        print(f"\n### MetaRAE vs the best tuned baseline ({base}), paired over {len(keys)} cells")
        print(f"MetaRAE {100 * a.mean():.2f}, {base} {100 * b.mean():.2f}, "
              f"difference {100 * (a - b).mean():+.2f}")
        if len(keys) > 1:
            t = stats.ttest_rel(a, b)
            print(f"paired t-test: t = {t.statistic:.3f}, p = {t.pvalue:.4g}")
        ea, eb, ratios = [], [], []
        for k in keys:
            for x, y in zip(by["MetaRAE"][k]["extra"]["episodes"],
                            cell_value(base, k)["extra"]["episodes"]):
                assert x["task"] == y["task"] and x["anomaly_ratio"] == y["anomaly_ratio"]
                ea.append(x["auroc"])
                eb.append(y["auroc"])
                ratios.append(x["anomaly_ratio"])
        ea, eb, ratios = map(np.array, (ea, eb, ratios))
        t = stats.ttest_rel(ea, eb)
        w = stats.wilcoxon(ea, eb)
        print(f"over {ea.size} episodes: paired t p = {t.pvalue:.4g}, Wilcoxon p = {w.pvalue:.4g}")
        print("\n### Per anomaly ratio of the support set (mean AUROC [%] over the episodes "
              "of the cells above)\n")
        shown = list(dict.fromkeys([base, *tuned.values()]))
        print("| a_r | MetaRAE | " + " | ".join(shown) + " |")
        print("|---" * (2 + len(shown)) + "|")
        for ar in sorted(set(ratios)):
            cols = []
            for fam_best in shown:
                vals = [y["auroc"] for k in keys if cell_value(fam_best, k) is not None
                        for y in cell_value(fam_best, k)["extra"]["episodes"]
                        if y["anomaly_ratio"] == ar]
                cols.append(f"{100 * np.mean(vals):.2f}" if vals else "-")
            print(f"| {ar} | {100 * ea[ratios == ar].mean():.2f} | " + " | ".join(cols) + " |")

    print("\n### Table 2: ablations (paired with MetaRAE over the cells both have)\n")
    print("| variant | mean AUROC | MetaRAE on the same cells | difference | paired t p | cells |")
    print("|---|---|---|---|---|---|")
    for m in by:
        if not (m.startswith("MetaRAE") and m != "MetaRAE") or "MetaRAE" not in by:
            continue
        keys = sorted(set(by[m]) & set(by["MetaRAE"]))
        if not keys:
            continue
        a = np.array([by[m][k]["auroc"] for k in keys])
        b = np.array([by["MetaRAE"][k]["auroc"] for k in keys])
        p = stats.ttest_rel(a, b).pvalue if len(keys) > 1 else float("nan")
        print(f"| {m} | {100 * a.mean():.2f} | {100 * b.mean():.2f} | {100 * (a - b).mean():+.2f} "
              f"| {p:.3g} | {len(keys)} |")

    print("\n### Table 3: seconds\n")
    print("| method | meta-training (fit) s | per episode s | meta-iterations run |")
    print("|---|---|---|---|")
    for m in names:
        rs = list(by[m].values())
        fit = np.mean([float(r["fit_seconds"]) for r in rs])
        per = np.mean([float(r["score_seconds"]) for r in rs])
        its = [r["extra"].get("n_iter") for r in rs if r["extra"].get("n_iter")]
        meta = _family(m) is None and m != "5-NN"
        print(f"| {m} | {fit:.1f} | {per:.4f} | {np.mean(its) if its else '-'} |"
              if meta else f"| {m} | - (per episode) | {per:.4f} | - |")


if __name__ == "__main__":
    main()
