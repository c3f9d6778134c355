"""IAD around MAF: weights from the likelihood (paper, Eq. 8) or from -log p, on the ``iad`` suite.

    SKROBUSTAD_DATA_HOME=../shared/data python tools/measurements/iad_maf_scale.py OUT median
    SKROBUSTAD_DATA_HOME=../shared/data python tools/measurements/iad_maf_scale.py OUT tukey

21 datasets x 3 seeds; the base is the suite's MAF (20 epochs).
"""
import sys
from functools import partial

import pandas as pd

from skrobustad.benchmark import Method, register_method, run_benchmark
from skrobustad.benchmark._suite_iad import make_iad

out, beta = sys.argv[1], sys.argv[2]
names = []
for scale in ("likelihood", "score"):
    name = f"IAD-MAF (beta={beta}, weight_scale={scale})"
    register_method(Method(name, partial(make_iad, "MAF", beta=beta, weight_scale=scale)))
    names.append(name)
names.append("MAF (IAD base)")
run_benchmark("iad", methods=names, seeds=[0, 1, 2], out=out, n_jobs=1, plot=False)
df = pd.read_csv(f"{out}/iad.csv")
t = df.groupby(["method", "dataset"]).auroc.mean().unstack(0)
print(t.round(3).to_string())
print(df.groupby("method").auroc.mean().round(4).to_string())
for m in names[:2]:
    print(m, "above base on", int((t[m] > t["MAF (IAD base)"]).sum()), "/", len(t))
print(df.groupby("method").cpu_seconds.mean().round(2).to_string())
