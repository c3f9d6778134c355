"""ELITE's benchmark (paper 001): AUROC against the pollution of the training data.

The paper's protocol (section 5.1-5.2), scaled to the data here: one class is
normal, the others anomalous; the unlabeled training set is polluted with
anomalies up to a ratio ``r_p`` in {0.1, ..., 0.5}; a few labeled normals and
anomalies (as many of each) come from the training part; the test set is
drawn first, from a fixed share of the normals and of the anomalies, so that
it is the same at every ``r_p`` of a seed.

Protocols
---------
``elite-digits``
    scikit-learn's digits (``embedded:digits-classes``, 8x8 images, 64
    features, about 180 per class): 70% of the normal class for training
    (about 126 rows), 30% and 30% of the other classes for testing; 10
    labeled normals from the training normals, 10 labeled anomalies, and
    ``round(r_p * n / (1 - r_p))`` unlabeled anomalies for the ``n`` (about
    116) unlabeled normals. The training set has about 149 (``r_p = 0.1``)
    to 252 (``r_p = 0.5``) rows, so the label ratio ``r_l`` is 0.08 to 0.13,
    far above the paper's 0.004 (20 labels among 5,000).
``elite-cifar``
    CIFAR-10 ResNet-18 features of ADBench (``CIFAR10_{0,4,6}``, 512
    features). Each file has 5,000 normals of its class and only 263
    anomalies, so ``r_p > 0.05`` cannot be drawn from one file; the three
    files share one feature space, so the anomalies of file ``c`` are the
    *normals* of the other two files, de-duplicated against every row of
    file ``c``. Test: 30% of the normals and 30% of that anomaly pool;
    training: 2,000 rows, 25 labeled normals, 25 labeled anomalies, and
    1,950 unlabeled rows of which ``r_p`` are anomalies (the paper: 5,000
    rows, 100 labels).
``elite-polluted``
    Any binary ADBench set (``y`` 1 = anomaly): 30% of the normals and of the
    anomalies for testing; training 10 + 10 labeled, and unlabeled normals
    and anomalies at ratio ``r_p``, as many unlabeled normals as the
    training anomalies allow at that ``r_p`` (at most 2,000 unlabeled rows).

Suites
------
``elite``: the digits, 10 normal classes x 5 ``r_p`` x 3 seeds.
``elite-cifar``: ``CIFAR10_{0,4,6}`` x 5 ``r_p`` x 3 seeds.
``elite-tabular``: the ADBench sets with enough anomalies for ``r_p = 0.5``
(reported, not a reproduction of the paper). The paper's numbers are in
figures only (Fig. 3), not tables: there are no reference values.
"""

import importlib.util
from functools import partial

import numpy as np
from sklearn.utils import check_random_state

from ..datasets import load_adbench
from ..utils._validation import LABEL_ANOMALY, LABEL_NORMAL, LABEL_UNLABELED
from ._registry import (
    Method,
    Split,
    Suite,
    register_method,
    register_protocol,
    register_suite,
)
from ._suite_core import DEEP_PARAMS, _ours, _pyod

#: The training contaminations of the paper's Fig. 3.
POLLUTION_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5)


