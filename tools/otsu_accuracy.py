"""Accuracy of IAD's contamination estimate (Otsu's threshold) on the ADBench tabular files.

    SKROBUSTAD_DATA_HOME=../shared/data python tools/otsu_accuracy.py

IsolationForest scores of each whole dataset (at most 20,000 rows, drawn
with seed 0); prints the true and estimated contamination and the errors
quoted in :func:`skrobustad.wrappers.otsu_contamination`'s docstring.
"""
import glob
import os

import numpy as np
from sklearn.ensemble import IsolationForest

from skrobustad.datasets import get_data_home
from skrobustad.wrappers import otsu_contamination

rows = []
root = os.path.join(get_data_home(), "adbench", "Classical")
for f in sorted(glob.glob(os.path.join(root, "*.npz"))):
    d = np.load(f)
    X, y = d["X"].astype(float), d["y"].astype(int)
    if len(X) > 20000:
        idx = np.random.RandomState(0).choice(len(X), 20000, replace=False)
        X, y = X[idx], y[idx]
    s = -IsolationForest(random_state=0).fit(X).score_samples(X)
    est = otsu_contamination(s)
    rows.append((os.path.basename(f)[:-4], y.mean(), est))
    print(f"{rows[-1][0]:<20} true {y.mean():.3f} otsu {est:.3f}")
t = np.array([r[1] for r in rows])
e = np.array([r[2] for r in rows])
within = int(np.sum((e / t > 0.5) & (e / t < 2)))
print(f"mean abs error {np.abs(e - t).mean():.3f}; median ratio est/true {np.median(e / t):.2f}; "
      f"within a factor 2: {within}/{len(t)}")
