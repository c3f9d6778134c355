"""Loader of ADBench's ``.npz`` benchmark files.

ADBench (Han et al., "ADBench: Anomaly Detection Benchmark", NeurIPS 2022)
distributes every dataset as one ``.npz`` file with ``X`` (n_samples,
n_features) and ``y`` (1 = anomaly, 0 = normal), grouped in collections
(``Classical`` for the tabular datasets, ``CV_by_ResNet18``... for embedded
images and texts). skrobustad reads them from
``<data_home>/adbench/<collection>/<name>.npz``.
"""

import os
import re
import shutil
import tempfile
import urllib.request
import zipfile
import zlib

import numpy as np
from sklearn.utils import Bunch

from ._base import DATA_HOME_ENV, _data_home_with_origin

#: Where ADBench's public repository serves its files.
ADBENCH_URL = (
    "https://github.com/Minqi824/ADBench/raw/main/adbench/datasets/{collection}/{name}.npz"
)

#: ADBench's collections (sub-folders of ``<data_home>/adbench``).
ADBENCH_COLLECTIONS = ("Classical", "CV_by_ResNet18", "CV_by_ViT", "NLP_by_BERT", "NLP_by_RoBERTa")

#: The 47 tabular datasets of ADBench's ``Classical`` collection.
ADBENCH_CLASSICAL = (
    "1_ALOI", "2_annthyroid", "3_backdoor", "4_breastw", "5_campaign", "6_cardio",
    "7_Cardiotocography", "8_celeba", "9_census", "10_cover", "11_donors", "12_fault",
    "13_fraud", "14_glass", "15_Hepatitis", "16_http", "17_InternetAds", "18_Ionosphere",
    "19_landsat", "20_letter", "21_Lymphography", "22_magic.gamma", "23_mammography",
    "24_mnist", "25_musk", "26_optdigits", "27_PageBlocks", "28_pendigits", "29_Pima",
    "30_satellite", "31_satimage-2", "32_shuttle", "33_skin", "34_smtp", "35_SpamBase",
    "36_speech", "37_Stamps", "38_thyroid", "39_vertebral", "40_vowels", "41_Waveform",
    "42_WBC", "43_WDBC", "44_Wilt", "45_wine", "46_WPBC", "47_yeast",
)  # fmt: skip

_PREFIX = re.compile(r"^\d+_")


def adbench_short_name(name):
    """The key ADBench names are matched on: no numeric prefix, lower case.

    Parameters
    ----------
    name : str

    Returns
    -------
    key : str

    Examples
    --------
    >>> from skrobustad.datasets import adbench_short_name
    >>> adbench_short_name("6_cardio"), adbench_short_name("Cardio")
    ('cardio', 'cardio')
    """
    return _PREFIX.sub("", name).lower()



def _sort_key(name):
    match = re.match(r"^(\d+)_", name)
    return (0, int(match.group(1)), name) if match else (1, 0, name.lower())


def _adbench_root(data_home):
    home, origin = _data_home_with_origin(data_home)
    return home / "adbench", origin


def _check_collection(collection):
    if collection is not None and collection not in ADBENCH_COLLECTIONS:
        raise ValueError(
            f"Unknown ADBench collection {collection!r}; expected one of "
            f"{', '.join(ADBENCH_COLLECTIONS)}."
        )


def _found_files(root, collection=None):
    """``{(collection, name): path}`` of every ``.npz`` file under ``root``."""
    collections = [collection] if collection is not None else ADBENCH_COLLECTIONS
    found = {}
    for coll in collections:
        folder = root / coll
        if folder.is_dir():
            for path in folder.glob("*.npz"):
                found[(coll, path.stem)] = path
    return found