# --------------------------------------------------------------------- protocols
def polluted_split(X_normal, X_anomaly, *, pollution, n_labeled, random_state,
                   test_fraction=0.3, n_unlabeled=None, max_unlabeled=2000):
    """The shared draw of the ELITE protocols from a pool of normals and of anomalies.

    Parameters
    ----------
    X_normal, X_anomaly : ndarray
    pollution : float in [0, 1)
        Anomalies as a fraction of the unlabeled training set.
    n_labeled : int
        Labeled normals, and as many labeled anomalies, in the training set.
    random_state : int or RandomState
    test_fraction : float, default=0.3
        Share of each pool drawn first as the test set (the same for every
        ``pollution`` of a seed).
    n_unlabeled : int or None, default=None
        Size of the unlabeled training set; ``None``: every training normal
        not labeled, or fewer where the training anomalies do not reach
        ``pollution`` (at most ``max_unlabeled``).
    max_unlabeled : int, default=2000

    Returns
    -------
    Split
    """
    rng = check_random_state(random_state)
    normal = rng.permutation(len(X_normal))
    anomaly = rng.permutation(len(X_anomaly))
    n_test_n = round(test_fraction * len(normal))
    n_test_a = round(test_fraction * len(anomaly))
    test_n, pool_n = normal[:n_test_n], normal[n_test_n:]
    test_a, pool_a = anomaly[:n_test_a], anomaly[n_test_a:]
    avail_n, avail_a = len(pool_n) - n_labeled, len(pool_a) - n_labeled
    if avail_n < 1 or avail_a < 0:
        raise ValueError(
            f"elite protocol: {len(pool_n)} training normals and {len(pool_a)} training "
            f"anomalies cannot give {n_labeled} labeled of each plus unlabeled rows."
        )
    if n_unlabeled is None:
        n_un = avail_n
        if pollution > 0:
            n_un = min(n_un, int(np.floor(avail_a * (1 - pollution) / pollution)))
        n_un_a = round(pollution * n_un / (1 - pollution))
        scale = min(1.0, max_unlabeled / max(n_un + n_un_a, 1))
        n_un, n_un_a = int(n_un * scale), round(n_un_a * scale)
    else:
        n_un_a = round(pollution * n_unlabeled)
        n_un = n_unlabeled - n_un_a
    if n_un > avail_n or n_un_a > avail_a or n_un < 1:
        raise ValueError(
            f"elite protocol: pollution={pollution} needs {n_un} unlabeled normals and "
            f"{n_un_a} unlabeled anomalies; the training pools hold {avail_n} and {avail_a}."
        )
    lab_n, un_n = pool_n[:n_labeled], pool_n[n_labeled:n_labeled + n_un]
    lab_a, un_a = pool_a[:n_labeled], pool_a[n_labeled:n_labeled + n_un_a]
    X_train = np.r_[X_normal[lab_n], X_anomaly[lab_a], X_normal[un_n], X_anomaly[un_a]]
    y_train = np.r_[np.zeros(n_labeled), np.ones(n_labeled), np.zeros(n_un), np.ones(n_un_a)]
    y_partial = np.r_[
        np.full(n_labeled, LABEL_NORMAL), np.full(n_labeled, LABEL_ANOMALY),
        np.full(n_un + n_un_a, LABEL_UNLABELED),
    ].astype(np.int8)
    order = rng.permutation(len(X_train))
    X_test = np.r_[X_normal[test_n], X_anomaly[test_a]]
    y_test = np.r_[np.zeros(len(test_n), int), np.ones(len(test_a), int)]
    return Split(
        X_train[order],
        y_partial[order],
        X_test,
        y_test,
        info={
            "pollution": float(pollution),
            "train_contamination": float(y_train.mean()),
            "unlabeled_pollution": float(n_un_a / max(n_un + n_un_a, 1)),
            "n_unlabeled": int(n_un + n_un_a),
        },
    )


def elite_digits(X, y, *, random_state, normal_class=0, pollution=0.1, n_labeled=10,
                 test_fraction=0.3):
    """One class of a multi-class dataset normal, every other class anomalous.

    ``y`` holds the classes (``embedded:digits-classes``).
    """
    y = np.asarray(y)
    return polluted_split(
        X[y == normal_class], X[y != normal_class], pollution=pollution, n_labeled=n_labeled,
        random_state=random_state, test_fraction=test_fraction,
    )


#: The CIFAR-10 files whose normals form each other's anomalies.
CIFAR_FILES = ("CIFAR10_0", "CIFAR10_4", "CIFAR10_6")


def _row_keys(X):
    return {row.tobytes() for row in np.ascontiguousarray(X, dtype=np.float64)}


