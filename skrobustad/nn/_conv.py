"""A convolutional autoencoder for images given as flat feature vectors."""

import math

from torch import nn

from ._mlp import MLP, check_widths, get_activation


def _conv_out(size):
    """Spatial size after a 3x3 convolution with stride 2 and padding 1."""
    return (size - 1) // 2 + 1


class ConvAutoEncoder(nn.Module):
    """Convolutional autoencoder for images of any number of channels.

    The module takes and returns *flat* rows of ``C * H * W`` features (the
    layout of ``X`` in scikit-learn, channel-major as ``x.reshape(C, H, W)``)
    so that it is a drop-in replacement for :class:`MLPAutoEncoder`.

    The encoder is a stack of 3x3 convolutions of stride 2 (one per entry
    of ``channels``, each halving height and width, rounded up), then dense
    layers ``hidden_dims[:-1]`` to a linear code of size ``hidden_dims[-1]``.
    The decoder mirrors it with transposed convolutions whose output padding
    restores odd sizes exactly.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)``, or ``(H, W)`` for a single channel.
    channels : sequence of int, default=(16, 32)
        Output channels of the encoder's convolutions.
    hidden_dims : sequence of int, default=(32,)
        Dense widths after the convolutions; the last one is the code size.
    activation : str, default="relu"
    batch_norm : bool, default=False
        Batch normalisation after each hidden convolution / dense layer.
    dropout : float, default=0.0
        Dropout after each hidden dense layer.
    output_activation : str or None
        Activation of the reconstruction (``"sigmoid"`` for data in [0, 1]).
    """

    def __init__(
        self,
        image_shape,
        channels=(16, 32),
        hidden_dims=(32,),
        *,
        activation="relu",
        batch_norm=False,
        dropout=0.0,
        output_activation=None,
    ):
        super().__init__()
        image_shape = tuple(int(s) for s in image_shape)
        if len(image_shape) == 2:
            image_shape = (1, *image_shape)
        if len(image_shape) != 3 or min(image_shape) < 1:
            raise ValueError(
                f"image_shape must be (C, H, W) or (H, W) of positive ints, got {image_shape}."
            )
        channels = check_widths(channels, "channels")
        hidden_dims = check_widths(hidden_dims)
        self.image_shape = image_shape

        n_channels, height, width = image_shape
        sizes = [(height, width)]
        encoder = []
        c_in = n_channels
        for c_out in channels:
            encoder.append(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1))
            if batch_norm:
                encoder.append(nn.BatchNorm2d(c_out))
            encoder.append(get_activation(activation))
            sizes.append((_conv_out(sizes[-1][0]), _conv_out(sizes[-1][1])))
            c_in = c_out
        code_shape = (channels[-1], *sizes[-1])
        n_flat = math.prod(code_shape)
        dense = dict(activation=activation, batch_norm=batch_norm, dropout=dropout)
        encoder.append(nn.Flatten())
        encoder.append(MLP(n_flat, hidden_dims[:-1], hidden_dims[-1], **dense))
        self.encoder = nn.Sequential(*encoder)

        decoder = [MLP(hidden_dims[-1], hidden_dims[-2::-1], n_flat, **dense)]
        if batch_norm:
            decoder.append(nn.BatchNorm1d(n_flat))
        decoder += [get_activation(activation), nn.Unflatten(1, code_shape)]
        outs = [*channels[-2::-1], n_channels]
        c_in = channels[-1]
        for i, c_out in enumerate(outs):
            target = sizes[-2 - i]
            current = sizes[-1 - i]
            padding = (target[0] - (2 * current[0] - 1), target[1] - (2 * current[1] - 1))
            decoder.append(
                nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=padding)
            )
            if i < len(outs) - 1:
                if batch_norm:
                    decoder.append(nn.BatchNorm2d(c_out))
                decoder.append(get_activation(activation))
            c_in = c_out
        if output_activation is not None:
            decoder.append(get_activation(output_activation))
        self.decoder = nn.Sequential(*decoder)

    def forward(self, x):
        shape = x.shape
        images = x.reshape(shape[0], *self.image_shape)
        return self.decoder(self.encoder(images)).reshape(shape)
