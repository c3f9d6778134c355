"""
===========================================================
Benchmarking detectors side by side with PyOD (quick suite)
===========================================================

``skrobustad-bench run --suite quick`` is the package's main job in one
command. This example runs part of the same suite from Python with
:func:`~skrobustad.benchmark.run_benchmark`: scikit-learn's digits, breast
cancer and wine data turned into anomaly tasks, split 70/30 with the training
part left contaminated and unlabeled, and every method (ours and PyOD's)
fitted on the same standardised split. It then builds the semi-supervised
protocol by hand from the two generators every suite is made of.
"""

# %%
# Run the suite
# -------------
# Two of our detectors and two PyOD baselines, one seed. With ``out=...``
# every finished cell would be appended to ``<out>/quick.csv`` at once, and a
# rerun would only compute the missing cells.
import tempfile

import matplotlib.pyplot as plt
import numpy as np

from skrobustad.benchmark import run_benchmark

out = tempfile.mkdtemp()
result = run_benchmark(
    "quick",
    methods=["AutoEncoder", "DeepSVDD", "pyod.IForest", "pyod.ECOD"],
    seeds=[0],
    out=out,
)
print(result.to_markdown())

# %%
# Every cell is one row
# ---------------------
# AUROC and average precision on the test part (1 = anomaly), fit and score
# seconds, and the size and contamination of the training part.
for row in result.rows[:4]:
    print(
        f"{row['dataset']:<24} {row['method']:<14} AUROC {row['auroc']:.3f} "
        f"fit {row['fit_seconds']:.2f} s, n_train {row['n_train']}, "
        f"train contamination {row['train_contamination']:.3f}"
    )

# %%
# The plot written next to the CSV
# --------------------------------
# Per-dataset AUROC of every method, and the mean rank over datasets.
image = plt.imread(result.paths["plot"])
fig, ax = plt.subplots(figsize=(9, 5))
ax.imshow(image)
ax.set_axis_off()
plt.show()

# %%
# The protocols are two generator calls
# -------------------------------------
# :func:`~skrobustad.datasets.make_contaminated_split` gives the
# unsupervised protocol (here with the training contamination resampled to
# exactly 5%), and :func:`~skrobustad.datasets.mask_labels` turns it into the
# semi-supervised one: 20% of the training anomalies and as many normals keep
# their label, everything else is unlabeled (``-1``).
from skrobustad import AutoEncoder
from skrobustad.datasets import (
    load_breast_cancer_anomaly,
    make_contaminated_split,
    mask_labels,
)

X, y = load_breast_cancer_anomaly(contamination=None, return_X_y=True)
X_train, X_test, y_train, y_test = make_contaminated_split(X, y, contamination=0.05, random_state=0)
y_partial = mask_labels(y_train, labeled_anomalies=0.2, random_state=0)
print(
    f"training part: {len(y_train)} samples, {int(y_train.sum())} anomalies; "
    f"labeled: {int((y_partial == 1).sum())} anomalies, "
    f"{int((y_partial == 0).sum())} normals"
)

mean, std = X_train.mean(axis=0), X_train.std(axis=0)
detector = AutoEncoder(hidden_dims=(16, 4), max_epochs=50, random_state=0)
detector.fit((X_train - mean) / std, y_partial=y_partial)
scores = -detector.score_samples((X_test - mean) / std)
print(
    f"mean anomaly score: anomalies {np.mean(scores[y_test == 1]):.2f}, "
    f"normals {np.mean(scores[y_test == 0]):.2f}"
)
