"""ADRA's benchmarks: a CPU transfer protocol on scikit-learn's digits.

The paper (Deecke et al. 2020) pretrains a ResNet-26 on downsized ImageNet,
then detects anomalies on CIFAR-10 with outlier exposure from CIFAR-100
(disjoint from every test class). Here, at CPU scale:

- images: scikit-learn's 8x8 digits, upsampled (bilinear) to 16x16, in
  ``[0, 1]``;
- pretraining: :class:`~skrobustad.nn.ResidualCNN` ``(16, 32, 64)`` (74,352
  parameters, seven 3x3 convolutions) trained as
  a classifier of the digits 0-4 (all of their images; 10 epochs, Adam),
  once per seed and process (:func:`pretrained_backbone`, cached), never
  downloaded;
- outlier exposure: the 0-4 images, labeled ``y_partial = 1``; no test
  image is a 0-4 (the test classes are 5-9), as no CIFAR-10 test image is
  a CIFAR-100 class.

Protocols
---------
``adra-ovr``
    One-vs-rest among 5-9: the training set holds 60% of the normal class
    (labeled 0) and the exposure corpus; the test set the other 40% of every
    class of 5-9 (the other four classes anomalous). The suite sweeps the
    normal class.
``adra-holdout``
    Hold-one-out: four of 5-9 normal (60% in training), the fifth anomalous
    (its held-out 40% only in the test set, with the other 40% of the four); scored by
    average precision in the paper (Table 2). The suite sweeps the held-out
    class.
``adra-modes``
    The paper's "small modes" (Fig. 2): the normal class is a pair
    ``(a, b)``; the training set holds 60% of ``a`` and a fraction ``ratio``
    of 60% of ``b``; the test set holds the held-out images of ``b``
    (``evaluate="secondary"``) or of ``a`` (``"primary"``) as normals and
    those of the other classes of 5-9 as anomalies. The suites sweep
    ``ratio``; the relative AUROC is each ratio's over ``ratio = 1``.

The rows are flat (256 features): the methods reshape them to ``(n, 1, 16,
16)`` images where they need images. Every method is given the split's labels
(``uses_labels=True``); the unsupervised ones (UADRA, kNN-AD, DeepSVDD,
IForest) drop the exposure rows, so that they train on the normals only.

Methods
-------
``ADRA-K1``, ``ADRA-K2``, ``ADRA-K4``, ``UADRA`` (``K = 2``, no exposure),
``SAD`` (the same architecture trained from scratch with HSC + outlier
exposure: the paper's "SAD" row), ``TF`` (every parameter of the pretrained
network fine-tuned with HSC + exposure), ``L2-SP`` (TF with the penalty
``alpha / 2 * ||w - w_0||^2`` towards the pretrained weights, ``alpha =
1e-2`` as in the paper), ``kNN-AD`` (mean distance to the 2 nearest training
normals in the frozen backbone's features, Bergman et al. 2020), and on the
flat pixels ``DeepSVDD`` and ``IForest`` (scikit-learn's).
All HSC methods share the optimiser (SGD, momentum 0.9, weight decay 1e-4,
lr 0.01 decayed by 10 after 2/3 and 5/6 of the epochs; batches of 32 normal
and 32 exposure rows; 20 epochs, at most 80 steps: 20 epochs one-vs-rest,
6 hold-one-out) and the head (8 outputs): a CPU budget, set so that the two
suites' 225 cells ran in about an hour on a shared 2-core machine.
"""

import functools
import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

from ..detectors import ADRA
from ..nn import ResidualCNN, pretrain_classifier
from ..utils._scores import OffsetOutlierMixin
from ..utils._validation import LABEL_ANOMALY, LABEL_NORMAL
from ._registry import Method, Split, Suite, register_method, register_protocol, register_suite

