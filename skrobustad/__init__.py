"""skrobustad: robust deep anomaly detection with a scikit-learn API."""

from .base import BaseDeepDetector
from .detectors import ADRA, AESAD, MAF, AutoEncoder, DeepSVDD, RobustAE
from .wrappers import IAD

__version__ = "0.1.0.dev0"

__all__ = [
    "ADRA",
    "AESAD",
    "IAD",
    "MAF",
    "AutoEncoder",
    "BaseDeepDetector",
    "DeepSVDD",
    "RobustAE",
    "__version__",
]
