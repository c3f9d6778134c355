"""
==========================================================
Deep SVDD: a hypersphere around the normal data
==========================================================

:class:`~skrobustad.DeepSVDD` maps the data with a bias-free network into a
small space and pulls every training representation towards a fixed centre
``c``; the anomaly score is the squared distance to ``c``. This example fits
it on a 2-D banana-shaped data set with 5% uniform contamination and draws the
decision function over the plane.
"""

# %%
# Contaminated 2-D data
# ---------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from skrobustad import DeepSVDD

rng = np.random.RandomState(0)
t = rng.uniform(-1.5, 1.5, size=600)
inliers = np.c_[t, t**2 + 0.15 * rng.normal(size=600)]
outliers = rng.uniform([-2.5, -1.5], [2.5, 3.5], size=(30, 2))
X = np.r_[inliers, outliers]
y = np.r_[np.zeros(600, int), np.ones(30, int)]
scaler = StandardScaler().fit(X)
X = scaler.transform(X)

# %%
# Fit
# ---
# The defaults follow the paper: bias-free layers, a small learning rate and
# a small weight decay. The centre is computed once, before training.
svdd = DeepSVDD(hidden_dims=(64, 16), max_epochs=100, lr=1e-3, random_state=0).fit(X)
print("centre c:", np.round(svdd.center_, 2))
print(f"training AUROC (transductive): {roc_auc_score(y, -svdd.score_samples(X)):.3f}")
print(f"loss: {svdd.loss_curve_[0]:.4f} (first epoch) -> {svdd.loss_curve_[-1]:.4f} (last)")

# %%
# Decision function over the plane
# --------------------------------
# Negative values (outside the solid contour) are predicted outliers, with
# ``offset_`` from the default ``contamination="auto"`` rule.
xx, yy = np.meshgrid(np.linspace(-3, 3, 150), np.linspace(-3, 3, 150))
grid = np.c_[xx.ravel(), yy.ravel()]
z = svdd.decision_function(grid).reshape(xx.shape)

fig, ax = plt.subplots(figsize=(6, 5))
levels = np.linspace(z.min(), z.max(), 15)
cs = ax.contourf(xx, yy, z, levels=levels, cmap="Blues")
ax.contour(xx, yy, z, levels=[0.0], colors="k")
ax.scatter(*X[y == 0].T, s=6, c="tab:green", label="inliers")
ax.scatter(*X[y == 1].T, s=14, c="tab:red", label="contamination")
fig.colorbar(cs, ax=ax, label="decision_function")
ax.legend(loc="upper center")
ax.set_title("DeepSVDD on contaminated 2-D data")
plt.tight_layout()
plt.show()