#: Image side after upsampling.
SIZE = 16
#: Channels of the pretrained residual CNN's stages.
CHANNELS = (16, 32, 64)
#: The auxiliary classes: pretraining and outlier exposure.
EXPOSURE_CLASSES = (0, 1, 2, 3, 4)
#: The detection classes.
TEST_CLASSES = (5, 6, 7, 8, 9)
#: Training settings shared by every HSC method of the suites.
HSC_PARAMS = {"max_epochs": 20, "max_steps": 80, "batch_size": 64, "lr": 0.01, "head_dim": 8,
              "device": "cpu"}
#: Epochs of the classifier pretraining.
PRETRAIN_EPOCHS = 10


def upsample_digits(X, size=SIZE):
    """8x8 digit rows (values 0-16) -> ``(n, 1, size, size)`` images in [0, 1]."""
    images = torch.as_tensor(np.asarray(X, dtype=np.float32).reshape(-1, 1, 8, 8) / 16.0)
    out = torch.nn.functional.interpolate(images, size=(size, size), mode="bilinear",
                                          align_corners=False)
    return out.clamp(0.0, 1.0).numpy()


@functools.lru_cache(maxsize=8)
def _pretrained_state(seed):
    from sklearn.datasets import load_digits

    digits = load_digits()
    keep = np.isin(digits.target, EXPOSURE_CLASSES)
    X = upsample_digits(digits.data[keep])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = ResidualCNN(1, CHANNELS)
    pretrain_classifier(net, X, digits.target[keep], max_epochs=PRETRAIN_EPOCHS,
                        batch_size=64, lr=1e-3, random_state=seed)
    return {k: v.clone() for k, v in net.state_dict().items()}


def pretrained_backbone(seed=0):
    """The suite's backbone: a ResidualCNN pretrained to classify the digits 0-4.

    Pretrained once per seed and process (cached); each call returns a new
    module holding those weights, in evaluation mode.
    """
    net = ResidualCNN(1, CHANNELS)
    net.load_state_dict(_pretrained_state(int(seed)))
    return net.eval()


def _scratch_backbone(input_shape):
    """A new, randomly initialised ResidualCNN (the "SAD" row's network)."""
    return ResidualCNN(input_shape[0], CHANNELS)


# --------------------------------------------------------------------- protocols


def _split_classes(y, classes, train_fraction, rng):
    """Per class: (train indices, test indices), a random ``train_fraction`` split."""
    out = {}
    for c in classes:
        idx = rng.permutation(np.flatnonzero(y == c))
        n_train = round(train_fraction * len(idx))
        out[c] = (idx[:n_train], idx[n_train:])
    return out


def _split(X, y, train_normals, test_normals, test_anomalies, exposure, info):
    X_img = upsample_digits(X).reshape(len(X), -1)
    train = np.r_[train_normals, exposure]
    y_partial = np.r_[np.full(len(train_normals), LABEL_NORMAL),
                      np.full(len(exposure), LABEL_ANOMALY)]
    test = np.r_[test_normals, test_anomalies]
    y_test = np.r_[np.zeros(len(test_normals), int), np.ones(len(test_anomalies), int)]
    info = {**info, "n_normal_train": len(train_normals), "n_exposure": len(exposure)}
    return Split(X_img[train], y_partial, X_img[test], y_test, info=info)


def _check_digits(y):
    if not set(EXPOSURE_CLASSES + TEST_CLASSES) <= set(np.unique(y).tolist()):
        raise ValueError("the adra protocols need digit class labels 0-9 as y "
                         "(dataset embedded:digits-classes).")


def adra_ovr_split(X, y, *, random_state, normal_class=5, train_fraction=0.6):
    """One-vs-rest among the digits 5-9 with outlier exposure from 0-4."""
    _check_digits(y)
    rng = np.random.RandomState(random_state)
    parts = _split_classes(y, TEST_CLASSES, train_fraction, rng)
    anomalies = np.concatenate([parts[c][1] for c in TEST_CLASSES if c != normal_class])
    return _split(X, y, parts[normal_class][0], parts[normal_class][1], anomalies,
                  np.flatnonzero(np.isin(y, EXPOSURE_CLASSES)), {"normal_class": normal_class})


