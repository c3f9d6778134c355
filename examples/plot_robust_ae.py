"""
===================================================================
RobustAE: separating corrupted attributes from the normal structure
===================================================================

:class:`~skrobustad.RobustAE` splits the training data as ``X = L + S``:
an autoencoder reconstructs ``L`` and the sparse ``S`` (its
``anomalous_attributes_``) absorbs the entries the autoencoder should not
learn. Here 10% of the training rows have two attributes grossly corrupted.
A plain :class:`~skrobustad.AutoEncoder` with the same network and epochs
spends its capacity on those entries; RobustAE finds them and models the
clean structure, so it also detects subtler anomalies in new data better.
"""

# %%
# Data near a 2-D manifold, with corrupted attributes
# ---------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score

from skrobustad import AutoEncoder, RobustAE


def corrupted_manifold(n, seed, magnitude, fraction=0.1, n_features=12):
    rng = np.random.RandomState(seed)
    W = np.random.RandomState(1000).normal(size=(2, n_features))
    X = np.tanh(rng.normal(size=(n, 2)) @ W) + 0.05 * rng.normal(size=(n, n_features))
    mask = np.zeros(X.shape, dtype=bool)
    n_bad = int(fraction * n)
    for i in range(n_bad):
        cols = rng.choice(n_features, 2, replace=False)
        mask[i, cols] = True
        X[i, cols] += rng.choice([-1.0, 1.0], 2) * magnitude
    return X, (np.arange(n) < n_bad).astype(int), mask


X, y, mask = corrupted_manifold(400, seed=0, magnitude=20.0)
X_test, y_test, _ = corrupted_manifold(400, seed=1, magnitude=1.0)

# %%
# Fit both detectors with the same network and budget
# ---------------------------------------------------
params = dict(hidden_dims=(32, 4), max_epochs=30, random_state=0)
ae = AutoEncoder(**params).fit(X)
rae = RobustAE(alpha=1.0, n_outer_iter=10, **params).fit(X)
for name, est in [("AutoEncoder", ae), ("RobustAE", rae)]:
    print(f"{name:12s} test AUROC {roc_auc_score(y_test, -est.score_samples(X_test)):.3f}")

S = rae.anomalous_attributes_
found = S != 0
print(f"S: {found.mean():.1%} of the entries non-zero; "
      f"recall of the corrupted entries {found[mask].mean():.1%}, "
      f"precision {mask[found].mean():.1%}")

# %%
# The learned anomalous attributes
# --------------------------------
# The first 40 rows are the corrupted ones. ``S`` is non-zero almost exactly
# on the planted entries.
fig, axes = plt.subplots(1, 2, figsize=(8, 4), sharey=True)
axes[0].imshow(mask[:100], aspect="auto", cmap="Greys", interpolation="nearest")
axes[0].set_title("planted corruption")
axes[1].imshow(np.abs(S[:100]), aspect="auto", cmap="Greys", interpolation="nearest")
axes[1].set_title("|anomalous_attributes_|")
for ax in axes:
    ax.set_xlabel("feature")
axes[0].set_ylabel("training row")
plt.tight_layout()

# %%
# Sparsity is set by ``alpha``
# ----------------------------
# An entry moves into ``S`` when its residual exceeds ``alpha / 2``: a larger
# ``alpha`` gives a sparser ``S``.
alphas = [0.25, 1.0, 4.0]
density = [
    np.mean(RobustAE(alpha=a, **params).fit(X).anomalous_attributes_ != 0) for a in alphas
]
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.semilogx(alphas, density, "o-")
ax.axhline(mask.mean(), color="k", ls="--", label="planted fraction")
ax.set_xlabel("alpha")
ax.set_ylabel("fraction of non-zero entries in S")
ax.legend()
plt.tight_layout()
plt.show()