def list_adbench(data_home=None, *, collection=None, require=False):
    """Names of the ADBench datasets found in the data home.

    Parameters
    ----------
    data_home : str or path-like, default=None
        See :func:`get_data_home`; files are looked for in
        ``<data_home>/adbench/<collection>/*.npz``.
    collection : str, default=None
        Only this collection (e.g. ``"Classical"``); all when None.
    require : bool, default=False
        Raise :class:`FileNotFoundError`, saying where it looked and how to
        point to the data, instead of returning an empty list.

    Returns
    -------
    names : list of str
        File stems (``"6_cardio"``, ``"MVTec-AD_bottle"``) in ADBench's order;
        empty when nothing is found. A name present in several collections
        is listed once per collection as ``"<collection>/<name>"``.

    Examples
    --------
    >>> from skrobustad.datasets import list_adbench
    >>> list_adbench("/nonexistent")
    []
    """
    _check_collection(collection)
    root, origin = _adbench_root(data_home)
    found = _found_files(root, collection)
    if require and not found:
        raise FileNotFoundError(_missing_home_message(root, origin))
    stems = [name for _, name in found]
    names = [name if stems.count(name) == 1 else f"{coll}/{name}" for coll, name in found]
    return sorted(names, key=_sort_key)


def _missing_home_message(root, origin):
    return (
        f"No ADBench data found: looked for <collection>/*.npz files in {root} "
        f"(data home chosen by {origin}). Put ADBench's .npz files there "
        f"(e.g. {root / 'Classical' / '6_cardio.npz'}), point {DATA_HOME_ENV} "
        "(or data_home=..., or skrobustad-bench --data-home) at the folder that "
        "holds 'adbench/', or pass download_if_missing=True to download from "
        "ADBench's repository."
    )


def _resolve(name, root, origin, collection):
    """Path of the file called ``name`` (with or without numeric prefix)."""
    if "/" in name:
        collection, name = name.split("/", 1)
        _check_collection(collection)
    found = _found_files(root, collection)
    matches = [key for key in found if key[1] == name]
    if not matches:
        matches = [key for key in found if adbench_short_name(key[1]) == adbench_short_name(name)]
    if len(matches) == 1:
        return found[matches[0]]
    if len(matches) > 1:
        options = ", ".join(f"{c}/{n}" for c, n in sorted(matches))
        raise ValueError(f"ADBench name {name!r} is ambiguous; use one of: {options}.")
    if not found:
        raise FileNotFoundError(_missing_home_message(root, origin))
    raise ValueError(
        f"Unknown ADBench dataset {name!r}: no such .npz file in {root}. Found: "
        f"{', '.join(list_adbench(root.parent, collection=collection))}."
    )


def find_adbench(name, data_home=None, *, collection=None):
    """Path of the ADBench file ``name`` in the data home (nothing is read).

    Parameters
    ----------
    name : str
        As :func:`load_adbench` takes it (``"cardio"``, ``"6_cardio"``,
        ``"Classical/6_cardio"``).
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    collection : str, default=None
        Restrict the search to one collection.

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    FileNotFoundError
        When no ADBench file is found at all (the message says where it
        looked and how to point to the data).
    ValueError
        When ``name`` matches no file found (the message lists those found)
        or several.
    """
    _check_collection(collection)
    root, origin = _adbench_root(data_home)
    return _resolve(name, root, origin, collection)


def _download_target(name, root, collection):
    """``(url, path)`` to download ``name``; only unambiguous names qualify."""
    if "/" in name:
        collection, name = name.split("/", 1)
        _check_collection(collection)
    if collection in (None, "Classical"):
        key = adbench_short_name(name)
        matches = [n for n in ADBENCH_CLASSICAL if n == name or adbench_short_name(n) == key]
        if matches:
            name, collection = matches[0], "Classical"
    if collection is None:
        raise ValueError(
            f"{name!r} is not one of ADBench's Classical datasets; to download "
            "another collection's file, pass collection=... and its exact name."
        )
    return ADBENCH_URL.format(collection=collection, name=name), root / collection / f"{name}.npz"