def adra_holdout_split(X, y, *, random_state, held_out_class=5, train_fraction=0.6):
    """Hold-one-out among 5-9: four classes normal, ``held_out_class`` anomalous."""
    _check_digits(y)
    rng = np.random.RandomState(random_state)
    parts = _split_classes(y, TEST_CLASSES, train_fraction, rng)
    normal = [c for c in TEST_CLASSES if c != held_out_class]
    return _split(
        X, y,
        np.concatenate([parts[c][0] for c in normal]),
        np.concatenate([parts[c][1] for c in normal]),
        parts[held_out_class][1],
        np.flatnonzero(np.isin(y, EXPOSURE_CLASSES)),
        {"held_out_class": held_out_class},
    )


def adra_modes_split(X, y, *, random_state, pair=(5, 8), ratio=1.0, evaluate="secondary",
                     train_fraction=0.6):
    """The "small modes" experiment: normal = ``a`` plus a ``ratio`` of ``b``."""
    _check_digits(y)
    a, b = pair
    if evaluate not in ("primary", "secondary"):
        raise ValueError(f"evaluate must be 'primary' or 'secondary', got {evaluate!r}.")
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1], got {ratio}.")
    rng = np.random.RandomState(random_state)
    parts = _split_classes(y, TEST_CLASSES, train_fraction, rng)
    n_b = max(1, round(ratio * len(parts[b][0])))
    train_normals = np.r_[parts[a][0], parts[b][0][:n_b]]
    test_normals = parts[b][1] if evaluate == "secondary" else parts[a][1]
    anomalies = np.concatenate([parts[c][1] for c in TEST_CLASSES if c not in pair])
    return _split(X, y, train_normals, test_normals, anomalies,
                  np.flatnonzero(np.isin(y, EXPOSURE_CLASSES)),
                  {"pair": list(pair), "ratio": ratio, "evaluate": evaluate})


register_protocol("adra-ovr", adra_ovr_split)
register_protocol("adra-holdout", adra_holdout_split)
register_protocol("adra-modes", adra_modes_split)


# ----------------------------------------------------------------------- methods


class _FullTraining(ADRA):
    """HSC + outlier exposure training *every* parameter (TF, L2-SP, SAD rows).

    The network is the backbone (pretrained, or a factory's new one) plus
    ADRA's head, without adapters; batch norm keeps the pretrained
    statistics (``bn_stats="frozen"``) or, from scratch, re-estimates them
    (``"task"``, running average). ``l2sp`` adds ``l2sp / 2 * ||w - w_0||^2``
    over the backbone's weights ``w`` (L2-SP, Li et al. 2018).
    """

    def __init__(self, backbone, *, l2sp=0.0, bn_stats="frozen", head_dim=16, max_epochs=30,
                 max_steps=None, batch_size=64, lr=0.01, weight_decay=1e-4, random_state=None,
                 device="cpu"):
        super().__init__(backbone, head_dim=head_dim, bn_stats=bn_stats, max_epochs=max_epochs,
                         max_steps=max_steps, batch_size=batch_size, lr=lr,
                         weight_decay=weight_decay, random_state=random_state, device=device)
        self.l2sp = l2sp

    _parameter_constraints = {
        k: v for k, v in ADRA._parameter_constraints.items()
        if k in ("backbone", "bn_stats", "head_dim", "max_epochs", "max_steps", "batch_size",
                 "lr", "weight_decay", "random_state", "device")
    }
    _parameter_constraints["l2sp"] = [numbers.Real]

    def _build_module(self, n_features):
        from ..nn import AdaptedNetwork

        backbone = self._new_backbone()
        backbone.eval()
        with torch.no_grad():
            n_out = backbone(torch.zeros((2, *self.input_shape_))).flatten(1).shape[1]
        head = torch.nn.Linear(n_out, self.head_dim, bias=not self.unsupervised_)
        module = AdaptedNetwork(backbone, head, self.head_dim, bn_stats=self.bn_stats)
        if self.bn_stats == "task":
            for m in backbone.modules():
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    m.momentum = 0.1
        self.adapted_layers_ = []
        self.n_backbone_params_ = sum(p.numel() for p in backbone.parameters())
        self.n_trainable_params_ = sum(p.numel() for p in module.parameters())
        return module

    def _module_loss(self, module):
        if not self.l2sp:
            return self._loss
        params = [p for p in module.backbone.parameters()]
        reference = [p.detach().clone() for p in params]

        def loss(output, batch):
            penalty = sum((p - r).pow(2).sum() for p, r in zip(params, reference, strict=True))
            return self._loss(output, batch) + 0.5 * self.l2sp * penalty

        return loss


