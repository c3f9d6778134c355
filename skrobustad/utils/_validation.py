"""Validation of the arguments every skrobustad estimator shares."""

import warnings

import numpy as np

LABEL_ANOMALY = 1
LABEL_NORMAL = 0
LABEL_UNLABELED = -1
_ALLOWED_CODES = (LABEL_ANOMALY, LABEL_NORMAL, LABEL_UNLABELED)


def check_y_partial(y_partial, n_samples, *, warn_majority=True):
    """Validate partial labels and return them as an ``int8`` array.

    Parameters
    ----------
    y_partial : array-like of shape (n_samples,) or None
        Codes ``1`` (known anomaly), ``0`` (known normal) and ``-1``
        (unlabeled). ``None`` means every sample is unlabeled.
    n_samples : int
        Number of training samples the labels must match.
    warn_majority : bool, default=True
        Warn when more than half of the samples are labeled 1 (a likely sign
        of scikit-learn's +1 / -1 labels). Estimators whose labeled anomalies
        are an outlier-exposure corpus (usually larger than the normal set)
        turn it off.

    Returns
    -------
    y_partial : ndarray of shape (n_samples,), dtype int8
        A new array; the caller's object is never modified.

    Raises
    ------
    ValueError
        If the shape is wrong, values are not finite, or a code other than
        1, 0, -1 is present.
    """
    if y_partial is None:
        return np.full(n_samples, LABEL_UNLABELED, dtype=np.int8)
    y = np.asarray(y_partial)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(
            f"y_partial must be 1-dimensional, got an array of shape {y.shape}."
        )
    if y.shape[0] != n_samples:
        raise ValueError(
            f"y_partial has {y.shape[0]} entries but X has {n_samples} samples."
        )
    if y.dtype.kind == "O":
        # labels built in Python lists or pandas object columns: accept them
        # when every entry is a number, as scikit-learn accepts labels
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            pass
    if y.dtype.kind not in "biuf":
        raise ValueError(
            "y_partial must hold the integer codes 1 (known anomaly), 0 (known "
            f"normal) and -1 (unlabeled); got dtype {y.dtype}."
        )
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError("y_partial contains NaN or infinity; allowed codes are 1, 0, -1.")
    unknown = np.setdiff1d(np.unique(y), _ALLOWED_CODES)
    if unknown.size:
        raise ValueError(
            f"y_partial contains unknown label codes {unknown.tolist()}; allowed codes "
            "are 1 (known anomaly), 0 (known normal) and -1 (unlabeled)."
        )
    y = y.astype(np.int8)
    if warn_majority and n_samples and np.count_nonzero(y == LABEL_ANOMALY) > n_samples / 2:
        warnings.warn(
            "More than half of the samples are labeled 1 (known anomaly) in "
            "y_partial. skrobustad uses 1 = anomaly, 0 = normal, -1 = unlabeled; "
            "labels in scikit-learn's +1 (inlier) / -1 (outlier) convention must be "
            "converted first.",
            UserWarning,
            stacklevel=3,
        )
    return y


def resolve_device(device):
    """Turn a ``device`` parameter into an available :class:`torch.device`.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:N", "mps"} or torch.device
        ``"auto"`` picks CUDA, then MPS, then the CPU.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If the string is not a device or the device is not available here.
    """
    import torch  # here, so that skrobustad.utils stays importable without torch

    if isinstance(device, str) and device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid device; use 'auto', 'cpu', 'cuda', "
            "'cuda:N', 'mps' or a torch.device."
        ) from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on this "
                "machine; use device='cpu' or device='auto'."
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) are available."
            )
    elif dev.type == "mps":
        if not _mps_available():
            raise ValueError(
                f"device={device!r} was requested but MPS is not available on this "
                "machine; use device='cpu' or device='auto'."
            )
    elif dev.type != "cpu":
        raise ValueError(
            f"device={device!r} is not supported; use 'auto', 'cpu', 'cuda', "
            "'cuda:N' or 'mps'."
        )
    return dev


def _mps_available():
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())