def elite_cifar(X, y, *, random_state, pollution=0.1, n_train=2000, n_labeled=25,
                test_fraction=0.3, pool=CIFAR_FILES, data_home=None):
    """File ``c``'s normals against the other files' normals (see the module docstring).

    The files of ``pool`` are read from the data home
    (``$SKROBUSTAD_DATA_HOME`` unless ``data_home`` is given); a file's own
    normals all match rows of ``X`` and drop out, so the anomalies are the
    normals of the *other* files, whichever of them ``X`` is.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    own = _row_keys(X)
    anomalies = []
    for name in pool:
        Xo, yo = load_adbench(name, data_home=data_home, return_X_y=True)
        normals = np.asarray(Xo, dtype=np.float64)[np.asarray(yo) == 0]
        keep = [row.tobytes() not in own for row in np.ascontiguousarray(normals)]
        anomalies.append(normals[np.asarray(keep, bool)])
    X_anomaly = np.concatenate(anomalies)
    X_anomaly = np.unique(X_anomaly, axis=0)
    return polluted_split(
        X[y == 0], X_anomaly, pollution=pollution, n_labeled=n_labeled,
        random_state=random_state, test_fraction=test_fraction,
        n_unlabeled=n_train - 2 * n_labeled,
    )


def elite_polluted(X, y, *, random_state, pollution=0.1, n_labeled=10, test_fraction=0.3,
                   max_unlabeled=2000):
    """A binary dataset (``y`` 1 = anomaly) with its unlabeled training part at ``r_p``."""
    y = np.asarray(y)
    return polluted_split(
        X[y == 0], X[y == 1], pollution=pollution, n_labeled=n_labeled,
        random_state=random_state, test_fraction=test_fraction, max_unlabeled=max_unlabeled,
    )


register_protocol("elite-digits", elite_digits)
register_protocol("elite-cifar", elite_cifar)
register_protocol("elite-polluted", elite_polluted)


# ----------------------------------------------------------------------- methods
#: ELITE in the suites: its defaults (widths (64, 32), batch 128, Adam 1e-4,
#: 100 epochs, eta_m 1e6, margin from the labeled set as in the authors' code);
#: the ``paper margin`` entries take the paper's rule (the initial loss).
ELITE_PARAMS = {"hidden_dims": (64, 32), "batch_size": 128, "lr": 1e-4, "max_epochs": 100}

#: Deep SAD as the core suites' Deep SVDD (widths, epochs, batch, rate; step
#: budget 500), eta = 1, no pre-training.
DEEP_SAD_PARAMS = dict(DEEP_PARAMS["DeepSVDD"], eta=1.0)

for _backbone in ("svdd", "ae"):
    register_method(
        Method(
            f"ELITE ({_backbone})",
            partial(_ours, "ELITE", backbone=_backbone, **ELITE_PARAMS),
            uses_labels=True,
            description=f"skrobustad.ELITE(backbone={_backbone!r}), widths (64, 32), batch "
            "128, Adam 1e-4, 100 epochs, eta_m=1e6, margin='labeled-max' (the authors' "
            "code); the labeled rows are its validation set.",
        )
    )
    register_method(
        Method(
            f"ELITE ({_backbone}, paper margin)",
            partial(_ours, "ELITE", backbone=_backbone, margin="initial-loss", **ELITE_PARAMS),
            uses_labels=True,
            description=f"skrobustad.ELITE(backbone={_backbone!r}, margin='initial-loss'): "
            "the paper's margin, the training rows' mean score at initialisation; "
            f"otherwise as ELITE ({_backbone}).",
        )
    )
register_method(
    Method(
        "DeepSAD",
        partial(_ours, "DeepSAD", **DEEP_SAD_PARAMS),
        uses_labels=True,
        description="skrobustad.DeepSAD, eta=1, the core suites' Deep SVDD settings "
        "(widths (64, 32), 50 epochs, batch 128, Adam 1e-4, at most 500 steps).",
    )
)
register_method(
    Method(
        "DeepSAD (hinge)",
        partial(_ours, "DeepSAD", loss="hinge", **DEEP_SAD_PARAMS),
        uses_labels=True,
        description="skrobustad.DeepSAD(loss='hinge'): ELITE's Eq. 4 on the labeled rows, "
        "the unlabeled as normal (paper 001, Fig. 7a/b).",
    )
)


def _make_xgbod(random_state):
    if importlib.util.find_spec("xgboost") is None:
        raise ImportError("pyod.XGBOD needs xgboost: pip install xgboost")
    return _pyod("xgbod", "XGBOD", random_state)


register_method(
    Method(
        "pyod.XGBOD",
        _make_xgbod,
        api="pyod",
        uses_labels=True,
        family="pyod",
        description="PyOD's XGBOD (needs xgboost); y = 1 for labeled anomalies, 0 otherwise.",
    )
)

#: The methods of the ELITE suites; PyOD's XGBOD only where xgboost is installed.
ELITE_METHODS = (
    "ELITE (svdd)",
    "ELITE (ae)",
    "ELITE (svdd, paper margin)",
    "ELITE (ae, paper margin)",
    "DeepSVDD",
    "AutoEncoder",
    "DeepSAD",
    "DeepSAD (hinge)",
    "RobustAE",
    "AESAD",
    "IAD-DeepSVDD",
    "pyod.DevNet",
    *(("pyod.XGBOD",) if importlib.util.find_spec("xgboost") is not None else ()),
    "pyod.IForest",
)

#: The ADBench tabular sets with enough anomalies for r_p = 0.5 and a test part.
TABULAR_DATASETS = (
    "satellite", "SpamBase", "fault", "shuttle", "Cardiotocography", "PageBlocks", "mnist",
    "breastw", "Pima", "Ionosphere",
)

register_suite(
    Suite(
        name="elite",
        protocol="elite-digits",
        datasets=("embedded:digits-classes",),
        methods=ELITE_METHODS,
        seeds=(0, 1, 2),
        sweep={"normal_class": tuple(range(10)), "pollution": POLLUTION_LEVELS},
        description="ELITE paper, Fig. 3 on scikit-learn's digits: one class normal, the "
        "others anomalies; ~126 training normals (10 labeled), 10 labeled anomalies, "
        "unlabeled training set polluted to r_p; test: 30% of every class.",
    )
)
register_suite(
    Suite(
        name="elite-cifar",
        protocol="elite-cifar",
        datasets=CIFAR_FILES,
        methods=ELITE_METHODS,
        seeds=(0, 1, 2),
        sweep={"pollution": POLLUTION_LEVELS},
        description="ELITE paper, Fig. 3 on CIFAR-10 ResNet-18 features: file c's normals "
        "against the other two files' normals; 2,000 training rows (25 + 25 labeled), the "
        "unlabeled polluted to r_p; test: 30% of each pool.",
    )
)
register_suite(
    Suite(
        name="elite-tabular",
        protocol="elite-polluted",
        datasets=TABULAR_DATASETS,
        methods=ELITE_METHODS,
        seeds=(0, 1, 2),
        sweep={"pollution": POLLUTION_LEVELS},
        description="ELITE's protocol on ADBench tabular sets (reported): 10 + 10 labeled, "
        "the unlabeled training part polluted to r_p (at most 2,000 rows); test: 30%.",
    )
)
