"""
=====================================================
AE-SAD: reconstructing known anomalies badly (digits)
=====================================================

:class:`~skrobustad.AESAD` trains an autoencoder to reconstruct normal
samples and to map a few *labeled* anomalies to their "negative"
``F(x) = 1 - x``. The anomaly score is the plain reconstruction error, so the
labeled kind of anomaly scores high, and so do many anomalies of kinds never
seen in training, whose reconstruction becomes confused.

This example redoes the paper's Fig. 1 and Fig. 2 on scikit-learn's 8x8
digits: digit 8 is normal; 10 training images of each of the digits 1, 3, 5
and 9 are labeled anomalies ("seen" classes); 0, 2, 4, 6 and 7 never appear
in training ("unseen"). The baseline is :class:`~skrobustad.AutoEncoder`
with the same architecture trained on the normal digits only.
"""

# %%
# Data: normal 8s, a few labeled 1/3/5/9s, a test set of every digit
# -------------------------------------------------------------------
# Pixels are divided by 16, their maximum, so images are already in
# ``[0, 1]`` and AE-SAD's own per-feature min-max scaling is switched off
# (``scale=False``): ``1 - x`` is then the negative image.
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score

from skrobustad import AESAD, AutoEncoder

NORMAL, SEEN, UNSEEN = 8, (1, 3, 5, 9), (0, 2, 4, 6, 7)

X, digit = load_digits(return_X_y=True)
X = X / 16.0
rng = np.random.RandomState(0)
in_train = rng.uniform(size=len(X)) < 0.6

normal_train = np.flatnonzero(in_train & (digit == NORMAL))
labeled = np.concatenate(
    [rng.choice(np.flatnonzero(in_train & (digit == c)), 10, replace=False) for c in SEEN]
)
train = np.r_[normal_train, labeled]
X_train = X[train]
y_partial = np.r_[np.zeros(normal_train.size, int), np.ones(labeled.size, int)]
test = np.flatnonzero(~in_train)
X_test, digit_test = X[test], digit[test]
print(f"training: {normal_train.size} normal 8s + {labeled.size} labeled anomalies")
print(f"test: {test.size} digits, {np.sum(digit_test == NORMAL)} of them 8s")

# %%
# Fit AE-SAD and the autoencoder baseline
# ---------------------------------------
# Same dense architecture (two encoder layers, a 32-d code) and training
# budget. The autoencoder leaves the labeled anomalies out of training, as
# it should; AE-SAD uses them.
params = dict(
    hidden_dims=(64, 32), batch_norm=False, dropout=0.0, max_epochs=300, batch_size=32,
    random_state=0,
)
aesad = AESAD(scale=False, **params).fit(X_train, y_partial=y_partial)
ae = AutoEncoder(activate_code=False, **params).fit(X_train, y_partial=y_partial)
print(f"AE-SAD's lambda (weight of one labeled anomaly): {aesad.anomaly_weight_:.2f}")

# %%
# Fig. 1: reconstructions
# -----------------------
# Normal 8s are reconstructed well by both models. AE-SAD reconstructs the
# seen anomaly classes as (roughly) their negative image, and unseen digits
# either as a negative too (4, 7) or as a blurred, 8-like shape (0, 2). The
# autoencoder reconstructs every digit as a blurred digit, anomalies with
# errors only somewhat larger than the 8s' (and the 1s hardly larger).
groups = [
    ("normal (8)", np.flatnonzero(digit_test == NORMAL)[:4]),
    ("seen (1, 3, 5, 9)", [np.flatnonzero(digit_test == c)[0] for c in SEEN]),
    ("unseen (0, 2, 4, 7)", [np.flatnonzero(digit_test == c)[0] for c in (0, 2, 4, 7)]),
]


def ae_reconstruct(images):
    """The autoencoder's output (its fitted ``module_`` is a torch module)."""
    with torch.no_grad():
        return ae.module_(torch.as_tensor(images, dtype=torch.float32)).numpy()


rows = [("input", lambda images: images), ("AE", ae_reconstruct), ("AE-SAD", aesad.reconstruct)]
fig, axes = plt.subplots(3, 12, figsize=(12, 3.6))
for g, (title, idx) in enumerate(groups):
    images = X_test[idx]
    for r, (label, reconstruct) in enumerate(rows):
        out = np.clip(reconstruct(images), 0, 1)
        for k in range(4):
            ax = axes[r, 4 * g + k]
            ax.imshow(out[k].reshape(8, 8), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if k == 0 and g == 0:
                ax.set_ylabel(label)
    axes[0, 4 * g].set_title(title, loc="left", fontsize=9)
fig.suptitle("Test digits and their reconstructions")
fig.tight_layout()

# %%
# Fig. 2: reconstruction error per class
# --------------------------------------
# Both models score on the same scale (mean squared error per pixel). AE-SAD
# multiplies the error of the seen classes by an order of magnitude or more
# (note the log scale), and that of the unseen 4s and 7s, which it
# reconstructs in reverse too; the normal 8s stay low.
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
for ax, (name, model) in zip(axes, [("AE", ae), ("AE-SAD", aesad)]):
    errors = -model.score_samples(X_test)
    ax.boxplot([errors[digit_test == c] for c in range(10)], showfliers=False)
    ax.set_xticks(range(1, 11), [str(c) for c in range(10)])
    ax.set_yscale("log")
    ax.set_title(name)
    ax.set_xlabel("digit (8 normal; 1, 3, 5, 9 seen)")
axes[0].set_ylabel("reconstruction error")
fig.tight_layout()

# %%
# Table 1: AUC of each anomalous class against the normal 8s
# ----------------------------------------------------------
# The seen classes gain most (digit 1, which a plain autoencoder reconstructs
# almost as well as an 8, is separated). On these small 8x8 digits the plain
# autoencoder already separates the unseen digits almost perfectly, and
# AE-SAD's "confused" reconstructions of some of them (0, 2, 6 are partly
# reconstructed like an 8) cost a little there: the paper's MNIST result,
# where unseen classes gain too, does not carry over to every dataset. A few
# labeled anomalies help most against the kind of anomaly they show.
print(f"{'digit':>6} {'kind':>7} {'AE':>6} {'AE-SAD':>7}")
scores = {name: -model.score_samples(X_test) for name, model in [("AE", ae), ("AE-SAD", aesad)]}
for c in SEEN + UNSEEN:
    mask = np.isin(digit_test, (NORMAL, c))
    y = digit_test[mask] == c
    auc = {name: roc_auc_score(y, s[mask]) for name, s in scores.items()}
    kind = "seen" if c in SEEN else "unseen"
    print(f"{c:>6} {kind:>7} {auc['AE']:6.3f} {auc['AE-SAD']:7.3f}")
y = digit_test != NORMAL
print(
    f"{'all':>6} {'':>7} {roc_auc_score(y, scores['AE']):6.3f} "
    f"{roc_auc_score(y, scores['AE-SAD']):7.3f}"
)
plt.show()
