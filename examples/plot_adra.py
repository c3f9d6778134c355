"""
===============================================================
ADRA: residual adapters on a frozen pretrained network (digits)
===============================================================

:class:`~skrobustad.ADRA` keeps a pretrained network fixed and trains only
small residual corrections of its layers (and a linear head) with the
hypersphere classifier loss and outlier exposure. This example, a CPU-sized
version of the paper's setting:

1. pretrains a small residual CNN to classify the digits 0-4 (the
   "ImageNet" of this example);
2. detects the digits 5 and 9, each against the other digits 5-9, with
   the 0-4 images as the outlier-exposure corpus (none of them is a test
   anomaly);
3. plots what one more task costs to store (the paper's Fig. 3, left) and
   the AUROC against the number of experts ``K``.

The digits stay at 8x8, the network is tiny and the budgets are small so
that the example runs in seconds: its numbers are a demonstration, not a
measurement (one seed, two tasks, five epochs). The benchmark suite ``adra`` runs the
full protocol (16x16, every class, three seeds, the baselines).
"""

# %%
# Pretrain a residual CNN on the digits 0-4
# -----------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score

from skrobustad import ADRA
from skrobustad.nn import ResidualCNN, pretrain_classifier

X, digit = load_digits(return_X_y=True)
X = (X / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
auxiliary = digit < 5

torch.manual_seed(0)
backbone = ResidualCNN(1, channels=(8, 16))
pretrain_classifier(backbone, X[auxiliary], digit[auxiliary], max_epochs=3, random_state=0)
print(f"backbone: {sum(p.numel() for p in backbone.parameters())} parameters")

# %%
# One-vs-rest among 5-9, outlier exposure from 0-4
# ------------------------------------------------
# The training set of a task is 60% of its normal digit (``y_partial = 0``)
# followed by every 0-4 image (``y_partial = 1``): the exposure corpus is
# larger than the normal set, so ADRA balances every batch (half normal, half
# exposure) and does not warn about a majority of 1 labels.
rng = np.random.RandomState(0)
in_train = rng.uniform(size=len(X)) < 0.6
test = ~in_train & ~auxiliary


def task(normal):
    train = np.flatnonzero(in_train & (digit == normal))
    X_train = np.r_[X[train], X[auxiliary]]
    y_partial = np.r_[np.zeros(len(train)), np.ones(auxiliary.sum())]
    return X_train, y_partial, X[test], (digit[test] != normal).astype(int)


auroc = {1: [], 2: [], 4: []}
fitted = {}
for normal in (5, 9):
    X_train, y_partial, X_test, y_test = task(normal)
    for k, values in auroc.items():
        est = ADRA(backbone, n_experts=k, max_epochs=5, head_dim=8, random_state=0,
                   device="cpu").fit(X_train, y_partial=y_partial)
        values.append(roc_auc_score(y_test, -est.score_samples(X_test)))
        fitted[k] = est
for k, values in auroc.items():
    print(f"K={k}: mean AUROC (5, 9) {np.mean(values):.3f}  trainable parameters per task "
          f"{fitted[k].n_trainable_params_} "
          f"({fitted[k].n_trainable_params_ / fitted[k].n_backbone_params_:.0%} of the backbone)")

# %%
# What each task costs, and the AUROC against K
# ---------------------------------------------
# A fine-tuned detector stores a whole network per task; ADRA stores the
# backbone once and, per task, only the tensors of
# ``module_.adapter_state_dict()`` (adapters, gates, head).
n_tasks = np.arange(1, 11)
base = fitted[2].n_backbone_params_
per_task = fitted[2].n_trainable_params_

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
left.plot(n_tasks, n_tasks * (base + fitted[2].module_.head.weight.numel()), "o-",
          label="a fine-tuned copy per task")
left.plot(n_tasks, base + n_tasks * per_task, "s-", label="ADRA (K = 2): backbone + adapters")
left.set(xlabel="tasks", ylabel="parameters stored", title="Memory (paper's Fig. 3, left)")
left.legend()
ks = sorted(auroc)
right.errorbar(ks, [np.mean(auroc[k]) for k in ks], yerr=[np.std(auroc[k]) for k in ks],
               fmt="o-", capsize=3)
right.set(xlabel="experts K", ylabel="mean AUROC (normal 5, 9)", xticks=ks,
          title="AUROC against K")
fig.tight_layout()
plt.show()

# %%
# A torchvision ResNet as the backbone
# ------------------------------------
# With ``pip install "skrobustad[vision]"`` (torchvision), any pretrained
# model you load yourself can be the backbone: replace its classifier by
# ``Identity`` so that it returns pooled features, and feed ADRA images
# preprocessed as in pretraining (``scale=False``, the default). Nothing is
# downloaded by skrobustad; the weights below come from your torchvision
# cache::
#
#     import torchvision
#
#     resnet = torchvision.models.resnet18(weights="IMAGENET1K_V1")
#     resnet.fc = torch.nn.Identity()
#     detector = ADRA(resnet, n_experts=2, layers="conv", device="auto")
#     detector.fit(images, y_partial=y_partial)   # images: (n, 3, H, W), normalised
#
# ``layers="conv"`` adapts every convolution (the 1x1 downsampling ones
# included: their corrections cost as much as the layer itself).
