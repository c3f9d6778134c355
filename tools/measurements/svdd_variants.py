"""Deep SVDD variants on the 21-dataset ``unsupervised`` suite (3 seeds, batch 64, 50 epochs).

    SKROBUSTAD_DATA_HOME=../shared/data python tools/measurements/svdd_variants.py OUT \
        svdd.old,svdd.steps1000,svdd.steps500
"""
import sys
import pandas as pd
from skrobustad import DeepSVDD
from skrobustad.benchmark import Method, register_method, run_benchmark

VARIANTS = {
    "svdd.old": dict(scale=False),
    "svdd.scale": dict(),
    "svdd.steps1000": dict(max_steps=1000),
    "svdd.steps500": dict(max_steps=500),
    "svdd.steps250": dict(max_steps=250),
    "svdd.shift3": dict(input_shift=3.0),
    "svdd.shift3.steps1000": dict(input_shift=3.0, max_steps=1000),
    "svdd.shift1.steps1000": dict(input_shift=1.0, max_steps=1000),
}
names = sys.argv[2].split(",") if len(sys.argv) > 2 else list(VARIANTS)
for name in names:
    kw = VARIANTS[name]
    register_method(Method(name=name, make=lambda rs, kw=kw: DeepSVDD(
        hidden_dims=(64, 32), max_epochs=50, batch_size=64, lr=1e-4, random_state=rs, **kw)))
res = run_benchmark("unsupervised", methods=names, seeds=[0, 1, 2], out=sys.argv[1], n_jobs=1, plot=False)
df = pd.read_csv(f"{sys.argv[1]}/unsupervised.csv")
print(df.groupby(["method", "dataset"]).auroc.mean().unstack(0).round(3).to_string())
print(df.groupby("method").auroc.mean().round(4))
