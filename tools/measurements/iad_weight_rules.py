"""IAD's one-round weight rules, and round ensembles, on the ``contamination`` suite.

Fits each base once per cell of the ``contamination`` suite (same splits as
``self_ranking.py``), then one re-weighted round per weight rule, trained
with IAD's own weights (``IAD._weights_from`` at the rule's ``beta`` and
``tau``), and reports the test AUROC of:

- ``base``: round 0, the base itself;
- ``<beta>/<tau>``: the re-weighted round alone (``IAD(base, max_iter=1,
  beta=..., tau=...)``: same seed, same weights);
- ``avg(<rule>)``: the average of round 0's and that round's anomaly scores,
  each shifted and scaled to median 1 on the training part (the scaling of
  IAD's ensemble);
- ``avg(seed)``: the same average of the base and the base refitted with
  another seed, unweighted: what averaging two fits gains without any
  re-weighting (the control of the ``avg`` rows).

Usage (from the repository root, ``SKROBUSTAD_DATA_HOME`` set)::

    python tools/measurements/iad_weight_rules.py OUT.csv AutoEncoder [SEEDS]

Writes one CSV row per (base, dataset, level, seed, variant), resumes from
OUT.csv, and prints the mean AUROC minus the base's per level.
"""

import csv
import os
import sys

import numpy as np
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from skrobustad.benchmark._suite_contamination import (
    _BASES,
    CONTAMINATION_LEVELS,
    CONTAMINATION_TRAIN_SAMPLES,
    TEST_SIZE,
    contamination_datasets,
)
from skrobustad.datasets import load_adbench, make_contamination_levels
from skrobustad.wrappers import IAD

FIELDS = ["base", "dataset", "level", "seed", "variant", "auroc"]
RULES = {"median/0.25": ("median", 0.25), "median/0.5": ("median", 0.5),
         "q0.25/0.25": (0.25, 0.25), "tukey/0.25": ("tukey", 0.25)}
AVERAGED = ("median/0.25", "tukey/0.25")


def _median_scaled(train_anomaly, test_anomaly):
    shift = min(train_anomaly.min(), 0.0)
    scale = np.median(train_anomaly - shift)
    return (test_anomaly - shift) / (scale if scale > 0 else 1.0)


def _cell(base, seed, A, B, y_test):
    iad = IAD(_BASES[base](seed), max_iter=0).fit(A)
    anomaly = -iad.round_scores_[0]
    fits = {"base": (iad.estimator_, anomaly)}
    for name, (beta, tau) in RULES.items():
        w = iad.set_params(beta=beta, tau=tau)._weights_from(anomaly, None)
        est = clone(iad.estimator_).fit(A, sample_weight=w)
        fits[name] = (est, -np.asarray(est.score_samples(A), dtype=float))
    other = clone(iad.estimator_).set_params(random_state=seed + 7919).fit(A)
    fits["seed"] = (other, -np.asarray(other.score_samples(A), dtype=float))
    test = {k: -np.asarray(est.score_samples(B), dtype=float) for k, (est, _) in fits.items()}
    rows = {k: roc_auc_score(y_test, s) for k, s in test.items() if k != "seed"}
    base_scaled = _median_scaled(fits["base"][1], test["base"])
    for k in (*AVERAGED, "seed"):
        mixed = base_scaled + _median_scaled(fits[k][1], test[k])
        rows[f"avg({k})"] = roc_auc_score(y_test, mixed)
    return rows


def main(out, bases, seeds):
    torch.set_num_threads(1)
    data_home = os.environ["SKROBUSTAD_DATA_HOME"]
    done = set()
    if os.path.exists(out):
        with open(out) as f:
            done = {(r["base"], r["dataset"], r["level"], r["seed"]) for r in csv.DictReader(f)}
    else:
        with open(out, "w", newline="") as f:
            csv.writer(f).writerow(FIELDS)
    for name in contamination_datasets(data_home):
        X, y = load_adbench(name, data_home=data_home, return_X_y=True)
        for seed in seeds:
            X_test, y_test, train = make_contamination_levels(
                X, y, levels=CONTAMINATION_LEVELS, test_size=TEST_SIZE,
                max_train_samples=CONTAMINATION_TRAIN_SAMPLES, random_state=seed,
            )
            for level, (X_train, _) in zip(CONTAMINATION_LEVELS, train):
                scaler = StandardScaler().fit(X_train)
                A, B = scaler.transform(X_train), scaler.transform(X_test)
                for base in bases:
                    if (base, name, str(level), str(seed)) in done:
                        continue
                    rows = _cell(base, seed, A, B, y_test)
                    with open(out, "a", newline="") as f:
                        w = csv.writer(f)
                        for variant, auc in rows.items():
                            w.writerow([base, name, level, seed, variant, auc])
    summarize(out)


def summarize(out):
    import pandas as pd

    df = pd.read_csv(out)
    wide = df.pivot_table(index=["base", "dataset", "level", "seed"], columns="variant",
                          values="auroc")
    gain = wide.sub(wide["base"], axis=0).drop(columns="base")
    table = gain.groupby(["base", "level"]).mean().round(4).T
    print(table.to_markdown())
    above = (gain.groupby(["base", "dataset", "level"]).mean() > 0).groupby(
        ["base", "level"]).sum().T
    print(above.to_markdown())


if __name__ == "__main__":
    seeds = [int(s) for s in sys.argv[3].split(",")] if len(sys.argv) > 3 else [0, 1, 2]
    main(sys.argv[1], sys.argv[2].split(","), seeds)
