"""Validation helpers shared by the skrobustad estimators."""

from ._scores import offset_from_anomaly_scores
from ._validation import check_y_partial, resolve_device

__all__ = ["check_y_partial", "offset_from_anomaly_scores", "resolve_device"]
