"""The public outlier detectors, one private module each."""

from ._autoencoder import AutoEncoder

__all__ = ["AutoEncoder"]
