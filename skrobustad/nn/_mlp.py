"""Multi-layer perceptrons and a symmetric dense autoencoder."""

import numbers

from torch import nn

from ._dropout import Dropout

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def check_widths(widths, name="hidden_dims", *, allow_empty=False):
    """Return ``widths`` as a list of ints, or raise ``ValueError`` naming ``name``.

    Every entry must be a positive integer (``2.5``, ``"a"`` and ``True``
    are refused rather than truncated or parsed).
    """
    try:
        values = list(widths)
    except TypeError:
        values = None
    valid = values is not None and (allow_empty or values) and all(
        isinstance(w, numbers.Integral) and not isinstance(w, bool) and w >= 1 for w in values
    )
    if not valid:
        kind = "a sequence" if allow_empty else "a non-empty sequence"
        raise ValueError(f"{name} must be {kind} of positive ints, got {widths!r}.")
    return [int(w) for w in values]


def get_activation(name):
    """Return a new activation module from its name (see ``_ACTIVATIONS``)."""
    try:
        return _ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"Unknown activation {name!r}; choose one of {sorted(_ACTIVATIONS)}."
        ) from None


def _hidden_tail(width, *, activation, bias, batch_norm, dropout):
    """The modules after a hidden linear layer: [batch norm], activation, [dropout]."""
    modules = []
    if batch_norm:
        modules.append(nn.BatchNorm1d(width, affine=bias))
    modules.append(get_activation(activation))
    if dropout:
        modules.append(Dropout(dropout))
    return modules


class MLP(nn.Sequential):
    """Dense network ``in -> hidden_dims... -> out``.

    Parameters
    ----------
    in_features, out_features : int
    hidden_dims : sequence of int
        Widths of the hidden layers (may be empty).
    activation : str, default="relu"
        Applied after every hidden layer.
    bias : bool, default=True
        ``False`` gives a bias-free network (needed by Deep SVDD).
    batch_norm : bool, default=False
        Batch normalisation after each hidden linear layer (affine only when
        ``bias`` is true, so a bias-free network stays bias-free).
    dropout : float, default=0.0
        Dropout after each hidden activation.
    output_activation : str or None
        Activation applied to the output (e.g. ``"sigmoid"``).
    """

    def __init__(
        self,
        in_features,
        hidden_dims,
        out_features,
        *,
        activation="relu",
        bias=True,
        batch_norm=False,
        dropout=0.0,
        output_activation=None,
    ):
        layers = []
        dims = [int(in_features), *check_widths(hidden_dims, allow_empty=True)]
        for d_in, d_out in zip(dims[:-1], dims[1:]):
            layers.append(nn.Linear(d_in, d_out, bias=bias))
            layers.extend(_hidden_tail(d_out, activation=activation, bias=bias,
                                       batch_norm=batch_norm, dropout=dropout))
        layers.append(nn.Linear(dims[-1], int(out_features), bias=bias))
        if output_activation is not None:
            layers.append(get_activation(output_activation))
        super().__init__(*layers)


class MLPAutoEncoder(nn.Module):
    """Symmetric dense autoencoder.

    The encoder maps ``n_features -> hidden_dims[:-1] -> hidden_dims[-1]``
    (the code) and the decoder mirrors it back to ``n_features``.

    Parameters
    ----------
    n_features : int
    hidden_dims : sequence of int
        Encoder widths; the last one is the code size.
    activation, bias, batch_norm, dropout : see :class:`MLP`
    output_activation : str or None
        Activation of the reconstruction (``"sigmoid"`` for data in [0, 1]).
    activate_code : bool, default=False
        ``False``: the code is a linear layer. ``True``: the code layer is a
        hidden layer like the others (batch norm, activation, dropout), as in
        PyOD's autoencoder.
    """

    def __init__(
        self,
        n_features,
        hidden_dims,
        *,
        activation="relu",
        bias=True,
        batch_norm=False,
        dropout=0.0,
        output_activation=None,
        activate_code=False,
    ):
        super().__init__()
        hidden_dims = check_widths(hidden_dims)
        kw = dict(activation=activation, bias=bias, batch_norm=batch_norm, dropout=dropout)
        self.encoder = MLP(n_features, hidden_dims[:-1], hidden_dims[-1], **kw)
        if activate_code:
            self.encoder.extend(_hidden_tail(hidden_dims[-1], **kw))
        self.decoder = MLP(
            hidden_dims[-1],
            hidden_dims[-2::-1],
            n_features,
            output_activation=output_activation,
            **kw,
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))