class _KNNFeatures(OffsetOutlierMixin, BaseEstimator):
    """kNN-AD: mean distance to the ``k`` nearest training rows in frozen features."""

    def __init__(self, backbone, k=2):
        self.backbone = backbone
        self.k = k

    def _features(self, X):
        with torch.no_grad():
            return self.backbone.eval()(torch.as_tensor(X, dtype=torch.float32)).numpy()

    def fit(self, X, y=None):
        self.nn_ = NearestNeighbors(n_neighbors=min(self.k, len(X))).fit(self._features(X))
        self.offset_ = 0.0
        return self

    def score_samples(self, X):
        check_is_fitted(self)
        distances, _ = self.nn_.kneighbors(self._features(X))
        return -distances.mean(axis=1)


class _Task(OffsetOutlierMixin, BaseEstimator):
    """Give a detector the suite's rows as it needs them.

    Parameters
    ----------
    estimator : outlier detector
    exposure : bool
        Pass the exposure rows (``y_partial == 1``) with their labels;
        otherwise drop them and fit on the normals alone, without labels.
    images : bool
        Reshape the flat rows to ``(n, 1, 16, 16)``.
    """

    def __init__(self, estimator, exposure=True, images=True):
        self.estimator = estimator
        self.exposure = exposure
        self.images = images

    def _rows(self, X):
        X = np.asarray(X, dtype=np.float32)
        return X.reshape(len(X), 1, SIZE, SIZE) if self.images else X

    def fit(self, X, y=None, *, y_partial=None):
        y_partial = np.full(len(X), -1) if y_partial is None else np.asarray(y_partial)
        X = self._rows(X)
        if self.exposure:
            self.estimator.fit(X, y_partial=y_partial)
        else:
            self.estimator.fit(X[y_partial != LABEL_ANOMALY])
        self.estimator_ = self.estimator
        self.offset_ = getattr(self.estimator_, "offset_", 0.0)
        return self

    def score_samples(self, X):
        check_is_fitted(self)
        return self.estimator_.score_samples(self._rows(X))


def _make_adra(random_state, k=2, exposure=True):
    est = ADRA(pretrained_backbone(random_state), n_experts=k, random_state=random_state,
               **HSC_PARAMS)
    return _Task(est, exposure=exposure)


def _make_full(random_state, pretrained=True, l2sp=0.0):
    backbone = pretrained_backbone(random_state) if pretrained else _scratch_backbone
    est = _FullTraining(backbone, l2sp=l2sp, bn_stats="frozen" if pretrained else "task",
                        random_state=random_state, **HSC_PARAMS)
    return _Task(est)


def _knn(random_state):
    return _Task(_KNNFeatures(pretrained_backbone(random_state)), exposure=False)


def _deep_svdd(random_state):
    # the defaults: (64, 32) bias-free encoder with batch norm, Adam 1e-4, at most 500 steps
    from ..detectors import DeepSVDD

    return _Task(DeepSVDD(random_state=random_state, device="cpu"), exposure=False, images=False)


def _iforest(random_state):
    return _Task(IsolationForest(random_state=random_state), exposure=False, images=False)


