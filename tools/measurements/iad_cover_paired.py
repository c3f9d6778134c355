"""IAD(DeepSVDD()) against its own round 0 on ``10_cover``: a paired comparison.

``IAD`` at its defaults (``random_state=None``) leaves the base's seed alone, so
its round 0 *is* ``DeepSVDD(random_state=seed)`` fitted on the same rows: the
difference chosen-round minus round 0 is the re-weighting's effect, free of
the initialisation noise (Deep SVDD's test AUROC spreads .84-.955 over model
seeds on one split). Raw features (the detector scales internally), 70/30
stratified split per seed, ``N`` stratified training rows.

Usage: ``python tools/measurements/iad_cover_paired.py N SEEDS ["{IAD kwargs}"]``,
e.g. ``python tools/measurements/iad_cover_paired.py 30000 0,1,2,3,4,5,6,7,8,9``.
"""
import ast
import os
import sys

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skrobustad import IAD, DeepSVDD
from skrobustad.datasets import get_data_home

torch.set_num_threads(1)
data = np.load(os.path.join(get_data_home(), "adbench", "Classical", "10_cover.npz"))
X, y = data["X"].astype(float), data["y"].astype(int)
n = int(sys.argv[1])
seeds = [int(s) for s in sys.argv[2].split(",")]
kwargs = ast.literal_eval(sys.argv[3]) if len(sys.argv) > 3 else {}

rows = []
for seed in seeds:
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    if n < len(X_train):
        keep = train_test_split(
            np.arange(len(X_train)), train_size=n, stratify=y_train, random_state=seed
        )[0]
        X_train = X_train[keep]
    iad = IAD(DeepSVDD(random_state=seed, device="cpu"), **kwargs).fit(X_train)
    base = roc_auc_score(y_test, -iad.round_estimators_[0].score_samples(X_test))
    chosen = roc_auc_score(y_test, -iad.score_samples(X_test))
    rows.append((base, chosen))
    print(f"n={n} seed={seed} DeepSVDD={base:.4f} IAD={chosen:.4f} "
          f"best_iter={iad.best_iter_}", flush=True)
rows = np.array(rows)
diff = rows[:, 1] - rows[:, 0]
print(f"mean n={n} {kwargs}: DeepSVDD={rows[:, 0].mean():.4f} IAD={rows[:, 1].mean():.4f} "
      f"diff={diff.mean():+.4f} (sd {diff.std(ddof=1):.4f}, {len(diff)} seeds, "
      f"IAD above on {(diff > 0).sum()})")
