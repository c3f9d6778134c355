"""Plain torch modules used by the skrobustad estimators (no scikit-learn here)."""

from ._conv import ConvAutoEncoder
from ._flows import MAFDensity
from ._hypersphere import HypersphereEncoder
from ._mlp import MLP, MLPAutoEncoder, get_activation

__all__ = [
    "ConvAutoEncoder",
    "HypersphereEncoder",
    "MAFDensity",
    "MLP",
    "MLPAutoEncoder",
    "get_activation",
]
