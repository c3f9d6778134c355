"""Registries of benchmark methods, protocols and suites.

Each method issue registers its estimators, protocols and suites here, from
a module of its own, ``skrobustad/benchmark/_suite_<name>.py`` (imported by
the package on first use), so the runner never needs editing to learn a new
method.

- A **method** is a named factory ``make(random_state) -> estimator`` plus how
  to read its anomaly scores (scikit-learn's ``score_samples`` negated, or
  PyOD's ``decision_function``) and whether it takes labels.
- A **protocol** turns one dataset ``(X, y)`` and a seed into one
  :class:`Split`: training data with partial labels, test data with labels;
  or, for meta-learning, a task family (:class:`TaskSource`) and a seed into
  one :class:`MetaSplit`: source and validation tasks plus target episodes.
- A **suite** names a protocol (with its keyword arguments, and the options
  it sweeps across cells), datasets, methods and seeds.
"""

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

_METHODS = {}
_PROTOCOLS = {}
_SUITES = {}


@dataclass(frozen=True)
class Method:
    """A benchmark entry: how to build, fit and score one detector.

    Parameters
    ----------
    name : str
        Unique name shown in the results (e.g. ``"AutoEncoder"``,
        ``"pyod.IForest"``).
    make : callable ``(random_state: int) -> estimator``
        Returns a new, unfitted estimator.
    api : {"sklearn", "pyod", "meta"}
        ``"sklearn"``: ``fit(X, y_partial=...)`` and anomaly score
        ``-score_samples(X)``. ``"pyod"``: ``fit(X, y)`` with ``y`` 1 = labeled
        anomaly, 0 = unlabeled, anomaly score ``decision_function(X)``.
        ``"meta"``: a meta-learner (only on a :class:`MetaSplit`):
        ``fit(X_source, y_partial=..., validation_tasks=...,
        validation_y_partial=...)`` once, then ``adapt(X_support)`` per
        episode and ``-score_samples`` of the adapted detector. On a
        :class:`MetaSplit`, ``"sklearn"`` and ``"pyod"`` methods are fitted on
        each episode's support set (unlabeled) and scored on its test set.
    uses_labels : bool, default=False
        Whether the method is given the split's partial labels. Unsupervised
        methods are fitted on ``X`` alone.
    family : str, default="skrobustad"
        ``"skrobustad"``, ``"pyod"`` or ``"sklearn"``; for grouping in reports.
    description : str, default=""
    diagnostics : callable ``(estimator, split) -> dict`` or None, default=None
        Extra numbers of the fitted estimator (JSON-serialisable), recorded
        in the cell's ``extra`` column, e.g. IAD's selected round and its
        termination values; what a reproduction needs beyond the scores.
    """

    name: str
    make: Callable
    api: str = "sklearn"
    uses_labels: bool = False
    family: str = "skrobustad"
    description: str = ""
    diagnostics: Optional[Callable] = None


@dataclass(frozen=True)
class Split:
    """One train/test split produced by a protocol.

    ``y_partial_train`` uses skrobustad's codes (1 anomaly, 0 normal,
    -1 unlabeled); ``y_test`` is 1 = anomaly, 0 = normal. For transductive
    protocols the test set is the training set.
    """

    X_train: np.ndarray
    y_partial_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TaskSource:
    """A task family for a meta-learning protocol (dataset names ``"meta:<name>"``).

    What the runner's loader returns in place of ``X`` for such a name; the
    protocol builds the tasks itself (they depend on the seed: the domain
    split) from ``name`` and ``data_home``.
    """

    name: str
    data_home: object = None