# module-level functions and partials: methods are pickled to process workers
_METHODS = {
    "ADRA-K1": (functools.partial(_make_adra, k=1), "ADRA, K = 1, outlier exposure from 0-4."),
    "ADRA-K2": (functools.partial(_make_adra, k=2), "ADRA, K = 2, outlier exposure from 0-4."),
    "ADRA-K4": (functools.partial(_make_adra, k=4), "ADRA, K = 4, outlier exposure from 0-4."),
    "UADRA": (functools.partial(_make_adra, k=2, exposure=False),
              "ADRA, K = 2, without outlier exposure (normals only)."),
    "SAD": (functools.partial(_make_full, pretrained=False),
            "The ResidualCNN from scratch, HSC + outlier exposure (the paper's SAD row)."),
    "TF": (functools.partial(_make_full, pretrained=True),
           "Full fine-tuning of the pretrained ResidualCNN, HSC + outlier exposure."),
    "L2-SP": (functools.partial(_make_full, pretrained=True, l2sp=1e-2),
              "TF + the L2-SP penalty (alpha = 1e-2) towards the pretrained weights."),
    "kNN-AD": (_knn, ("Mean distance to the 2 nearest training normals in the frozen "
                      "pretrained features (Bergman et al. 2020).")),
    "DeepSVDD-pixels": (_deep_svdd,
                        "skrobustad.DeepSVDD (defaults) on the 256 pixels, normals only."),
    "IForest-pixels": (_iforest, "sklearn IsolationForest on the 256 pixels, normals only."),
}
for _name, (_make, _description) in _METHODS.items():
    register_method(Method(_name, _make, uses_labels=True, description=_description,
                           family="sklearn" if _name == "IForest-pixels" else "skrobustad"))
del _name, _make, _description

#: The methods of the one-vs-rest suite.
OVR_METHODS = tuple(_METHODS)
#: The methods compared in the hold-one-out suite (the paper's Table 2 rows).
HOLDOUT_METHODS = ("ADRA-K2", "TF", "L2-SP", "SAD", "kNN-AD")
#: The methods of the small-modes experiment (the paper's Fig. 2).
MODES_METHODS = ("ADRA-K2", "TF", "SAD")
#: The paper's Table 1 means (CIFAR-10, AUROC) and Table 2 means
#: (CIFAR-10 hold-one-out, AP), for orientation only: another dataset.
PAPER_OVR_MEANS = {"kNN-AD": 92.5, "SAD": 96.1, "ADRA-K1": 98.3, "ADRA-K2": 98.8,
                   "ADRA-K4": 99.0}
PAPER_HOLDOUT_MEANS = {"TF": 66.7, "L2-SP": 68.5, "ADRA-K2": 72.7}

register_suite(
    Suite(
        name="adra",
        protocol="adra-ovr",
        datasets=("embedded:digits-classes",),
        methods=OVR_METHODS,
        seeds=(0, 1, 2),
        scale=None,
        sweep={"normal_class": TEST_CLASSES},
        description="ADRA paper, Table 1 at CPU scale: digits 16x16, ResidualCNN pretrained "
        "on 0-4, one-vs-rest among 5-9 with outlier exposure from 0-4 (AUROC).",
    )
)
register_suite(
    Suite(
        name="adra-holdout",
        protocol="adra-holdout",
        datasets=("embedded:digits-classes",),
        methods=HOLDOUT_METHODS,
        seeds=(0, 1, 2),
        scale=None,
        sweep={"held_out_class": TEST_CLASSES},
        description="ADRA paper, Table 2 at CPU scale: four of the digits 5-9 normal, the "
        "fifth anomalous, exposure from 0-4 (average precision).",
    )
)
for _pair in ((5, 8), (6, 9), (7, 9)):
    for _which in ("secondary", "primary"):
        register_suite(
            Suite(
                name=f"adra-modes-{_pair[0]}{_pair[1]}-{_which}",
                protocol="adra-modes",
                datasets=("embedded:digits-classes",),
                methods=MODES_METHODS,
                seeds=(0, 1, 2),
                scale=None,
                protocol_kwargs={"pair": _pair, "evaluate": _which},
                sweep={"ratio": (0.05, 0.1, 0.25, 0.5, 1.0)},
                description=f"ADRA paper, Fig. 2 at CPU scale: normal = {_pair[0]} + a ratio "
                f"of {_pair[1]}; AUROC of the {_which} class against the other 5-9.",
            )
        )
del _pair, _which
