"""Reconstruction losses."""


def squared_error(x, x_hat):
    """Mean squared error over features, one value per sample.

    Parameters
    ----------
    x, x_hat : Tensor of shape (n, ...)

    Returns
    -------
    Tensor of shape (n,)
    """
    return (x - x_hat).pow(2).flatten(1).mean(dim=1)
