"""The public outlier detectors, one private module each."""

from ._autoencoder import AutoEncoder
from ._deep_svdd import DeepSVDD
from ._maf import MAF
from ._robust_ae import RobustAE

__all__ = ["AutoEncoder", "DeepSVDD", "MAF", "RobustAE"]
