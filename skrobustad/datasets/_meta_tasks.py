"""Meta-learning tasks: rotated digits (paper 000's Mnist-r) and MVTec-AD features.

Both builders return a :class:`~sklearn.utils.Bunch` with

- ``X_source`` / ``y_partial_source``: lists of source tasks and their partial
  labels (1 known anomaly, 0 known normal, -1 unlabeled), for
  :meth:`skrobustad.MetaRAE.fit`;
- ``X_validation`` / ``y_partial_validation``: the validation tasks (early
  stopping, model selection);
- ``target``: a list of episodes, dicts with ``X_support`` (the unlabeled,
  contaminated support set), ``y_support`` (its true labels, for plots
  only), ``X_test`` / ``y_test`` (1 = anomaly) and ``anomaly_ratio``,
  ``task``, ``normal_class``, ``domain``.

The target episodes are drawn from their own random stream: for one
``random_state`` they are the same whatever ``l_r``, so that results at
several label ratios are paired.
"""

import numbers

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, validate_params

from ..utils._validation import LABEL_ANOMALY, LABEL_NORMAL, LABEL_UNLABELED
from ._adbench import find_adbench, list_adbench, load_adbench

#: Rotation angles of the six Mnist-r domains (degrees).
ROTATION_ANGLES = (0, 15, 30, 45, 60, 75)

#: Anomaly ratios of the unlabeled data (paper 000, Sec. 4.1).
ANOMALY_RATIOS = (0.1, 0.2, 0.3, 0.4, 0.5)

#: The 15 MVTec-AD categories of ADBench's ResNet-18 features.
MVTEC_CATEGORIES = (
    "bottle", "cable", "capsule", "carpet", "grid", "hazelnut", "leather", "metal_nut",
    "pill", "screw", "tile", "toothbrush", "transistor", "wood", "zipper",
)


def _streams(random_state):
    """Independent generators: (images and domain split, source tasks, target episodes)."""
    if isinstance(random_state, np.random.RandomState):
        random_state = int(random_state.randint(np.iinfo(np.int32).max))
    seq = np.random.SeedSequence(0 if random_state is None else int(random_state))
    return [np.random.default_rng(s) for s in seq.spawn(3)]


def _rotated_images(image_size, n_per_class, angles, rng):
    from scipy import ndimage
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images / 16.0
    chosen = np.concatenate([
        np.sort(rng.choice(np.flatnonzero(digits.target == c), n_per_class, replace=False))
        for c in range(10)
    ])
    labels = digits.target[chosen]
    base = images[chosen]
    if image_size == 16:
        base = np.stack([ndimage.zoom(im, 2, order=1) for im in base])
    domains = []
    for angle in angles:
        rotated = np.stack([
            ndimage.rotate(im, angle, reshape=False, order=1, mode="constant", cval=0.0)
            for im in base
        ]) if angle else base.copy()
        domains.append(np.clip(rotated, 0.0, 1.0).reshape(len(base), -1))
    return domains, labels


def _source_task(X, is_anomaly, l_r, anomaly_ratio, rng, labeled_anomaly_fraction=0.1):
    """Labeled points ``l_r * n_normal`` (10% anomalies); unlabeled at ``anomaly_ratio``."""
    normal = rng.permutation(np.flatnonzero(~is_anomaly))
    anomalous = rng.permutation(np.flatnonzero(is_anomaly))
    n_labeled = max(2, int(round(l_r * normal.size)))
    n_lab_anom = max(1, int(round(labeled_anomaly_fraction * n_labeled)))
    n_lab_norm = n_labeled - n_lab_anom
    unl_norm = normal[n_lab_norm:]
    n_unl_anom = int(round(anomaly_ratio * unl_norm.size / (1.0 - anomaly_ratio)))
    n_unl_anom = min(n_unl_anom, anomalous.size - n_lab_anom)
    parts = [
        (normal[:n_lab_norm], LABEL_NORMAL),
        (anomalous[:n_lab_anom], LABEL_ANOMALY),
        (unl_norm, LABEL_UNLABELED),
        (anomalous[n_lab_anom:n_lab_anom + n_unl_anom], LABEL_UNLABELED),
    ]
    index = np.concatenate([p for p, _ in parts])
    y = np.concatenate([np.full(p.size, code, dtype=np.int8) for p, code in parts])
    order = rng.permutation(index.size)
    return X[index[order]], y[order]


