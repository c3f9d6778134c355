"""skrobustad: robust deep anomaly detection with a scikit-learn API."""

from .base import BaseDeepDetector
from .detectors import AutoEncoder

__version__ = "0.1.0.dev0"

__all__ = ["AutoEncoder", "BaseDeepDetector", "__version__"]
