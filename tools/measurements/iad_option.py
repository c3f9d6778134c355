"""One IAD option against the paper form and the base on the 21-dataset ``iad`` suite (3 seeds).

    SKROBUSTAD_DATA_HOME=../shared/data python tools/measurements/iad_beta.py OUT DeepSVDD beta tukey
    SKROBUSTAD_DATA_HOME=../shared/data python tools/measurements/iad_beta.py OUT DeepSVDD round_seeds new
"""
import sys
from functools import partial
import pandas as pd
from skrobustad.benchmark import Method, register_method, run_benchmark
from skrobustad.benchmark._suite_iad import make_iad
bases = sys.argv[2].split(",")
names = []
for base in bases:
    option, value = sys.argv[3], sys.argv[4]
    name = f"IAD-{base} ({option}={value})"
    register_method(Method(name, partial(make_iad, base, **{option: value})))
    names.append(name)
    names += [f"IAD-{base}", f"{base} (IAD base)"]
res = run_benchmark("iad", methods=names, seeds=[0, 1, 2], out=sys.argv[1], n_jobs=1, plot=False)
df = pd.read_csv(f"{sys.argv[1]}/iad.csv")
t = df.groupby(["method", "dataset"]).auroc.mean().unstack(0)
print(t.round(3).to_string())
print(df.groupby("method").auroc.mean().round(4).to_string())
for base in bases:
    b = t[f"{base} (IAD base)"]
    for m in t.columns:
        if m.startswith("IAD"):
            print(m, "above base on", int((t[m] > b).sum()), "/", len(b))
print(df.groupby("method").cpu_seconds.mean().round(2).to_string())