def _target_episode(X, is_anomaly, anomaly_ratio, support_size, rng):
    """Support: ``support_size`` points at ``anomaly_ratio``; test: all the rest."""
    normal = rng.permutation(np.flatnonzero(~is_anomaly))
    anomalous = rng.permutation(np.flatnonzero(is_anomaly))
    n_anom = int(round(anomaly_ratio * support_size))
    n_norm = support_size - n_anom
    support = np.r_[normal[:n_norm], anomalous[:n_anom]]
    test = np.r_[normal[n_norm:], anomalous[n_anom:]]
    support = support[rng.permutation(support.size)]
    return dict(
        X_support=X[support], y_support=is_anomaly[support].astype(np.int64),
        X_test=X[test], y_test=is_anomaly[test].astype(np.int64),
        anomaly_ratio=float(anomaly_ratio),
    )


@validate_params(
    {
        "l_r": [Interval(numbers.Real, 0, 1, closed="neither")],
        "image_size": [Interval(numbers.Integral, 8, 16, closed="both")],
        "n_per_class": [Interval(numbers.Integral, 4, 174, closed="both")],
        "anomaly_ratios": [tuple, list],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_rotated_digits_tasks(*, l_r=0.1, image_size=16, n_per_class=100,
                              anomaly_ratios=ANOMALY_RATIOS, random_state=0):
    """Rotated-digits meta-learning tasks: paper 000's Mnist-r from scikit-learn's digits.

    ``n_per_class`` images per digit are drawn from
    :func:`sklearn.datasets.load_digits` (8 x 8, scaled to [0, 1], upsampled
    to 16 x 16 when ``image_size=16``: D = 256 as the paper) and rotated by
    0, 15, ..., 75 degrees: six domains of the same images, as Mnist-r. Each
    domain gives 10 one-vs-rest tasks (one digit normal, the nine others
    anomalous). The domains are split at random 4 / 1 / 1 into source,
    validation and target domains (40 / 10 / 10 tasks).

    - Source and validation tasks: ``round(l_r * n_normal)`` labeled points,
      10% of them anomalies (at least one); the remaining normals are
      unlabeled, with unlabeled anomalies at a ratio drawn per task from
      ``anomaly_ratios``.
    - Target tasks, once per ratio of ``anomaly_ratios``: a support set of
      ``n_per_class // 2`` unlabeled points (half the normals' count) at that
      anomaly ratio (paper Fig. 4: 20 anomalies and 30 normals at 0.4); every
      other point of the task is the test set.

    Parameters
    ----------
    l_r : float in (0, 1), default=0.1
        Label ratio of the source and validation tasks (paper: 0.1, 0.2, 0.3).
    image_size : {8, 16}, default=16
    n_per_class : int, default=100
        Images per digit (and per domain); at most 174.
    anomaly_ratios : tuple of float, default=(0.1, 0.2, 0.3, 0.4, 0.5)
    random_state : int, default=0
        The domain split, the images and the tasks (three independent
        streams; the target episodes do not depend on ``l_r``).

    Returns
    -------
    tasks : Bunch
        See the module docstring; also ``domains`` (the angles of the
        source, validation and target domains), ``image_shape`` and
        ``anomaly_ratio_source`` (the drawn ratio of each source task).
    """
    if image_size not in (8, 16):
        raise ValueError(f"image_size must be 8 or 16, got {image_size}.")
    ratios = tuple(float(r) for r in anomaly_ratios)
    if not ratios or not all(0.0 < r < 1.0 for r in ratios):
        raise ValueError(f"anomaly_ratios must be in (0, 1), got {anomaly_ratios!r}.")
    split_rng, source_rng, target_rng = _streams(random_state)
    domains, labels = _rotated_images(image_size, n_per_class, ROTATION_ANGLES, split_rng)
    order = split_rng.permutation(len(ROTATION_ANGLES))
    roles = {"source": order[:4], "validation": order[4:5], "target": order[5:]}

    out = {}
    for role in ("source", "validation"):
        X_tasks, y_tasks, drawn = [], [], []
        for d in roles[role]:
            for c in range(10):
                a_r = float(source_rng.choice(ratios))
                X, y = _source_task(domains[d], labels != c, l_r, a_r, source_rng)
                X_tasks.append(X)
                y_tasks.append(y)
                drawn.append(a_r)
        out[role] = (X_tasks, y_tasks, drawn)
    target = []
    d = roles["target"][0]
    for c in range(10):
        for a_r in ratios:
            episode = _target_episode(domains[d], labels != c, a_r, n_per_class // 2, target_rng)
            episode.update(task=f"{ROTATION_ANGLES[d]}deg-digit{c}", normal_class=c,
                           domain=ROTATION_ANGLES[d])
            target.append(episode)
    return Bunch(
        X_source=out["source"][0], y_partial_source=out["source"][1],
        anomaly_ratio_source=out["source"][2],
        X_validation=out["validation"][0], y_partial_validation=out["validation"][1],
        target=target,
        domains={role: tuple(ROTATION_ANGLES[i] for i in idx) for role, idx in roles.items()},
        image_shape=(image_size, image_size),
        l_r=float(l_r),
    )


def _mvtec_name(category):
    return f"MVTec-AD_{category}"


def load_mvtec_tasks(*, data_home=None, l_r=0.2, n_validation=2, n_target=3,
                     support_fraction=0.5, random_state=0):
    """MVTec-AD meta-learning tasks from ADBench's ResNet-18 feature files.

    Each of the 15 categories (``CV_by_ResNet18/MVTec-AD_<category>.npz``,
    512 features, 1 = defect) is a task. The categories are split at random
    into source, ``n_validation`` validation and ``n_target`` target
    categories. Source and validation tasks are labeled as the rotated digits'
    (``round(l_r * n_normal)`` labeled points, 10% anomalies, the rest
    unlabeled at the category's natural anomaly ratio). A target task gives
    one episode: a random ``support_fraction`` of its points (natural anomaly
    ratio) is the unlabeled support set, the rest the test set. Paper 000
    does not use MVTec-AD: these tasks are a harder, non-gated check.

    Parameters
    ----------
    data_home : str or path-like, default=None
        See :func:`skrobustad.datasets.get_data_home`.
    l_r : float in (0, 1), default=0.2
    n_validation, n_target : int, default=2, 3
    support_fraction : float in (0, 1), default=0.5
    random_state : int, default=0

    Returns
    -------
    tasks : Bunch
        As :func:`make_rotated_digits_tasks` (``domains``: the categories of
        each role).

    Raises
    ------
    FileNotFoundError
        When the feature files are not in the data home.
    """
    available = {n for n in list_adbench(data_home, collection="CV_by_ResNet18")}
    missing = [c for c in MVTEC_CATEGORIES if _mvtec_name(c) not in available]
    if missing:
        find_adbench(_mvtec_name(missing[0]), data_home, collection="CV_by_ResNet18")
        raise FileNotFoundError(f"MVTec-AD feature files missing: {missing}.")
    split_rng, source_rng, target_rng = _streams(random_state)
    order = split_rng.permutation(len(MVTEC_CATEGORIES))
    n_source = len(MVTEC_CATEGORIES) - n_validation - n_target
    if n_source < 1 or n_validation < 0 or n_target < 1:
        raise ValueError("n_validation and n_target leave no source or target category.")
    roles = {"source": order[:n_source], "validation": order[n_source:n_source + n_validation],
             "target": order[n_source + n_validation:]}
    data = {}
    for i in order:
        X, y = load_adbench(_mvtec_name(MVTEC_CATEGORIES[i]), data_home=data_home,
                            collection="CV_by_ResNet18", return_X_y=True)
        data[i] = (np.asarray(X, dtype=np.float64), np.asarray(y).astype(bool))
    out = {}
    for role in ("source", "validation"):
        X_tasks, y_tasks, drawn = [], [], []
        for i in roles[role]:
            X, is_anom = data[i]
            ratio = float(is_anom.mean())
            Xt, yt = _source_task(X, is_anom, l_r, ratio, source_rng)
            X_tasks.append(Xt)
            y_tasks.append(yt)
            drawn.append(ratio)
        out[role] = (X_tasks, y_tasks, drawn)
    target = []
    for i in roles["target"]:
        X, is_anom = data[i]
        perm = target_rng.permutation(len(X))
        n_support = int(round(support_fraction * len(X)))
        s, t = perm[:n_support], perm[n_support:]
        target.append(dict(
            X_support=X[s], y_support=is_anom[s].astype(np.int64), X_test=X[t],
            y_test=is_anom[t].astype(np.int64), anomaly_ratio=float(is_anom[s].mean()),
            task=MVTEC_CATEGORIES[i], normal_class=MVTEC_CATEGORIES[i],
            domain=MVTEC_CATEGORIES[i],
        ))
    return Bunch(
        X_source=out["source"][0], y_partial_source=out["source"][1],
        anomaly_ratio_source=out["source"][2],
        X_validation=out["validation"][0], y_partial_validation=out["validation"][1],
        target=target,
        domains={role: tuple(MVTEC_CATEGORIES[i] for i in idx) for role, idx in roles.items()},
        l_r=float(l_r),
    )
