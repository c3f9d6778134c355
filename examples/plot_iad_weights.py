"""
==========================================================
IAD: how the importance weights separate the contamination
==========================================================

:class:`~skrobustad.IAD` fits a detector several times on the same
contaminated data. After each round every training sample gets an importance
weight ``w = 1 / (1 + exp(alpha * (s - beta)))`` from its anomaly score
``s`` (``beta`` the median score), and the next round trains with those
weights. Likely anomalies teach the next model less, so their scores grow,
so their weights shrink: a self-enforcing loop. IAD keeps the round whose
ranking moved least across the median, the termination value ``h``.

This example redoes the paper's Fig. 5a on data scikit-learn ships: the
8x8 digits with digit 0 normal and 20% of the samples drawn from the other
digits, with :class:`~skrobustad.DeepSVDD` as the base detector. The labels
are only used to draw the plots; IAD never sees them.
"""

# %%
# A contaminated training set
# ---------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from skrobustad import IAD
from skrobustad.datasets import load_digits_anomaly
from skrobustad.detectors import DeepSVDD

X, y = load_digits_anomaly(normal_class=0, contamination=0.2, return_X_y=True)
X = StandardScaler().fit_transform(X)
print(f"{len(X)} samples, {y.sum()} of them anomalies ({y.mean():.0%})")

# %%
# Fit IAD around Deep SVDD
# ------------------------
# The paper's setting: 15 re-weighted rounds after the plain round 0,
# temperature ``1 / tau = 4``, ``beta`` the median score, each round trained
# from scratch, and the round with the smallest ``h`` kept
# (``selection="min_h"``). IAD's defaults instead average one re-weighted
# round with round 0 (``max_iter=1, selection="average"``), which needs no
# selected round.
base = DeepSVDD(hidden_dims=(32, 16, 8), max_epochs=30, batch_size=32, device="cpu")
iad = IAD(base, max_iter=15, beta="median", selection="min_h", random_state=0).fit(X)
print(f"selected round: {iad.best_iter_} of {iad.n_iter_ - 1}")
print(f"estimated contamination: {iad.contamination_:.2f} (true {y.mean():.2f})")

# %%
# Weights of true normals and true anomalies over the rounds (Fig. 5a)
# --------------------------------------------------------------------
# ``round_weights_[t]`` are the weights round ``t`` was trained with (all 1
# in round 0). The anomalies' weights fall towards 0 round after round while
# the normals' stay near the middle of (0, 1): half of the samples are
# always above the median score.
rounds = np.arange(iad.n_iter_)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
groups = [("true normals", y == 0, "tab:blue"), ("true anomalies", y == 1, "tab:red")]
for label, mask, color in groups:
    w = iad.round_weights_[:, mask]
    axes[0].plot(rounds, w.mean(axis=1), color=color, label=f"{label} (mean)")
    axes[0].plot(rounds, np.median(w, axis=1), color=color, ls="--", label=f"{label} (median)")
axes[0].set(xlabel="round", ylabel="importance weight", title="Weights over rounds")
axes[0].legend(fontsize=8)

# %%
# The termination value h and what the labels say about each round
# ----------------------------------------------------------------
# ``h(t)`` counts the samples whose rank crossed the median between rounds
# ``t - 1`` and ``t``; IAD returns the round with the smallest ``h``. The
# AUROC of each round (computed here with the labels IAD does not have)
# shows what that choice is worth against the best round in hindsight.
auroc = [roc_auc_score(y, -s) for s in iad.round_scores_]
axes[1].plot(rounds[1:], iad.termination_values_[1:], marker="o")
axes[1].axvline(iad.best_iter_, color="k", ls=":", label="selected round")
axes[1].set(xlabel="round", ylabel="h (median crossings)", title="Termination value")
axes[1].legend(fontsize=8)
axes[2].plot(rounds, auroc, marker="o", color="tab:green")
axes[2].axvline(iad.best_iter_, color="k", ls=":")
axes[2].set(xlabel="round", ylabel="AUROC on the training data", title="Detection quality")
fig.tight_layout()
print(f"AUROC: round 0 (plain Deep SVDD) {auroc[0]:.3f}, selected round "
      f"{auroc[iad.best_iter_]:.3f}, best round {max(auroc):.3f}")

# %%
# Final weights
# -------------
# ``sample_weight_`` holds the weights computed from the selected round:
# IAD's own view of how normal each training sample is.
fig, ax = plt.subplots(figsize=(6, 3.4))
bins = np.linspace(0, 1, 26)
ax.hist(iad.sample_weight_[y == 0], bins=bins, alpha=0.6, label="true normals")
ax.hist(iad.sample_weight_[y == 1], bins=bins, alpha=0.6, color="tab:red", label="true anomalies")
ax.set(xlabel="importance weight (sample_weight_)", ylabel="samples")
ax.legend()
fig.tight_layout()
plt.show()
