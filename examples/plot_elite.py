"""
========================================================
ELITE: pseudo labels for polluted training data (digits)
========================================================

:class:`~skrobustad.ELITE` uses a few labeled samples as a *validation set*:
for every training sample, the meta-gradient ``M`` of the validation loss
says whether training on it as a normal sample would raise (``M > 0``: a
likely anomaly) or lower the validation loss, and by how much. This example
redoes two figures of the paper on scikit-learn's 8x8 digits (digit 3 normal,
the other digits anomalies, 10 labeled normals and 10 labeled anomalies):

- Fig. 7c: the distribution of ``y_hat * |M|`` for the true normals and the
  true anomalies hidden in the training set (the paper's sign: positive =
  normal);
- Fig. 3: the test AUROC against the pollution ``r_p`` of the unlabeled
  training set, beside Deep SVDD (no labels) and Deep SAD (the labels as
  training data).
"""

# %%
# The polluted training set at r_p = 0.5
# --------------------------------------
# The ``elite`` benchmark's protocol: 70% of the 3s for training, 30% of
# every class for testing, unlabeled anomalies up to ``r_p`` of the
# unlabeled training set.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score

from skrobustad import ELITE, DeepSAD, DeepSVDD
from skrobustad.benchmark._runner import load_dataset
from skrobustad.benchmark._suite_elite import elite_digits

X, digit = load_dataset("embedded:digits-classes")


def task(pollution, seed=0):
    return elite_digits(X, digit, random_state=seed, normal_class=3, pollution=pollution)


split = task(0.5)
# the true labels of the training rows, for the plot only (ELITE never sees them):
# the protocol keeps them out of the split, so recover them from the digits
digit_of = {row.tobytes(): d for row, d in zip(X, digit)}
train_is_anomaly = np.array([digit_of[row.tobytes()] != 3 for row in split.X_train])

params = {"max_epochs": 40, "random_state": 0, "device": "cpu"}
elite = ELITE(**params).fit(split.X_train, y_partial=split.y_partial_train)
truth = train_is_anomaly[elite.training_rows_]

# %%
# ``y_hat * |M|`` of the training samples (paper Fig. 7c)
# -------------------------------------------------------
# ``meta_gradients_`` is ``M`` at each row's last step; the paper's
# ``y_hat * |M|`` (``y_hat = +1`` normal) is ``-M``. Hidden anomalies come
# out negative, normals mostly positive.
signed = -elite.meta_gradients_
fig, ax = plt.subplots(figsize=(6, 3.5))
bins = np.linspace(np.percentile(signed, 1), np.percentile(signed, 99), 40)
ax.hist(signed[~truth], bins=bins, alpha=0.6, label="true normals")
ax.hist(signed[truth], bins=bins, alpha=0.6, label="true anomalies (unlabeled)")
ax.axvline(0, color="k", lw=0.8)
ax.set_xlabel(r"$\hat y \cdot |M|$ (last epoch)")
ax.set_ylabel("training samples")
ax.legend()
print(f"hidden anomalies pseudo-labelled anomalous: {elite.pseudo_labels_[truth].mean():.0%}; "
      f"normals: {elite.pseudo_labels_[~truth].mean():.0%}")
ax.set_title(f"pseudo labels: {elite.pseudo_labels_[truth].mean():.0%} of the hidden "
             f"anomalies, {elite.pseudo_labels_[~truth].mean():.0%} of the normals")
fig.tight_layout()

# %%
# AUROC against the pollution (paper Fig. 3)
# ------------------------------------------
# One seed and one normal class here (the ``elite`` benchmark suite runs 10
# classes x 5 levels x 3 seeds).
levels = (0.1, 0.5)
methods = {
    "ELITE (svdd)": lambda: ELITE(**params),
    "DeepSAD": lambda: DeepSAD(batch_size=128, **params),
    "DeepSVDD": lambda: DeepSVDD(batch_size=128, **params),
}
auroc = {name: [] for name in methods}
for rp in levels:
    s = task(rp)
    for name, make in methods.items():
        labels = None if name == "DeepSVDD" else s.y_partial_train
        model = make().fit(s.X_train, y_partial=labels)
        auroc[name].append(roc_auc_score(s.y_test, -model.score_samples(s.X_test)))

for name, values in auroc.items():
    print(name, " ".join(f"r_p={rp}: {v:.3f}" for rp, v in zip(levels, values)))

fig, ax = plt.subplots(figsize=(6, 3.5))
for name, values in auroc.items():
    ax.plot(levels, values, marker="o", label=name)
ax.set_xlabel("pollution $r_p$ of the unlabeled training set")
ax.set_ylabel("test AUROC")
ax.legend()
fig.tight_layout()
plt.show()
