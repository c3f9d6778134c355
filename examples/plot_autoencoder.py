"""
==========================================================
AutoEncoder: reconstruction error as an anomaly score
==========================================================

:class:`~skrobustad.AutoEncoder` learns to reconstruct its training data
through a narrow code; samples it reconstructs badly are anomalies. This
example trains it on scikit-learn's 8x8 digits: the zeros are the normal
class and the training part is contaminated with 5% other digits, given
without labels. The test part holds unseen zeros and unseen other digits.
"""

# %%
# Data: zeros, contaminated with a few other digits
# -------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score

from skrobustad import AutoEncoder

X, digit = load_digits(return_X_y=True)
X = X / 16.0  # pixels in [0, 1]
rng = np.random.RandomState(0)
zeros, others = np.flatnonzero(digit == 0), np.flatnonzero(digit != 0)
rng.shuffle(zeros)
rng.shuffle(others)
n_train = len(zeros) // 2
n_contaminated = int(0.05 * n_train / 0.95)
train = np.r_[zeros[:n_train], others[:n_contaminated]]
test = np.r_[zeros[n_train:], others[n_contaminated:n_contaminated + 100]]
y_test = (digit[test] != 0).astype(int)  # 1 = anomaly
print(f"training: {n_train} zeros + {n_contaminated} other digits (unlabeled)")

# %%
# Fit and score
# -------------
# ``score_samples`` is higher for more normal samples (scikit-learn's
# convention); its negation is the mean squared reconstruction error.
ae = AutoEncoder(hidden_dims=(32, 8), max_epochs=60, random_state=0).fit(X[train])
error = -ae.score_samples(X[test])
print(f"test AUROC: {roc_auc_score(y_test, error):.3f}")
flagged = ae.predict(X[test]) == -1
print(f"flagged by predict: {flagged[y_test == 0].mean():.0%} of the test zeros, "
      f"{flagged[y_test == 1].mean():.0%} of the other test digits")

# %%
# Reconstructions and error distribution
# --------------------------------------
# The zeros are reconstructed well; other digits are pulled towards a zero.
shown = np.r_[test[:4], test[y_test == 1][:4]]
with torch.no_grad():
    x = torch.as_tensor(X[shown], dtype=torch.float32)
    recon = ae.module_(x.to(ae.device_)).cpu().numpy()

fig, axes = plt.subplots(3, 4, figsize=(8, 6))
for k in range(4):
    axes[0, k].imshow(X[shown[k]].reshape(8, 8), cmap="gray_r")
    axes[1, k].imshow(X[shown[4 + k]].reshape(8, 8), cmap="gray_r")
    axes[2, k].imshow(recon[4 + k].reshape(8, 8), cmap="gray_r")
for ax in axes[:2].ravel():
    ax.set_axis_off()
for ax in axes[2]:
    ax.set_axis_off()
axes[0, 0].set_title("test zeros", loc="left")
axes[1, 0].set_title("test anomalies", loc="left")
axes[2, 0].set_title("their reconstructions", loc="left")
plt.tight_layout()

fig, ax = plt.subplots(figsize=(6, 3.5))
bins = np.linspace(0, error.max(), 40)
ax.hist(error[y_test == 0], bins=bins, alpha=0.6, label="zeros")
ax.hist(error[y_test == 1], bins=bins, alpha=0.6, label="other digits")
ax.axvline(-ae.offset_, color="k", ls="--", label="threshold (offset_)")
ax.set_xlabel("reconstruction error")
ax.legend()
plt.tight_layout()
plt.show()
