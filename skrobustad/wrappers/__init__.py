"""Meta-estimators that make any outlier detector robust to contaminated data."""

from ._iad import IAD, importance_weights, median_crossings, otsu_contamination

__all__ = ["IAD", "importance_weights", "median_crossings", "otsu_contamination"]
