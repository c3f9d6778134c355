"""Per-sample loss functions (pure functions of tensors, no reduction over samples)."""

from ._aesad import TARGET_TRANSFORMS, aesad_loss
from ._reconstruction import squared_error

__all__ = ["TARGET_TRANSFORMS", "aesad_loss", "squared_error"]
