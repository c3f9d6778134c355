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

    # best grid point per family
    tuned = {}
    for fam in FAMILIES:
        members = [m for m in by if _family(m) == fam]
        if members:
            best = max(members, key=lambda m: np.mean([r["auroc"] for r in by[m].values()]))
            tuned[fam] = best
    print(f"cells (seed, l_r) with meta-learners: {len(meta_cells)}")
    print("\n### Table 1: mean AUROC [%] over the cells (baselines at their best grid point)\n")
    print("| method | mean AUROC | cells |")
    print("|---|---|---|")
    table = {}
    names = [m for m in by if _family(m) is None] + [tuned[f] for f in tuned]
    for m in names:
        rs = series(m, meta_cells) if meta_cells else list(by[m].values())
        if rs is None:
            rs = list(by[m].values())
        table[m] = rs
        print(f"| {m} | {100 * np.mean([r['auroc'] for r in rs]):.2f} | {len(rs)} |")
    for fam, best in tuned.items():
        grid = ", ".join(f"{m}: {100 * np.mean([r['auroc'] for r in by[m].values()]):.2f}"
                         for m in by if _family(m) == fam)
        print(f"\n{fam} grid (mean over its cells): {grid}")

    if "MetaRAE" in by and tuned:
        keys = [k for k in meta_cells if k in by["MetaRAE"]]
        best_fam = max(tuned, key=lambda f: np.mean([cell_value(tuned[f], k)["auroc"]
                                                     for k in keys]))
        base = tuned[best_fam]
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
        print("\n### Per anomaly ratio of the support set (mean AUROC [%] over the episodes)\n")
        print("| a_r | MetaRAE | " + " | ".join(tuned.values()) + " |")
        print("|---" * (2 + len(tuned)) + "|")
        for ar in sorted(set(ratios)):
            cols = []
            for fam_best in tuned.values():
                vals = [y["auroc"] for k in keys
                        for y in cell_value(fam_best, k)["extra"]["episodes"]
                        if y["anomaly_ratio"] == ar]
                cols.append(f"{100 * np.mean(vals):.2f}")
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
