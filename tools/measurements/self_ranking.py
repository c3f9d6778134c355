"""How well a base detector's own scores find the anomalies in its training data.

IAD's weights are a function of the base's anomaly scores on its own training
part, so they can single out the training anomalies only as well as those
scores rank them. This script fits each base at its defaults on the
``contamination`` suite's training parts (same splits: seed = random_state,
features standardised on the training part) and reports, per base and
contamination level, averaged over the datasets and seeds:

- ``test``: the base's test AUROC (the suite's cell for the base);
- ``train``: the AUROC of the base's scores on its own training part against
  the training labels -- the ranking IAD's round-0 weights are made from;
- ``w_anom`` / ``w_norm``: the mean IAD round-0 weight (Tukey's fence, the
  default ``beta``) of the training anomalies and of the training normals;
- ``fenced_anom`` / ``fenced_norm``: the share of each beyond the fence.

The clean training part (0%) is the ceiling of any re-weighting: a weight of 0
on every training anomaly trains on normals only.

Usage (from the repository root, ``SKROBUSTAD_DATA_HOME`` set)::

    python tools/measurements/self_ranking.py OUT.csv \\
        AutoEncoder,DeepSVDD,MAF,IsolationForest [SEEDS]

Writes one CSV row per (base, dataset, level, seed) and prints the summary.
"""

import csv
import os
import sys

import numpy as np
import torch
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

FIELDS = ["base", "dataset", "level", "seed", "test", "train", "w_anom", "w_norm",
          "fenced_anom", "fenced_norm"]


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
            for level, (X_train, y_train) in zip(CONTAMINATION_LEVELS, train):
                scaler = StandardScaler().fit(X_train)
                A, B = scaler.transform(X_train), scaler.transform(X_test)
                for base in bases:
                    if (base, name, str(level), str(seed)) in done:
                        continue
                    # IAD at its defaults stopped after round 0: the base itself
                    # and the weights round 1 would be trained with
                    iad = IAD(_BASES[base](seed), max_iter=0).fit(A)
                    s_train = -iad.round_scores_[0]
                    s_test = -np.asarray(iad.estimator_.score_samples(B), dtype=float)
                    w = iad.sample_weight_
                    anom = y_train == 1
                    fenced = w < 0.5  # the weight is 0.5 at the fence, less beyond it
                    row = [base, name, level, seed, roc_auc_score(y_test, s_test)]
                    if anom.any():
                        row += [roc_auc_score(y_train, s_train), w[anom].mean(),
                                w[~anom].mean(), fenced[anom].mean(), fenced[~anom].mean()]
                    else:
                        row += ["", "", w.mean(), "", fenced.mean()]
                    with open(out, "a", newline="") as f:
                        csv.writer(f).writerow(row)
    summarize(out)


def summarize(out):
    import pandas as pd

    df = pd.read_csv(out)
    cols = ["test", "train", "w_anom", "w_norm", "fenced_anom", "fenced_norm"]
    table = df.groupby(["base", "level"])[cols].mean().round(3)
    table["n"] = df.groupby(["base", "level"]).size()
    print(table.to_markdown())


if __name__ == "__main__":
    seeds = [int(s) for s in sys.argv[3].split(",")] if len(sys.argv) > 3 else [0, 1, 2]
    main(sys.argv[1], sys.argv[2].split(","), seeds)
