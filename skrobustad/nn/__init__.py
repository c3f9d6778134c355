"""Plain torch modules used by the skrobustad estimators (no scikit-learn here)."""

from ._adapters import (
    AdaptedLayer,
    AdaptedNetwork,
    ConvAdapter,
    ExpertGate,
    LowRankAdapter,
    adapter_parameters,
    attach_adapters,
    freeze,
)
from ._conv import ConvAutoEncoder
from ._flows import MAFDensity
from ._hypersphere import HypersphereEncoder
from ._mlp import MLP, MLPAutoEncoder, get_activation
from ._pretrain import pretrain_classifier
from ._resnet import BasicBlock, ResidualCNN, ResidualMLP

__all__ = [
    "MLP",
    "AdaptedLayer",
    "AdaptedNetwork",
    "BasicBlock",
    "ConvAdapter",
    "ConvAutoEncoder",
    "ExpertGate",
    "HypersphereEncoder",
    "LowRankAdapter",
    "MAFDensity",
    "MLPAutoEncoder",
    "ResidualCNN",
    "ResidualMLP",
    "adapter_parameters",
    "attach_adapters",
    "freeze",
    "get_activation",
    "pretrain_classifier",
]
