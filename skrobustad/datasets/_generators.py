"""Generators of the benchmark protocols: contaminated splits and partial labels."""

import numbers

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing, check_random_state, indexable
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import column_or_1d

from ..utils._validation import LABEL_ANOMALY, LABEL_NORMAL, LABEL_UNLABELED


def _check_binary(y, name="y"):
    y = column_or_1d(y, warn=True)
    if not np.isin(y, (0, 1)).all():
        raise ValueError(
            f"{name} must hold 1 (anomaly) and 0 (normal) only; got values "
            f"{np.unique(y)[:10].tolist()}."
        )
    return y.astype(np.int64)


def _stratified_subset(y, n_samples, rng):
    """Sorted indices of ``n_samples`` rows drawn with the class ratio of ``y``."""
    n_anomalies = int(round(n_samples * y.mean()))
    normal = rng.choice(np.flatnonzero(y == 0), size=n_samples - n_anomalies, replace=False)
    anomalous = rng.choice(np.flatnonzero(y == 1), size=n_anomalies, replace=False)
    return np.sort(np.r_[normal, anomalous])


def _contaminated_subset(y, contamination):
    """Counts ``(n_normal, n_anomalous)`` to keep for an exact contamination."""
    n_normal, n_anomalous = int(np.sum(y == 0)), int(np.sum(y == 1))
    if contamination * (n_normal + n_anomalous) <= n_anomalous:
        # Fewer anomalies than present: keep every normal sample.
        return n_normal, int(round(contamination * n_normal / (1.0 - contamination)))
    if n_anomalous == 0:
        raise ValueError(
            f"contamination={contamination} asks for anomalies but the training part has none."
        )
    return int(round(n_anomalous * (1.0 - contamination) / contamination)), n_anomalous


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "test_size": [Interval(numbers.Real, 0, 1, closed="neither")],
        "contamination": [Interval(numbers.Real, 0, 1, closed="left"), None],
        "max_train_samples": [Interval(numbers.Integral, 2, None, closed="left"), None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_contaminated_split(
    X, y, *, test_size=0.3, contamination=None, max_train_samples=None, random_state=None
):
    """Split a labeled dataset into a contaminated training part and a test part.

    The split is stratified on ``y``, so both parts keep the dataset's
    anomaly ratio. The test part is left as split; the training part is then
    optionally capped at ``max_train_samples`` rows (stratified), then
    optionally resampled to an exact ``contamination``:

    - below the natural ratio, every training normal is kept and
      ``round(c * n_normal / (1 - c))`` training anomalies are drawn;
    - above it, every training anomaly is kept and
      ``round(n_anomalous * (1 - c) / c)`` training normals are drawn.

    Rows left out of the training part are dropped (never moved to the test
    part). The training rows keep their order in ``X``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        1 = anomaly, 0 = normal.
    test_size : float in (0, 1), default=0.3
        Fraction of the samples in the test part.
    contamination : float in [0, 1) or None, default=None
        Fraction of anomalies in the training part; ``None`` keeps the
        natural ratio, ``0`` gives a clean training part.
    max_train_samples : int or None, default=None
        Cap on the training part, drawn stratified before the contamination
        is resampled; keeps large datasets within a time budget.
    random_state : int, RandomState instance or None, default=None
        Controls the split and the draws.

    Returns
    -------
    X_train, X_test, y_train, y_test : arrays
        As :func:`sklearn.model_selection.train_test_split` returns them.

    Examples
    --------
    >>> from skrobustad.datasets import load_breast_cancer_anomaly, make_contaminated_split
    >>> X, y = load_breast_cancer_anomaly(contamination=None, return_X_y=True)
    >>> X_train, X_test, y_train, y_test = make_contaminated_split(
    ...     X, y, contamination=0.05, random_state=0)
    >>> len(y_train), int(y_train.sum()), len(y_test), int(y_test.sum())
    (263, 13, 171, 64)
    """
    X, y = indexable(X, y)
    y = _check_binary(y)
    rng = check_random_state(random_state)
    train, test = train_test_split(
        np.arange(y.shape[0]), test_size=test_size, stratify=y, random_state=rng
    )
    train = np.sort(train)
    if max_train_samples is not None and train.size > max_train_samples:
        train = train[_stratified_subset(y[train], max_train_samples, rng)]
    if contamination is not None:
        n_normal, n_anomalous = _contaminated_subset(y[train], contamination)
        normal = rng.choice(train[y[train] == 0], size=n_normal, replace=False)
        anomalous = rng.choice(train[y[train] == 1], size=n_anomalous, replace=False)
        train = np.sort(np.r_[normal, anomalous])
    return (
        _safe_indexing(X, train),
        _safe_indexing(X, test),
        y[train],
        y[test],
    )


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "contamination": [Interval(numbers.Real, 0, 1, closed="left"), None],
        "max_samples": [Interval(numbers.Integral, 2, None, closed="left"), None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_contaminated_sample(X, y, *, contamination=None, max_samples=None, random_state=None):
    """Draw a subset of a labeled dataset with an exact contamination.

    The transductive protocol's data (train and score on the same samples):
    optionally a stratified cap at ``max_samples`` rows, then optionally a
    resampling to an exact ``contamination`` by the rules of
    :func:`make_contaminated_split`'s training part. Without either, the
    dataset is returned as it is.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        1 = anomaly, 0 = normal.
    contamination : float in [0, 1) or None, default=None
    max_samples : int or None, default=None
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X_sample, y_sample : arrays
        The rows kept, in their order in ``X``.

    Examples
    --------
    >>> from skrobustad.datasets import load_breast_cancer_anomaly, make_contaminated_sample
    >>> X, y = load_breast_cancer_anomaly(contamination=None, return_X_y=True)
    >>> X_s, y_s = make_contaminated_sample(X, y, contamination=0.1, random_state=0)
    >>> len(y_s), int(y_s.sum())
    (397, 40)
    """
    X, y = indexable(X, y)
    y = _check_binary(y)
    rng = check_random_state(random_state)
    index = np.arange(y.shape[0])
    if max_samples is not None and index.size > max_samples:
        index = _stratified_subset(y, max_samples, rng)
    if contamination is not None:
        n_normal, n_anomalous = _contaminated_subset(y[index], contamination)
        normal = rng.choice(index[y[index] == 0], size=n_normal, replace=False)
        anomalous = rng.choice(index[y[index] == 1], size=n_anomalous, replace=False)
        index = np.sort(np.r_[normal, anomalous])
    return _safe_indexing(X, index), y[index]


def _n_to_label(spec, n_available, name):
    """Number of samples to label from a count or a fraction."""
    if isinstance(spec, numbers.Integral):
        if spec > n_available:
            raise ValueError(
                f"{name}={spec} asks for more samples than the {n_available} available."
            )
        return int(spec)
    n = int(round(spec * n_available))
    return max(n, 1) if spec > 0 and n_available > 0 else n


@validate_params(
    {
        "y": ["array-like"],
        "labeled_anomalies": [
            Interval(numbers.Integral, 0, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="both"),
        ],
        "labeled_normals": [
            Interval(numbers.Integral, 0, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="both"),
            StrOptions({"same"}),
        ],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def mask_labels(y, *, labeled_anomalies=0.1, labeled_normals="same", random_state=None):
    """Hide most labels: turn true labels into skrobustad's partial labels.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        True labels, 1 = anomaly, 0 = normal.
    labeled_anomalies : int or float in [0, 1], default=0.1
        How many anomalies keep their label: an int is a count, a float a
        fraction of the anomalies in ``y``. A positive fraction labels
        ``round(fraction * n)`` samples, and at least one.
    labeled_normals : int, float in [0, 1] or "same", default="same"
        How many normal samples keep their label, as above; ``"same"`` labels
        as many normals as anomalies (the DeepSAD / ELITE protocol).
    random_state : int, RandomState instance or None, default=None
        Which samples keep their label.

    Returns
    -------
    y_partial : ndarray of shape (n_samples,), dtype int8
        1 = known anomaly, 0 = known normal, -1 = unlabeled.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobustad.datasets import mask_labels
    >>> y = np.r_[np.zeros(90, dtype=int), np.ones(10, dtype=int)]
    >>> y_partial = mask_labels(y, labeled_anomalies=0.2, random_state=0)
    >>> [int((y_partial == code).sum()) for code in (1, 0, -1)]
    [2, 2, 96]
    """
    y = _check_binary(y)
    rng = check_random_state(random_state)
    anomalies, normals = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    n_anomalies = _n_to_label(labeled_anomalies, anomalies.size, "labeled_anomalies")
    if isinstance(labeled_normals, str):
        labeled_normals = n_anomalies
    n_normals = _n_to_label(labeled_normals, normals.size, "labeled_normals")
    y_partial = np.full(y.shape[0], LABEL_UNLABELED, dtype=np.int8)
    y_partial[rng.choice(anomalies, size=n_anomalies, replace=False)] = LABEL_ANOMALY
    y_partial[rng.choice(normals, size=n_normals, replace=False)] = LABEL_NORMAL
    return y_partial


def _level_counts(n_train, levels):
    """Anomalies of a training part of ``n_train`` rows at each level (exact or None)."""
    counts = [c * n_train for c in levels]
    if all(abs(k - round(k)) < 1e-9 for k in counts):
        return [int(round(k)) for k in counts]
    return None


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "levels": ["array-like"],
        "test_size": [Interval(numbers.Real, 0, 1, closed="neither")],
        "max_train_samples": [Interval(numbers.Integral, 2, None, closed="left"), None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_contamination_levels(
    X, y, *, levels=(0.05, 0.2), test_size=0.3, max_train_samples=None, random_state=None
):
    """One fixed test part and one training part per contamination level.

    For studies of how a detector degrades as its training data gets more
    contaminated, with nothing else changing:

    - the **test part** holds ``round(test_size * n)`` of the normal samples
      and of the anomalies (the dataset's own ratio), drawn once: it is the
      same at every level;
    - every **training part** has the same size ``n_train``, the largest the
      remaining samples allow (at most ``max_train_samples``) such that each
      level's number of anomalies ``c * n_train`` is a whole number: the
      contamination of each training part is exactly its level;
    - the training parts are nested: a higher level swaps some of the lower
      level's normal samples for anomalies, the rest is shared.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        1 = anomaly, 0 = normal.
    levels : array-like of float in [0, 1), default=(0.05, 0.2)
        Contamination of the training parts.
    test_size : float in (0, 1), default=0.3
        Fraction of each class in the test part.
    max_train_samples : int or None, default=None
        Cap on the size of the training parts.
    random_state : int, RandomState instance or None, default=None
        Controls the draws.

    Returns
    -------
    X_test, y_test : arrays
        The test part (rows in their order in ``X``).
    train : list of ``(X_train, y_train)``
        One training part per level, in the order of ``levels`` (rows in
        their order in ``X``).

    Raises
    ------
    ValueError
        When a level is impossible: too few normal samples left for the lowest
        level, or too few anomalies for the highest; the message says how many
        each needs.

    Examples
    --------
    >>> from skrobustad.datasets import load_wine_anomaly, make_contamination_levels
    >>> X, y = load_wine_anomaly(contamination=None, return_X_y=True)
    >>> X_test, y_test, train = make_contamination_levels(
    ...     X, y, levels=(0.05, 0.2), random_state=0)
    >>> len(y_test), int(y_test.sum())
    (54, 18)
    >>> [(len(y_train), int(y_train.sum())) for _, y_train in train]
    [(80, 4), (80, 16)]
    """
    X, y = indexable(X, y)
    y = _check_binary(y)
    levels = [float(c) for c in np.atleast_1d(np.asarray(levels, dtype=np.float64))]
    if not levels or not all(0.0 <= c < 1.0 for c in levels):
        raise ValueError(f"levels must be contaminations in [0, 1), got {levels}.")
    rng = check_random_state(random_state)
    normal = rng.permutation(np.flatnonzero(y == 0))
    anomalous = rng.permutation(np.flatnonzero(y == 1))
    n_test_normal = int(round(test_size * normal.size))
    n_test_anomalous = int(round(test_size * anomalous.size))
    test = np.sort(np.r_[normal[:n_test_normal], anomalous[:n_test_anomalous]])
    normal, anomalous = normal[n_test_normal:], anomalous[n_test_anomalous:]
    low, high = min(levels), max(levels)
    # the lowest level needs the most normals, the highest the most anomalies
    n_max = min(
        int(np.floor(normal.size / (1.0 - low) + 1e-9)),
        int(np.floor(anomalous.size / high + 1e-9)) if high > 0 else normal.size,
    )
    if max_train_samples is not None:
        n_max = min(n_max, max_train_samples)
    n_train = next((n for n in range(n_max, 1, -1) if _level_counts(n, levels)), None)
    counts = _level_counts(n_train, levels) if n_train is not None else None
    if counts is None or n_train - min(counts) < 1 or (high > 0 and max(counts) < 1):
        raise ValueError(
            f"Contamination levels {levels} are impossible here: after the test part, "
            f"{normal.size} normal samples and {anomalous.size} anomalies are left, and "
            f"no training size n gives every level a whole number of anomalies with "
            f"(1 - {low}) * n normals and {high} * n anomalies at least one each; use "
            "fewer or rounder levels, or a smaller test_size."
        )
    train = []
    for k in counts:
        rows = np.sort(np.r_[normal[: n_train - k], anomalous[:k]])
        train.append((_safe_indexing(X, rows), y[rows]))
    return _safe_indexing(X, test), y[test], train


def make_labeled_anomaly_split(
    X,
    y,
    *,
    train_normal_fraction=0.6,
    anomaly_fraction=0.05,
    max_train_anomaly_fraction=0.6,
    random_state=None,
):
    """A training part of normals plus a few (labeled) anomalies; the rest is the test part.

    The AE-SAD paper's split (Angiulli et al., section 4.3): the training
    part holds ``train_normal_fraction`` of the normal samples and as many
    anomalies as make ``anomaly_fraction`` of it; every other sample is in
    the test part. Datasets with few anomalies cannot give the fraction (5%
    of thyroid's 60% normals is 116 anomalies; it has 93): at most
    ``max_train_anomaly_fraction`` of the anomalies go to training, and at
    least one anomaly goes to each part.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        1 = anomaly, 0 = normal.
    train_normal_fraction : float, default=0.6
    anomaly_fraction : float, default=0.05
        Anomalies as a fraction of the training part (``s / (n_normal + s)``).
    max_train_anomaly_fraction : float, default=0.6
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X_train, X_test, y_train, y_test : arrays
        The training rows in random order, the test rows in their order in
        ``X``.
    """
    X, y = indexable(X, y)
    y = _check_binary(y)
    rng = check_random_state(random_state)
    normal = rng.permutation(np.flatnonzero(y == 0))
    anomalous = rng.permutation(np.flatnonzero(y == 1))
    n_normal_train = int(round(train_normal_fraction * normal.size))
    n_anomaly_train = int(round(anomaly_fraction / (1.0 - anomaly_fraction) * n_normal_train))
    n_anomaly_train = min(n_anomaly_train, int(max_train_anomaly_fraction * anomalous.size))
    n_anomaly_train = min(max(n_anomaly_train, 1), anomalous.size - 1)
    train = rng.permutation(np.r_[normal[:n_normal_train], anomalous[:n_anomaly_train]])
    test = np.sort(np.r_[normal[n_normal_train:], anomalous[n_anomaly_train:]])
    return _safe_indexing(X, train), _safe_indexing(X, test), y[train], y[test]


def make_polluted_split(
    X,
    classes,
    *,
    normal_class,
    anomaly_classes,
    n_labeled_per_class=5,
    pollution=0.05,
    train_fraction=0.6,
    random_state=None,
):
    """Normal class plus a few labeled anomalies, polluted by mislabeled ones.

    The AE-SAD paper's polluted setting (section 4.5, Table 5, e.g. digits
    "3 vs [4, 5, 6]") on a multi-class dataset. Every class is split at
    random into a training pool (``train_fraction``) and a test pool. The
    training part holds the pool of ``normal_class``, ``n_labeled_per_class``
    labeled anomalies of each class of ``anomaly_classes``, and
    ``round(pollution * n_normal)`` further anomalies of those classes
    *labeled as normal*, spread evenly over the classes. The test part holds
    the test pools of every class: ``normal_class`` normal, every other class
    (seen or unseen in training) anomalous.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    classes : array-like of shape (n_samples,)
        Class labels (e.g. digits 0..9), not anomaly labels.
    normal_class : int
    anomaly_classes : tuple of int
    n_labeled_per_class : int, default=5
    pollution : float, default=0.05
        Mislabeled anomalies as a fraction of the training normals.
    train_fraction : float, default=0.6
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X_train, X_test : arrays
    y_train : ndarray
        The true training labels (1 = anomaly: labeled or mislabeled).
    y_test : ndarray
        1 = anomaly (any class but ``normal_class``).
    y_partial_train : ndarray of int8
        What a detector is told: 1 for the labeled anomalies, 0 for the
        normals and the mislabeled anomalies.

    Raises
    ------
    ValueError
        When ``classes`` lacks ``normal_class`` or an anomaly class, or a
        class has too few training samples for its labeled and mislabeled
        anomalies.
    """
    X, classes = indexable(X, classes)
    rng = check_random_state(random_state)
    y = np.asarray(classes)
    labels = np.unique(y)
    if normal_class not in labels or not set(anomaly_classes) <= set(labels.tolist()):
        raise ValueError(
            f"A polluted split needs class labels containing {normal_class} and "
            f"{list(anomaly_classes)}; got classes {labels.tolist()}."
        )
    train_pool, test = {}, []
    for c in labels:
        idx = rng.permutation(np.flatnonzero(y == c))
        n_train = int(round(train_fraction * idx.size))
        train_pool[c] = idx[:n_train]
        test.append(idx[n_train:])
    normal = train_pool[normal_class]
    n_polluted = int(round(pollution * normal.size))
    per_class = np.full(len(anomaly_classes), n_polluted // len(anomaly_classes))
    per_class[: n_polluted % len(anomaly_classes)] += 1
    per_class = per_class[rng.permutation(len(anomaly_classes))]
    labeled, polluted = [], []
    for c, k in zip(anomaly_classes, per_class, strict=True):
        pool = train_pool[c]
        if n_labeled_per_class + k > pool.size:
            raise ValueError(
                f"Class {c} has {pool.size} training samples, fewer than the "
                f"{n_labeled_per_class} labeled + {k} mislabeled anomalies asked for."
            )
        labeled.append(pool[:n_labeled_per_class])
        polluted.append(pool[n_labeled_per_class : n_labeled_per_class + k])
    labeled, polluted = np.concatenate(labeled), np.concatenate(polluted)
    train = rng.permutation(np.r_[normal, labeled, polluted])
    y_partial = np.where(np.isin(train, labeled), LABEL_ANOMALY, LABEL_NORMAL).astype(np.int8)
    test = np.sort(np.concatenate(test))
    return (
        _safe_indexing(X, train),
        _safe_indexing(X, test),
        (y[train] != normal_class).astype(np.int64),
        (y[test] != normal_class).astype(np.int64),
        y_partial,
    )
