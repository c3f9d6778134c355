"""The threshold rule shared by every skrobustad outlier detector."""

import numpy as np
from sklearn.base import OutlierMixin


def tukey_fence(anomaly_scores):
    """``Q3 + 1.5 * (Q3 - Q1)`` of the anomaly scores: above it, a score is an outlier."""
    q1, q3 = np.percentile(np.asarray(anomaly_scores, dtype=np.float64), [25.0, 75.0])
    return float(q3 + 1.5 * (q3 - q1))


def offset_from_anomaly_scores(anomaly_scores, contamination):
    """``offset_`` such that ``decision_function = score_samples - offset_``.

    Parameters
    ----------
    anomaly_scores : ndarray of shape (n_samples,)
        Training anomaly scores (higher = more abnormal, i.e. the negated
        ``score_samples``).
    contamination : "auto" or float in (0, 0.5]
        A float puts ``offset_`` at the ``100 * contamination`` percentile of
        the training ``score_samples``. ``"auto"`` uses Tukey's fence: a
        sample is an outlier when its anomaly score exceeds
        ``Q3 + 1.5 * (Q3 - Q1)`` of the training anomaly scores.

    Returns
    -------
    offset : float
    """
    anomaly_scores = np.asarray(anomaly_scores, dtype=np.float64)
    if isinstance(contamination, str) and contamination == "auto":
        return -tukey_fence(anomaly_scores)
    return float(np.percentile(-anomaly_scores, 100.0 * contamination))


class OffsetOutlierMixin(OutlierMixin):
    """``decision_function`` and ``predict`` from ``score_samples`` and ``offset_``.

    Shared by skrobustad's detectors and wrappers: a subclass defines
    ``score_samples`` (higher = more normal) and sets ``offset_`` in ``fit``
    (see :func:`offset_from_anomaly_scores`).
    """

    def decision_function(self, X):
        """Shifted score: negative for outliers, positive for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Predict +1 for inliers and -1 for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,) of int
        """
        return np.where(self.decision_function(X) < 0, -1, 1)
