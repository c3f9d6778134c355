"""Masked scorers: evaluate anomaly scores on the labeled samples only.

Model selection with partial labels uses ``y_eval`` in the ``y_partial``
codes of skrobustad: ``1`` = known anomaly, ``0`` = known normal and ``-1`` =
unlabeled. The metrics of this module keep the entries coded ``0`` or ``1``
and ignore (mask) the ``-1`` entries, so the same label vector can stratify a
cross-validation, feed ``y_partial`` to ``fit`` and score each held-out fold.

Two kinds of objects are provided:

- metric functions ``metric(y_eval, anomaly_score)`` where ``anomaly_score``
  is *higher for more abnormal* samples (the anomaly convention, as PyOD's
  ``decision_function``);
- scorers ``scorer(estimator, X, y_eval)`` for ``GridSearchCV(scoring=...)``,
  ``cross_val_score`` and friends. They compute
  ``anomaly_score = -estimator.score_samples(X)`` (scikit-learn's outlier
  convention is higher = more normal), so the sign is handled for the user.
  ``estimator`` may be a :class:`~sklearn.pipeline.Pipeline` ending in an
  outlier detector. They are scikit-learn scorers
  (:func:`~sklearn.metrics.make_scorer` with
  ``response_method="score_samples"``) and take part in metadata routing.

A fold whose labeled entries hold a single class (or no labeled entry at all)
has no defined AUROC or average precision: the metric returns ``nan`` and
emits an :class:`~sklearn.exceptions.UndefinedMetricWarning`. ``GridSearchCV``
then ranks a candidate with a ``nan`` mean score last; stratify the folds on
``y_eval`` (e.g. ``StratifiedKFold``) so every fold receives labeled samples
of both classes.
"""

import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import average_precision_score, make_scorer, roc_auc_score
from sklearn.utils import check_consistent_length, column_or_1d

from .utils._validation import LABEL_ANOMALY, LABEL_NORMAL, LABEL_UNLABELED

__all__ = [
    "make_masked_scorer",
    "masked_average_precision_score",
    "masked_average_precision_scorer",
    "masked_roc_auc_score",
    "masked_roc_auc_scorer",
]

_CODES = (LABEL_ANOMALY, LABEL_NORMAL, LABEL_UNLABELED)


