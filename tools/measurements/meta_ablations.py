"""MetaRAE variants beside IsolationForest on the rotated-digits episodes, paired by cell.

Usage::

    python tools/measurements/meta_ablations.py BASE_PARAMS [SPLITS] [LABEL_RATIOS]

``BASE_PARAMS`` is a dict literal added to the ``meta`` suite's MetaRAE
settings (e.g. ``"{'lambda_init': 0.1}"``; ``random_state`` defaults to 0);
``SPLITS`` (default ``0,1,2,3,4``) and ``LABEL_RATIOS`` (default
``0.1,0.2,0.3``) are the suite's cells. Each cell meta-trains the full model
and Table 2's w/o A, w/o Initial and w/o Iter, adapts them to the 50 target
episodes and scores their test points; IsolationForest (100 trees) is fitted
on every support set. Printed: one line per cell, then per method the mean
AUROC, the mean paired difference to the full model and to IsolationForest
with paired t-test p-values, the cells won against IsolationForest, the mean
by support anomaly ratio, and the share of non-zero entries of ``A`` on the
support sets.
"""

import ast
import sys

import numpy as np
import torch
from scipy import stats
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from skrobustad.benchmark._suite_meta import METARAE_PARAMS
from skrobustad.datasets import make_rotated_digits_tasks
from skrobustad.meta import MetaRAE

VARIANTS = {
    "full": {},
    "w/o A": {"attributes": False},
    "w/o Initial": {"initial_attributes": "zero"},
    "w/o Iter": {"iterate": False},
}


def main(base, splits, label_ratios):
    torch.set_num_threads(1)
    cells = {name: [] for name in [*VARIANTS, "IForest"]}
    by_ratio = {name: {} for name in cells}
    nonzero = {name: [] for name in VARIANTS}
    for split in splits:
        for l_r in label_ratios:
            tasks = make_rotated_digits_tasks(l_r=l_r, random_state=split)
            for name, params in VARIANTS.items():
                meta = MetaRAE(**{"random_state": 0, **METARAE_PARAMS, **base, **params})
                meta.fit(tasks.X_source, y_partial=tasks.y_partial_source,
                         validation_tasks=tasks.X_validation,
                         validation_y_partial=tasks.y_partial_validation)
                aucs = []
                for episode in tasks.target:
                    detector = meta.adapt(episode["X_support"])
                    auc = roc_auc_score(episode["y_test"],
                                        -detector.score_samples(episode["X_test"]))
                    aucs.append(auc)
                    by_ratio[name].setdefault(episode["anomaly_ratio"], []).append(auc)
                    nonzero[name].append(float((detector.anomalous_attributes_ != 0).mean()))
                cells[name].append(np.mean(aucs))
            aucs = []
            for episode in tasks.target:
                forest = IsolationForest(n_estimators=100, random_state=0)
                forest.fit(episode["X_support"])
                auc = roc_auc_score(episode["y_test"], -forest.score_samples(episode["X_test"]))
                aucs.append(auc)
                by_ratio["IForest"].setdefault(episode["anomaly_ratio"], []).append(auc)
            cells["IForest"].append(np.mean(aucs))
            print(split, l_r, " ".join(f"{k} {v[-1]:.4f}" for k, v in cells.items()), flush=True)
    full, forest = np.array(cells["full"]), np.array(cells["IForest"])
    for name, values in cells.items():
        values = np.array(values)
        line = f"{name:12s} mean {100 * values.mean():.2f}"
        if name != "full":
            line += (f"  full minus it {100 * (full - values).mean():+.2f}"
                     f" (p {stats.ttest_rel(full, values).pvalue:.3f})")
        if name != "IForest":
            line += (f"  minus IForest {100 * (values - forest).mean():+.2f}"
                     f" (p {stats.ttest_rel(values, forest).pvalue:.4f},"
                     f" {(values > forest).sum()}/{len(values)} cells)")
            line += f"  A non-zero {np.mean(nonzero[name]):.3f}"
        ratios = by_ratio[name]
        line += "  by a_r " + " ".join(f"{100 * np.mean(ratios[r]):.2f}" for r in sorted(ratios))
        print(line)


def cli_args(argv):
    """``(BASE_PARAMS, SPLITS, LABEL_RATIOS)`` from ``sys.argv``, with the defaults."""
    base = ast.literal_eval(argv[1]) if len(argv) > 1 else {}
    splits = [int(s) for s in (argv[2] if len(argv) > 2 else "0,1,2,3,4").split(",")]
    label_ratios = [float(s) for s in (argv[3] if len(argv) > 3 else "0.1,0.2,0.3").split(",")]
    return base, splits, label_ratios


if __name__ == "__main__":
    main(*cli_args(sys.argv))
