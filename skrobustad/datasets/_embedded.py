"""Anomaly-detection tasks built from datasets scikit-learn ships.

They need no file and no network, so the package's defaults (the ``quick``
benchmark suite, the examples, the tests) run anywhere.
"""

import numbers

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params


def _n_anomalies(n_normal, contamination):
    """Anomalies to keep so that they form ``contamination`` of the data."""
    return int(round(contamination * n_normal / (1.0 - contamination)))


def _anomaly_task(X, is_anomaly, *, contamination, random_state, name, descr, feature_names):
    """Keep every normal sample and a random subset of the anomalies."""
    normal = np.flatnonzero(~is_anomaly)
    anomalous = np.flatnonzero(is_anomaly)
    if contamination is not None:
        n_keep = _n_anomalies(normal.size, contamination)
        if n_keep > anomalous.size:
            raise ValueError(
                f"contamination={contamination} needs {n_keep} anomalies but {name} "
                f"has only {anomalous.size}; use a smaller contamination."
            )
        rng = check_random_state(random_state)
        anomalous = np.sort(rng.choice(anomalous, size=n_keep, replace=False))
    keep = np.sort(np.r_[normal, anomalous])
    X, y = X[keep], is_anomaly[keep].astype(np.int64)
    return Bunch(
        data=X,
        target=y,
        feature_names=np.asarray(feature_names, dtype=object),
        name=name,
        DESCR=(
            f"{descr} {X.shape[0]} samples, {X.shape[1]} features, {int(y.sum())} "
            f"anomalies ({y.mean():.2%}); target 1 = anomaly."
        ),
    )


_COMMON_CONSTRAINTS = {
    "contamination": [Interval(numbers.Real, 0, 1, closed="neither"), None],
    "random_state": ["random_state"],
    "return_X_y": ["boolean"],
}


@validate_params(
    {**_COMMON_CONSTRAINTS, "normal_class": [Interval(numbers.Integral, 0, 9, closed="both")]},
    prefer_skip_nested_validation=True,
)
def load_digits_anomaly(*, normal_class=0, contamination=0.1, random_state=0, return_X_y=False):
    """Handwritten digits as an anomaly task: one digit normal, the others anomalies.

    The 8x8 digits scikit-learn ships (64 features in 0..16). Every image of
    ``normal_class`` is kept; images of the nine other digits are drawn at
    random so that they form ``contamination`` of the result.

    Parameters
    ----------
    normal_class : int in 0..9, default=0
        The digit taken as normal.
    contamination : float in (0, 1) or None, default=0.1
        Fraction of anomalies in the result; ``None`` keeps all of them
        (90% anomalies).
    random_state : int, RandomState instance or None, default=0
        Which anomalies are drawn; fixed by default so the task is a fixed
        dataset.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a :class:`~sklearn.utils.Bunch`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple ``(X, y)``
        ``data`` (float64), ``target`` (1 = anomaly, 0 = normal),
        ``feature_names``, ``name`` and ``DESCR``.

    Examples
    --------
    >>> from skrobustad.datasets import load_digits_anomaly
    >>> X, y = load_digits_anomaly(return_X_y=True)
    >>> X.shape, int(y.sum())
    ((198, 64), 20)
    """
    digits = load_digits()
    bunch = _anomaly_task(
        digits.data.astype(np.float64),
        digits.target != normal_class,
        contamination=contamination,
        random_state=random_state,
        name="digits",
        descr=f"scikit-learn's digits, digit {normal_class} normal, other digits anomalies:",
        feature_names=digits.feature_names,
    )
    return (bunch.data, bunch.target) if return_X_y else bunch


