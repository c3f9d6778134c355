"""The public outlier detectors, one private module each."""

from ._adra import ADRA
from ._aesad import AESAD
from ._autoencoder import AutoEncoder
from ._deep_svdd import DeepSVDD
from ._maf import MAF
from ._robust_ae import RobustAE

__all__ = ["ADRA", "AESAD", "AutoEncoder", "DeepSVDD", "MAF", "RobustAE"]
