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
