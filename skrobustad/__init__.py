"""skrobustad: robust deep anomaly detection with a scikit-learn API."""

from .base import BaseDeepDetector
from .detectors import ADRA, AESAD, ELITE, MAF, AutoEncoder, DeepSAD, DeepSVDD, RobustAE
from .meta import MetaRAE
from .wrappers import IAD

__version__ = "0.1.0.dev0"

__all__ = [
    "ADRA", "AESAD", "AutoEncoder", "BaseDeepDetector", "DeepSAD", "DeepSVDD", "ELITE", "IAD",
    "MAF", "MetaRAE", "RobustAE",
    "__version__",
]
