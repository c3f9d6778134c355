"""One detector variant on the ``unsupervised``, ``scale`` or ``contamination`` suite (3 seeds).

    # the suite's settings plus the variant's parameters, beside the suite's method
    python tools/measurements/suite_variant.py unsupervised OUT DeepSVDD "dict(batch_norm=True)"
    python tools/measurements/suite_variant.py unsupervised OUT RobustAE "dict(batch_norm=True, dropout=0.2)"
    # the defaults plus the variant's parameters, at 3,000 rows (OUT3k) and on all rows (OUTfull)
    python tools/measurements/suite_variant.py scale OUT RobustAE "dict(batch_norm=True, dropout=0.2)" 10_cover,32_shuttle
    # the defaults plus the variant's parameters on the contamination suite (3 seeds, every
    # level), minus AutoEncoder() of benchmarks/results/contamination, beside the default's
    python tools/measurements/suite_variant.py contamination OUT RobustAE "dict(activate_code=True)"

Set ``SKROBUSTAD_DATA_HOME=../shared/data`` and run from the repository root.
"""
import sys
from functools import partial

import pandas as pd

import skrobustad
from skrobustad.benchmark import Method, register_method, run_benchmark
from skrobustad.benchmark._suite_core import DEEP_PARAMS, _ours

suite, out, cls, kwargs = sys.argv[1], sys.argv[2], sys.argv[3], eval(sys.argv[4])
datasets = sys.argv[5].split(",") if len(sys.argv) > 5 else None
name = f"{cls} {kwargs}"
if suite == "unsupervised":  # the suite's settings plus the variant's
    register_method(Method(name, partial(_ours, cls, **{**DEEP_PARAMS[cls], **kwargs})))
else:  # the defaults plus the variant's
    register_method(Method(name, lambda rs: getattr(skrobustad, cls)(random_state=rs, **kwargs)))
if suite == "unsupervised":
    run_benchmark(suite, methods=[name, cls], datasets=datasets, seeds=[0, 1, 2], out=out,
                  n_jobs=1, plot=False)
    df = pd.read_csv(f"{out}/{suite}.csv")
    t = df.groupby(["method", "dataset"]).auroc.mean().unstack(0)
    print(t.round(3).to_string())
    print(df.groupby("method").auroc.mean().round(4).to_string())
    print(name, "above", cls, "on", int((t[name] > t[cls]).sum()), "/", len(t))
elif suite == "contamination":
    run_benchmark(suite, methods=[name], datasets=datasets, out=out, n_jobs=1, plot=False)
    df = pd.concat([pd.read_csv("benchmarks/results/contamination/contamination.csv"),
                    pd.read_csv(f"{out}/{suite}.csv")])
    df = df[df.error.isna()]
    m = df.groupby(["method", "dataset", "train_contamination"]).auroc.mean()
    for meth in [f"{cls}()", name]:
        diff = (m[meth] - m["AutoEncoder()"]).dropna().reset_index()
        print(meth, "minus AutoEncoder():", " | ".join(
            f"{level:.2f}: {g.auroc.mean():+.4f} ({(g.auroc > 0).sum()}/{len(g)} above)"
            for level, g in diff.groupby("train_contamination")))
else:
    for cap, where in ((3000, out + "3k"), (None, out + "full")):
        run_benchmark(suite, methods=[name], datasets=datasets, seeds=[0, 1, 2], out=where,
                      n_jobs=1, plot=False, protocol_kwargs={"max_train_samples": cap})
        df = pd.read_csv(f"{where}/{suite}.csv")
        print(cap, df.groupby("dataset").auroc.mean().round(3).to_string())