@dataclass(frozen=True)
class MetaSplit:
    """One meta-learning split produced by a protocol on a :class:`TaskSource`.

    Source and validation tasks carry partial labels (1, 0, -1); each entry
    of ``episodes`` is a dict with ``X_support`` (unlabeled), ``X_test``,
    ``y_test`` (1 = anomaly) and descriptive keys (``task``,
    ``anomaly_ratio``). A cell's ``auroc`` is the mean over its episodes;
    its ``extra`` column lists the per-episode AUROCs.
    """

    X_source: list
    y_partial_source: list
    X_validation: list
    y_partial_validation: list
    episodes: list
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Suite:
    """A named benchmark: protocol, datasets, methods and seeds.

    Parameters
    ----------
    name : str
    protocol : str
        Name of a registered protocol.
    datasets : tuple of str or callable ``(data_home) -> tuple of str``
        Dataset names understood by the runner's loader (``"embedded:digits"``
        style names for the data shipped with scikit-learn, ADBench names
        otherwise).
    methods : tuple of str
        Names of registered methods.
    seeds : tuple of int, default=(0, 1, 2, 3, 4)
    protocol_kwargs : dict, default={}
        Passed to the protocol (e.g. the contamination or label fractions).
    scale : {"standard", "minmax", None}, default="standard"
        Feature scaling fitted on each split's training part.
    description : str, default=""
    reference : dict, default={}
        Published numbers, ``{(dataset, method): value}``, shown beside ours.
    sweep : dict, default={}
        Protocol options varied across cells, ``{option: values}``: every
        (dataset, seed) is split once per combination of values, and the
        report plots the metric against the (single) swept option, e.g.
        ``{"contamination": (0.05, 0.2)}``. An option the caller sets
        (``protocol_kwargs`` of :func:`run_benchmark`, ``--set``) is not
        swept.
    dataset_kwargs : dict, default={}
        Keyword arguments of the embedded loaders (e.g.
        ``{"contamination": None}``: every anomaly of the task, for
        protocols that draw their own); ADBench files are read as they are.
    costs : bool, default=False
        Add tables of fit seconds, score seconds and peak resident memory per
        dataset (and sweep point) to the report, beside the accuracy ones.
    """

    name: str
    protocol: str
    datasets: object
    methods: tuple
    seeds: tuple = (0, 1, 2, 3, 4)
    protocol_kwargs: dict = field(default_factory=dict)
    scale: object = "standard"
    description: str = ""
    reference: dict = field(default_factory=dict)
    sweep: dict = field(default_factory=dict)
    dataset_kwargs: dict = field(default_factory=dict)
    costs: bool = False


def _register(table, key, value, kind, replace):
    if key in table and not replace:
        raise ValueError(f"A {kind} named {key!r} is already registered.")
    table[key] = value
    return value


def register_method(method, *, replace=False):
    """Register a :class:`Method` under ``method.name``."""
    return _register(_METHODS, method.name, method, "method", replace)


def register_protocol(name, func, *, replace=False):
    """Register ``func(X, y, *, random_state, **kwargs) -> Split`` as ``name``."""
    return _register(_PROTOCOLS, name, func, "protocol", replace)


def register_suite(suite, *, replace=False):
    """Register a :class:`Suite` under ``suite.name``."""
    return _register(_SUITES, suite.name, suite, "suite", replace)


def _get(table, key, kind):
    try:
        return table[key]
    except KeyError:
        raise ValueError(
            f"Unknown {kind} {key!r}; available: {', '.join(sorted(table)) or 'none'}."
        ) from None


def get_method(name):
    """Return the registered :class:`Method` called ``name``."""
    return _get(_METHODS, name, "method")


def get_protocol(name):
    """Return the registered protocol function called ``name``."""
    return _get(_PROTOCOLS, name, "protocol")


def get_suite(name):
    """Return the registered :class:`Suite` called ``name``."""
    return _get(_SUITES, name, "suite")


def list_methods():
    """Names of all registered methods, sorted."""
    return sorted(_METHODS)


def list_protocols():
    """Names of all registered protocols, sorted."""
    return sorted(_PROTOCOLS)


def list_suites():
    """Names of all registered suites, sorted."""
    return sorted(_SUITES)
