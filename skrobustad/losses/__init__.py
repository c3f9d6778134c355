"""Per-sample loss functions (pure functions of tensors, no reduction over samples)."""

from ._reconstruction import squared_error

__all__ = ["squared_error"]
