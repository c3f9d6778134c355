"""Summaries of the adra suites' results in this folder (run from the repository root).

The CSVs were produced on a shared 2-core machine by skrobustad-bench (see the README beside).
"""
import pandas as pd


def load(suite, key):
    df = pd.read_csv(f"benchmarks/results/adra/{suite}.csv")
    df = df[df["error"].isna() | (df["error"].astype(str) == "")].copy()
    df["cls"] = df["config"].str.extract(rf'"{key}": (\d)').astype(int)
    return df


SUITES = (
    ("adra", "normal_class", "auroc"),
    ("adra-holdout", "held_out_class", "average_precision"),
)
for suite, key, metric in SUITES:
    df = load(suite, key)
    cov = df.groupby(["seed", "cls"])["method"].nunique().unstack()
    print(f"\n=== {suite} coverage (methods per seed x class)\n{cov.to_string()}")
    full = cov.index[(cov.notna().all(axis=1)) & (cov == cov.max().max()).all(axis=1)].tolist()
    sub = df[df["seed"].isin(full)]
    print(f"balanced subset: seeds {full} x 5 classes ({len(sub)} cells)")
    per_seed = sub.groupby(["method", "seed"])[metric].mean().unstack()
    t = pd.DataFrame({
        "mean": per_seed.mean(axis=1),
        "min_seed": per_seed.min(axis=1),
        "max_seed": per_seed.max(axis=1),
    })
    print(t.sort_values("mean", ascending=False).round(4).to_string())
    piv = sub.pivot_table(index=["seed", "cls"], columns="method", values=metric)
    ref = "ADRA-K2"
    for m in piv.columns:
        if m != ref:
            print(f"  {ref} > {m} in {(piv[ref] > piv[m]).sum()}/{len(piv)} cells")
    print("all cells (unbalanced):", df.groupby("method")[metric].mean().round(4).to_dict())

df = pd.read_csv("benchmarks/results/adra/adra-modes-58-secondary.csv")
df["ratio"] = df["config"].str.extract(r'"ratio": ([0-9.]+)').astype(float)
t = df.pivot_table(index="method", columns="ratio", values="auroc")
print("\n=== adra-modes-58-secondary (seed 0): AUROC of class 8 (secondary) vs 6, 7, 9")
print(t.round(4).to_string())
print("relative to ratio 1:\n" + t.div(t[1.0], axis=0).round(4).to_string())