def _labeled_subset(y_eval, anomaly_score, sample_weight, metric_name):
    """Validate the inputs and keep the entries labeled 0 or 1.

    Returns ``None`` (after warning) when the labeled entries do not contain
    both classes.
    """
    y_eval = column_or_1d(y_eval)
    anomaly_score = column_or_1d(anomaly_score)
    check_consistent_length(y_eval, anomaly_score, sample_weight)
    if y_eval.dtype.kind not in "biuf":
        raise ValueError(
            "y_eval must hold the codes 1 (known anomaly), 0 (known normal) and "
            f"-1 (unlabeled); got dtype {y_eval.dtype}."
        )
    unknown = np.setdiff1d(np.unique(y_eval), _CODES)
    if unknown.size:
        raise ValueError(
            f"y_eval contains unknown label codes {unknown.tolist()}; allowed codes "
            "are 1 (known anomaly), 0 (known normal) and -1 (unlabeled, ignored)."
        )
    labeled = y_eval != LABEL_UNLABELED
    y_true = y_eval[labeled].astype(int)
    if np.unique(y_true).size < 2:
        warnings.warn(
            f"{metric_name} is undefined: the labeled entries of y_eval (codes 0 "
            f"and 1; {y_true.size} of {y_eval.size} entries) do not contain both "
            "known normals and known anomalies. Returning nan. Stratify the "
            "cross-validation on y_eval so that every fold holds both classes.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return None
    if sample_weight is not None:
        sample_weight = column_or_1d(sample_weight)[labeled]
    return y_true, anomaly_score[labeled], sample_weight


def masked_roc_auc_score(y_eval, anomaly_score, *, sample_weight=None):
    """Area under the ROC curve on the labeled entries only.

    Parameters
    ----------
    y_eval : array-like of shape (n_samples,)
        Partial labels: 1 = known anomaly, 0 = known normal, -1 = unlabeled.
        Entries coded -1 are ignored.
    anomaly_score : array-like of shape (n_samples,)
        Anomaly scores, higher for more abnormal samples (e.g.
        ``-estimator.score_samples(X)``).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights, passed to :func:`~sklearn.metrics.roc_auc_score` for
        the labeled entries.

    Returns
    -------
    auc : float
        ``roc_auc_score(y_eval[m], anomaly_score[m])`` with
        ``m = y_eval != -1``; ``nan`` (with an
        :class:`~sklearn.exceptions.UndefinedMetricWarning`) when the labeled
        entries do not contain both classes.

    Raises
    ------
    ValueError
        If ``y_eval`` holds a code other than 1, 0 and -1, or the lengths
        differ.

    See Also
    --------
    masked_roc_auc_scorer : the same metric as a scorer for model selection.
    masked_average_precision_score : average precision on the labeled entries.

    Examples
    --------
    >>> from skrobustad.metrics import masked_roc_auc_score
    >>> masked_roc_auc_score([1, 0, -1, 0], [0.9, 0.2, 0.95, 0.3])
    1.0
    """
    subset = _labeled_subset(y_eval, anomaly_score, sample_weight, "ROC AUC")
    if subset is None:
        return float("nan")
    y_true, score, weight = subset
    return float(roc_auc_score(y_true, score, sample_weight=weight))


def masked_average_precision_score(y_eval, anomaly_score, *, sample_weight=None):
    """Average precision of the anomaly class on the labeled entries only.

    Parameters
    ----------
    y_eval : array-like of shape (n_samples,)
        Partial labels: 1 = known anomaly, 0 = known normal, -1 = unlabeled.
        Entries coded -1 are ignored.
    anomaly_score : array-like of shape (n_samples,)
        Anomaly scores, higher for more abnormal samples.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights, passed to
        :func:`~sklearn.metrics.average_precision_score` for the labeled
        entries.

    Returns
    -------
    average_precision : float
        ``average_precision_score(y_eval[m], anomaly_score[m])`` with
        ``m = y_eval != -1`` (anomalies are the positive class); ``nan`` (with
        an :class:`~sklearn.exceptions.UndefinedMetricWarning`) when the
        labeled entries do not contain both classes.

    Raises
    ------
    ValueError
        If ``y_eval`` holds a code other than 1, 0 and -1, or the lengths
        differ.

    See Also
    --------
    masked_average_precision_scorer : the same metric as a scorer.
    masked_roc_auc_score : ROC AUC on the labeled entries.

    Examples
    --------
    >>> from skrobustad.metrics import masked_average_precision_score
    >>> masked_average_precision_score([1, 0, -1, 0], [0.9, 0.2, 0.95, 0.3])
    1.0
    """
    subset = _labeled_subset(y_eval, anomaly_score, sample_weight, "Average precision")
    if subset is None:
        return float("nan")
    y_true, score, weight = subset
    return float(average_precision_score(y_true, score, sample_weight=weight))


class _OnNormalityScores:
    """``metric(y_eval, -normality_score)``: a masked anomaly metric fed ``score_samples``.

    scikit-learn's scorers pass the estimator's ``score_samples`` (higher =
    more normal); the masked metrics take anomaly scores (higher = more
    abnormal). This picklable wrapper negates once, in one place.
    """

    def __init__(self, metric):
        self.metric = metric
        self.__name__ = getattr(metric, "__name__", type(metric).__name__)

    def __call__(self, y_eval, normality_score, **kwargs):
        anomaly_score = -np.asarray(normality_score, dtype=np.float64)
        return self.metric(y_eval, anomaly_score, **kwargs)


def make_masked_scorer(metric, **kwargs):
    """Make a model-selection scorer from a masked anomaly metric.

    The scorer is called as ``scorer(estimator, X, y_eval)``; it computes
    ``anomaly_score = -estimator.score_samples(X)`` and returns
    ``metric(y_eval, anomaly_score, **kwargs)``. Use it with
    ``GridSearchCV(scoring=...)``, ``cross_val_score`` or
    ``cross_validate``.

    Parameters
    ----------
    metric : callable
        ``metric(y_eval, anomaly_score, **kwargs) -> float`` where higher
        values are better and ``anomaly_score`` is higher for more abnormal
        samples. A metric written for fully labeled 0/1 targets (e.g.
        :func:`sklearn.metrics.roc_auc_score`) receives the raw ``y_eval``,
        including the ``-1`` entries: mask them in the metric (see
        :func:`masked_roc_auc_score`).
    **kwargs : dict
        Extra keyword arguments passed to ``metric``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y_eval, sample_weight=None) -> float``, a
        scikit-learn scorer (:func:`sklearn.metrics.make_scorer` with
        ``response_method="score_samples"``), so it takes part in metadata
        routing: ``scorer.set_score_request(sample_weight=True)`` routes
        ``sample_weight`` to the metric.

    See Also
    --------
    masked_roc_auc_scorer : ``make_masked_scorer(masked_roc_auc_score)``.
    masked_average_precision_scorer :
        ``make_masked_scorer(masked_average_precision_score)``.

    Examples
    --------
    >>> from sklearn.metrics import roc_auc_score
    >>> from skrobustad.metrics import make_masked_scorer
    >>> def partial_auc(y_eval, anomaly_score):
    ...     mask = y_eval != -1
    ...     return roc_auc_score(y_eval[mask], anomaly_score[mask], max_fpr=0.1)
    >>> scorer = make_masked_scorer(partial_auc)
    """
    if not callable(metric):
        raise TypeError(f"metric must be callable, got {metric!r}.")
    # a one-entry list: make_scorer validates str values against the
    # classifier methods only, and takes any list of method names
    return make_scorer(_OnNormalityScores(metric), response_method=["score_samples"], **kwargs)


#: Scorer: ROC AUC of ``-score_samples(X)`` on the labeled entries of ``y_eval``.
masked_roc_auc_scorer = make_masked_scorer(masked_roc_auc_score)

#: Scorer: average precision of ``-score_samples(X)`` on the labeled entries.
masked_average_precision_scorer = make_masked_scorer(masked_average_precision_score)
