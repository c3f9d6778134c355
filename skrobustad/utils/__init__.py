"""Validation helpers shared by the skrobustad estimators."""

from ._validation import check_y_partial, resolve_device

__all__ = ["check_y_partial", "resolve_device"]
