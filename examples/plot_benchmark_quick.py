"""
===========================================================
Benchmarking detectors side by side with PyOD (quick suite)
===========================================================

``skrobustad-bench run --suite quick`` is the package's main job in one
command: detectors trained on **contaminated** data. scikit-learn's digits,
breast cancer and wine data are turned into anomaly tasks; each gets a fixed
test part and training parts of one size at exactly 5% and 20%
contamination, and every method (ours and PyOD's) is fitted on the same
standardised training part, without labels (AESAD, the semi-supervised
method, is given 3 labeled anomalies). This example runs part of the same
suite from Python with :func:`~skrobustad.benchmark.run_benchmark`, then
builds the protocol by hand from its generator.
"""

# %%
# Run the suite
# -------------
# Two of the three datasets; an autoencoder, IAD around the same
# autoencoder, and two PyOD baselines; one seed. With ``out=...`` every finished cell is appended to
# ``<out>/quick.csv`` at once, and a rerun only computes the missing cells.
import tempfile

import matplotlib.pyplot as plt

from skrobustad.benchmark import run_benchmark

out = tempfile.mkdtemp()
result = run_benchmark(
    "quick",
    datasets=["breast_cancer", "wine"],
    methods=["AutoEncoder", "IAD(AutoEncoder)", "pyod.IForest", "pyod.ECOD"],
    seeds=[0],
    out=out,
)
print(result.to_markdown())

# %%
# Every cell is one row
# ---------------------
# AUROC and average precision on the test part (1 = anomaly), fit and score
# seconds, and the size and contamination of the training part.
for row in result.rows[:8]:
    print(
        f"{row['dataset']:<24} {row['method']:<18} AUROC {row['auroc']:.3f} "
        f"fit {row['fit_seconds']:.2f} s, n_train {row['n_train']}, "
        f"train contamination {row['train_contamination']:.3f}"
    )

# %%
# The plot written next to the CSV
# --------------------------------
# AUROC against the training contamination, one line per method (dashed:
# PyOD's), a panel per dataset and one for the mean.
image = plt.imread(result.paths["plot"])
fig, ax = plt.subplots(figsize=(12, 3))
ax.imshow(image)
ax.set_axis_off()
plt.show()

# %%
# The protocol is one generator call
# ----------------------------------
# :func:`~skrobustad.datasets.make_contamination_levels` draws one test part
# and one training part per level, all of one size, so that only the
# contamination changes; :func:`~skrobustad.datasets.mask_labels` labels a
# few training anomalies for the methods that use labels.
from sklearn.metrics import roc_auc_score

from skrobustad import IAD, AutoEncoder
from skrobustad.datasets import load_breast_cancer_anomaly, make_contamination_levels

X, y = load_breast_cancer_anomaly(contamination=None, return_X_y=True)
X_test, y_test, train = make_contamination_levels(X, y, levels=(0.05, 0.2), random_state=0)
for level, (X_train, y_train) in zip((0.05, 0.2), train):
    base = AutoEncoder(hidden_dims=(64, 32), max_epochs=50, random_state=0)
    for detector in (base, IAD(base)):
        detector.fit(X_train)
        auroc = roc_auc_score(y_test, -detector.score_samples(X_test))
        print(
            f"{level:.0%}: {len(y_train)} training samples, {int(y_train.sum())} anomalies; "
            f"{type(detector).__name__:<11} test AUROC {auroc:.3f}"
        )
