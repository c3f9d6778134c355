"""Per-sample loss functions (pure functions of tensors, no reduction over samples)."""

from ._aesad import TARGET_TRANSFORMS, aesad_loss
from ._hsc import hsc_loss, hsc_radial
from ._reconstruction import squared_error

__all__ = ["TARGET_TRANSFORMS", "aesad_loss", "hsc_loss", "hsc_radial", "squared_error"]
