"""The public outlier detectors, one private module each."""

from ._adra import ADRA
from ._aesad import AESAD
from ._autoencoder import AutoEncoder
from ._deep_sad import DeepSAD
from ._deep_svdd import DeepSVDD
from ._elite import ELITE
from ._maf import MAF
from ._robust_ae import RobustAE

__all__ = ["ADRA", "AESAD", "AutoEncoder", "DeepSAD", "DeepSVDD", "ELITE", "MAF", "RobustAE"]