def _download(url, path):
    """Download ``url`` to ``path`` atomically (a partial file never remains)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            shutil.copyfileobj(response, out)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def load_adbench(
    name, *, data_home=None, collection=None, return_X_y=False, download_if_missing=False
):
    """Load one ADBench dataset from its ``.npz`` file.

    Parameters
    ----------
    name : str
        Dataset name, with or without ADBench's numeric prefix and in any
        case (``"cardio"``, ``"6_cardio"``, ``"ionosphere"``). A name found in
        several collections takes the collection as ``"<collection>/<name>"``.
    data_home : str or path-like, default=None
        See :func:`get_data_home`; the file is
        ``<data_home>/adbench/<collection>/<name>.npz``.
    collection : str, default=None
        Restrict the search to one collection (``"Classical"``,
        ``"CV_by_ResNet18"``, ...).
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a :class:`~sklearn.utils.Bunch`.
    download_if_missing : bool, default=False
        When the file is missing, download it from ADBench's public
        repository (``ADBENCH_URL``) into the data home. Classical datasets
        are found by short name; files of other collections need
        ``collection`` and their exact name.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (ndarray of shape (n_samples, n_features), float64),
        ``target`` (ndarray of shape (n_samples,), 1 = anomaly, 0 = normal),
        ``name``, ``collection``, ``filename`` and ``DESCR``.
    (X, y) : tuple of ndarray
        When ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        When no ADBench file is found in the data home (the message says
        where it looked and how to point to the data).
    ValueError
        When ``name`` matches no file found (the message lists those found),
        or the file is not a readable ADBench dataset (empty, truncated or
        corrupted, a lone ``.npy`` array, non-numeric or non-finite ``X``,
        labels other than 0 and 1); the message names the file.

    Examples
    --------
    >>> from skrobustad.datasets import load_adbench
    >>> X, y = load_adbench("cardio", return_X_y=True)  # doctest: +SKIP
    >>> X.shape, y.mean().round(3)  # doctest: +SKIP
    ((1831, 21), np.float64(0.096))
    """
    _check_collection(collection)
    root, origin = _adbench_root(data_home)
    try:
        path = _resolve(name, root, origin, collection)
    except (FileNotFoundError, ValueError) as exc:
        if not download_if_missing or "ambiguous" in str(exc):
            raise
        url, path = _download_target(name, root, collection)
        _download(url, path)
    X, y = _read_npz(path)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        name=path.stem,
        collection=path.parent.name,
        filename=str(path),
        DESCR=(
            f"ADBench dataset {path.stem} ({path.parent.name}): {X.shape[0]} samples, "
            f"{X.shape[1]} features, {int(y.sum())} anomalies ({y.mean():.2%}); "
            "target 1 = anomaly."
        ),
    )


#: First bytes of a zip archive (an ``.npz`` file) and of a lone ``.npy`` array.
_ZIP_MAGIC = b"PK"
_NPY_MAGIC = b"\x93NUMPY"


def _unreadable(path, reason):
    reason = " ".join(str(reason).split())
    return ValueError(
        f"Cannot read the ADBench file {path}: {reason}. Replace it with a fresh copy "
        "of ADBench's file (or delete it and pass download_if_missing=True)."
    )


def _read_npz(path):
    """``(X, y)`` of an ADBench file, or a ValueError naming the file."""
    try:
        with open(path, "rb") as f:
            magic = f.read(len(_NPY_MAGIC))
    except IsADirectoryError:
        raise _unreadable(path, "it is a folder, not a file") from None
    except OSError as exc:
        raise _unreadable(path, exc.strerror or exc) from exc
    if not magic:
        raise _unreadable(path, "the file is empty")
    if magic.startswith(_NPY_MAGIC):
        raise _unreadable(
            path, "it holds a single .npy array, not an .npz archive of arrays 'X' and 'y'"
        )
    if not magic.startswith(_ZIP_MAGIC):
        raise _unreadable(path, "it is not an .npz (zip) archive")
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = sorted(npz.files)
            X = np.asarray(npz["X"]) if "X" in names else None
            y = np.asarray(npz["y"]) if "y" in names else None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise _unreadable(path, f"the archive is truncated or corrupted ({exc})") from exc
    except ValueError as exc:  # a damaged array header, or object arrays (pickle)
        raise _unreadable(path, f"it holds an array numpy cannot load ({exc})") from exc
    if X is None or y is None:
        raise ValueError(
            f"{path} is not an ADBench file: expected arrays 'X' and 'y', found {names}."
        )
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"{path}: X must be 2-D and y 1-D with one label per row.")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{path}: X must hold real numbers, found dtype {X.dtype}.")
    if X.shape[0] == 0:
        raise ValueError(f"{path}: X holds no samples.")
    X = X.astype(np.float64)
    n_bad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
    if n_bad:
        raise ValueError(f"{path}: X holds {n_bad} non-finite value(s) (NaN or infinity).")
    if y.dtype.kind not in "biuf" or not np.isin(y, (0, 1)).all():
        raise ValueError(f"{path}: y must hold 1 (anomaly) and 0 (normal) only.")
    return X, y.astype(np.int64)