@validate_params(_COMMON_CONSTRAINTS, prefer_skip_nested_validation=True)
def load_breast_cancer_anomaly(*, contamination=0.1, random_state=0, return_X_y=False):
    """Wisconsin diagnostic breast cancer: malignant tumours as anomalies.

    Every benign sample (357) is kept; malignant ones (212 in total) are
    drawn at random so that they form ``contamination`` of the result.

    Parameters
    ----------
    contamination : float in (0, 1) or None, default=0.1
        Fraction of anomalies in the result; ``None`` keeps all of them
        (37%).
    random_state : int, RandomState instance or None, default=0
        Which malignant samples are drawn.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a :class:`~sklearn.utils.Bunch`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple ``(X, y)``
        ``data`` (30 features), ``target`` (1 = malignant), ``feature_names``,
        ``name`` and ``DESCR``.

    Examples
    --------
    >>> from skrobustad.datasets import load_breast_cancer_anomaly
    >>> X, y = load_breast_cancer_anomaly(return_X_y=True)
    >>> X.shape, int(y.sum())
    ((397, 30), 40)
    """
    cancer = load_breast_cancer()
    malignant = cancer.target_names.tolist().index("malignant")
    bunch = _anomaly_task(
        cancer.data.astype(np.float64),
        cancer.target == malignant,
        contamination=contamination,
        random_state=random_state,
        name="breast_cancer",
        descr="scikit-learn's breast cancer, malignant tumours as anomalies:",
        feature_names=cancer.feature_names,
    )
    return (bunch.data, bunch.target) if return_X_y else bunch


@validate_params(_COMMON_CONSTRAINTS, prefer_skip_nested_validation=True)
def load_wine_anomaly(*, contamination=0.1, random_state=0, return_X_y=False):
    """Wine recognition: cultivars 1 and 2 normal, cultivar 0 anomalies.

    As the ODDS/ADBench ``wine`` task: the two larger classes are normal and
    the first class (59 samples) is subsampled to ``contamination`` of the
    result.

    Parameters
    ----------
    contamination : float in (0, 1) or None, default=0.1
        Fraction of anomalies in the result; ``None`` keeps all of them
        (33%).
    random_state : int, RandomState instance or None, default=0
        Which class-0 samples are drawn.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a :class:`~sklearn.utils.Bunch`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple ``(X, y)``
        ``data`` (13 features), ``target`` (1 = anomaly), ``feature_names``,
        ``name`` and ``DESCR``.

    Examples
    --------
    >>> from skrobustad.datasets import load_wine_anomaly
    >>> X, y = load_wine_anomaly(return_X_y=True)
    >>> X.shape, int(y.sum())
    ((132, 13), 13)
    """
    wine = load_wine()
    bunch = _anomaly_task(
        wine.data.astype(np.float64),
        wine.target == 0,
        contamination=contamination,
        random_state=random_state,
        name="wine",
        descr="scikit-learn's wine, cultivar 0 as anomalies:",
        feature_names=wine.feature_names,
    )
    return (bunch.data, bunch.target) if return_X_y else bunch


def _load_digits_classes(*, return_X_y=False):
    """All 1797 digits with their class (0..9) as target.

    For protocols that pick their own normal and anomaly classes (e.g. the
    AE-SAD paper's "3 vs [4, 5, 6]").
    """
    digits = load_digits()
    X, y = digits.data.astype(np.float64), digits.target.astype(np.int64)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        feature_names=np.asarray(digits.feature_names, dtype=object),
        name="digits-classes",
        DESCR="scikit-learn's digits with their class (0..9) as target, not anomaly labels.",
    )


#: Embedded tasks by name, as the benchmark runner spells them after ``"embedded:"``.
#: ``"digits-classes"`` keeps the 10 classes (target = digit) for protocols
#: that choose normal and anomaly classes themselves.
EMBEDDED_DATASETS = {
    "digits": load_digits_anomaly,
    "breast_cancer": load_breast_cancer_anomaly,
    "wine": load_wine_anomaly,
    "digits-classes": _load_digits_classes,
}


def load_embedded(name, *, return_X_y=False, **kwargs):
    """Load an embedded anomaly task by name.

    Parameters
    ----------
    name : {"digits", "breast_cancer", "wine", "digits-classes"}
        Also accepted with the benchmark's ``"embedded:"`` prefix.
    return_X_y : bool, default=False
    **kwargs
        Passed to the task's loader (e.g. ``contamination``).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple ``(X, y)``

    Examples
    --------
    >>> from skrobustad.datasets import load_embedded
    >>> load_embedded("embedded:wine").data.shape
    (132, 13)
    """
    key = name.removeprefix("embedded:")
    if key not in EMBEDDED_DATASETS:
        raise ValueError(
            f"Unknown embedded dataset {name!r}; available: {', '.join(sorted(EMBEDDED_DATASETS))}."
        )
    return EMBEDDED_DATASETS[key](return_X_y=return_X_y, **kwargs)
