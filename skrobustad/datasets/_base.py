"""Where benchmark data lives on disk."""

import os
from pathlib import Path

#: Environment variable naming the data home.
DATA_HOME_ENV = "SKROBUSTAD_DATA_HOME"

#: Data home used when neither an argument nor the environment names one.
DEFAULT_DATA_HOME = "~/skrobustad_data"


def get_data_home(data_home=None, *, return_origin=False):
    """Return the path of the skrobustad data home.

    The data home holds downloaded or copied benchmark files, e.g. ADBench's
    ``.npz`` files under ``<data_home>/adbench/Classical/``. It is, in order
    of precedence:

    1. the ``data_home`` argument;
    2. the ``SKROBUSTAD_DATA_HOME`` environment variable;
    3. ``~/skrobustad_data``.

    The folder is not created: loaders only read from it, and downloads
    create what they write.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Explicit data home.
    return_origin : bool, default=False
        Also return which rule chose the path, for messages (e.g.
        ``"$SKROBUSTAD_DATA_HOME"``).

    Returns
    -------
    data_home : pathlib.Path
        Absolute path, ``~`` expanded.
    origin : str
        When ``return_origin`` is True: ``"the data_home argument"``,
        ``"$SKROBUSTAD_DATA_HOME"`` or ``"the default ($SKROBUSTAD_DATA_HOME is
        not set)"``.

    Examples
    --------
    >>> from skrobustad.datasets import get_data_home
    >>> str(get_data_home("/data/anomaly"))
    '/data/anomaly'
    """
    path, origin = _data_home_with_origin(data_home)
    return (Path(path), origin) if return_origin else Path(path)


def _data_home_with_origin(data_home=None):
    """``(path, origin)`` where origin says which rule chose the path."""
    if data_home is not None:
        origin = "the data_home argument"
    elif os.environ.get(DATA_HOME_ENV):
        data_home = os.environ[DATA_HOME_ENV]
        origin = f"${DATA_HOME_ENV}"
    else:
        data_home = DEFAULT_DATA_HOME
        origin = f"the default (${DATA_HOME_ENV} is not set)"
    return Path(os.path.expanduser(os.fspath(data_home))).absolute(), origin
