"""Plain torch modules used by the skrobustad estimators (no scikit-learn here)."""

from ._mlp import MLP, MLPAutoEncoder, get_activation

__all__ = ["MLP", "MLPAutoEncoder", "get_activation"]
