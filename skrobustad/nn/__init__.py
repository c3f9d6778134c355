"""Plain torch modules used by the skrobustad estimators (no scikit-learn here)."""

from ._flows import MAFDensity
from ._hypersphere import HypersphereEncoder
from ._mlp import MLP, MLPAutoEncoder, get_activation

__all__ = [
    "HypersphereEncoder",
    "MAFDensity",
    "MLP",
    "MLPAutoEncoder",
    "get_activation",
]
