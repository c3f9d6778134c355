"""ADRA and the from-scratch HSC ("SAD") with changed budgets or pretraining, on adra-ovr.

Usage::

    python tools/measurements/adra_variants.py SEEDS [--pretrain E,C,S,D] VARIANT...

``SEEDS``: comma-separated seeds (each one split and one pretrained backbone).
A ``VARIANT`` is a method (``ADRA``, ``SAD``, ``TF``, ``kNN``) followed by
``:name=value`` overrides of the suite's HSC settings (``K`` is ADRA's
``n_experts``, default 1), e.g. ``ADRA:lr=0.03:max_steps=200:max_epochs=50``.
``--pretrain EPOCHS,COPIES,SHIFT,DEGREES`` replaces the suite's pretraining
(10 epochs, no augmentation) by ``EPOCHS`` epochs on the 0-4 images plus ``COPIES`` randomly shifted
(up to ``SHIFT`` of 16 pixels), rotated (up to ``DEGREES``) and rescaled
(up to 10%) copies of them. Prints one line per variant: the mean AUROC over
the seeds x the classes 5-9, then each cell's AUROC.
"""

import ast
import functools
import sys
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score

from skrobustad.benchmark import _suite_adra as suite
from skrobustad.detectors import ADRA
from skrobustad.nn import ResidualCNN, pretrain_classifier


def _augmented(images, copies, shift, degrees, seed):
    """``images`` and ``copies`` random affine transforms of them (torch, bilinear)."""
    generator = torch.Generator().manual_seed(seed)
    out = [images]
    n = len(images)
    for _ in range(copies):
        angle = (torch.rand(n, generator=generator) * 2 - 1) * degrees * np.pi / 180
        offset = (torch.rand(n, 2, generator=generator) * 2 - 1) * shift / 8
        scale = 1 + (torch.rand(n, generator=generator) * 2 - 1) * 0.1
        theta = torch.zeros(n, 2, 3)
        theta[:, 0, 0] = theta[:, 1, 1] = torch.cos(angle) * scale
        theta[:, 0, 1] = -torch.sin(angle) * scale
        theta[:, 1, 0] = torch.sin(angle) * scale
        theta[:, :, 2] = offset
        grid = torch.nn.functional.affine_grid(theta, images.shape, align_corners=False)
        out.append(torch.nn.functional.grid_sample(images, grid, align_corners=False))
    return torch.cat(out)


def use_pretraining(epochs, copies, shift, degrees):
    @functools.lru_cache(maxsize=8)
    def state(seed):
        digits = load_digits()
        keep = np.isin(digits.target, suite.EXPOSURE_CLASSES)
        images = torch.as_tensor(suite.upsample_digits(digits.data[keep]))
        X = _augmented(images, copies, shift, degrees, seed).numpy()
        y = np.tile(digits.target[keep], copies + 1)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = ResidualCNN(1, suite.CHANNELS)
        pretrain_classifier(net, X, y, max_epochs=epochs, batch_size=64, lr=1e-3,
                            random_state=seed)
        return {k: v.clone() for k, v in net.state_dict().items()}

    suite._pretrained_state = state


def make(variant, seed):
    name, *overrides = variant.split(":")
    params = dict(suite.HSC_PARAMS)
    for item in overrides:
        key, value = item.split("=")
        params[key] = ast.literal_eval(value)
    if name == "ADRA":
        k = params.pop("K", 1)
        return suite._Task(ADRA(suite.pretrained_backbone(seed), n_experts=k,
                                random_state=seed, **params))
    if name == "SAD":
        return suite._Task(suite._FullTraining(suite._scratch_backbone, bn_stats="task",
                                               random_state=seed, **params))
    if name == "TF":
        return suite._Task(suite._FullTraining(suite.pretrained_backbone(seed),
                                               bn_stats="frozen", random_state=seed, **params))
    if name == "kNN":
        return suite._knn(seed)
    raise ValueError(f"unknown method {name!r}")


def main(argv):
    torch.set_num_threads(1)
    seeds = [int(s) for s in argv[0].split(",")]
    variants = argv[1:]
    if variants and variants[0] == "--pretrain":
        epochs, copies, shift, degrees = (float(v) for v in variants[1].split(","))
        use_pretraining(int(epochs), int(copies), shift, degrees)
        variants = variants[2:]
    digits = load_digits()
    for variant in variants:
        aucs, start = [], time.time()
        for seed in seeds:
            for c in suite.TEST_CLASSES:
                split = suite.adra_ovr_split(digits.data, digits.target, random_state=seed,
                                             normal_class=c)
                est = make(variant, seed).fit(split.X_train, y_partial=split.y_partial_train)
                aucs.append(roc_auc_score(split.y_test, -est.score_samples(split.X_test)))
        print(f"{variant:45s} mean {np.mean(aucs):.4f}  cells "
              + " ".join(f"{a:.3f}" for a in aucs) + f"  {time.time() - start:.0f} s",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
