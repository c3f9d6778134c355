"""The benchmark runner: every (dataset, method, seed) cell of a suite.

A run resolves the suite's datasets, methods and seeds, builds one split per
(dataset, seed) and per combination of the options the suite sweeps
(``Suite.sweep``, e.g. the training contamination) with the suite's protocol
(standardised on its training part when ``Suite.scale`` asks), and fits and
scores every method on it. Cells run
through :class:`joblib.Parallel` with the active backend, so
``joblib.parallel_config(backend="dask")`` spreads a run over a cluster.
Each finished cell is appended to ``<out>/<suite>.csv`` at once (its
``config`` column holds the cell's protocol options); a later run with the
same ``out`` skips the cells already there (resume). An interrupt
(Ctrl-C) stops the run with :class:`KeyboardInterrupt`; the cell it lands in
is not recorded, finished or failed, so resuming computes it afresh.
"""

import contextlib
import csv
import functools
import hashlib
import inspect
import io
import itertools
import json
import numbers
import random
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from joblib import Parallel, delayed, effective_n_jobs
from joblib.parallel import SequentialBackend, get_active_backend
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from .._engine import seeded
from ..utils._memory import PeakMemory
from ..utils._signals import SigintWatch
from ..datasets import (
    EMBEDDED_DATASETS,
    adbench_short_name,
    find_adbench,
    get_data_home,
    load_adbench,
    load_embedded,
)
from ._registry import (
    MetaSplit,
    Method,
    Split,
    Suite,
    TaskSource,
    get_method,
    get_protocol,
    get_suite,
    list_methods,
)
from ._report import _tuples, markdown_report, plot_results

#: Columns of the results CSV, one row per (dataset, method, seed) cell.
CSV_COLUMNS = (
    "suite",
    "protocol",
    "config",
    "dataset",
    "method",
    "family",
    "seed",
    "auroc",
    "average_precision",
    "fit_seconds",
    "score_seconds",
    "cpu_seconds",
    "peak_rss_mb",
    "n_train",
    "n_test",
    "n_features",
    "train_contamination",
    "n_labeled_anomalies",
    "n_labeled_normals",
    "extra",
    "warnings",
    "error",
    "finished_at",
)
_FLOAT_COLUMNS = (
    "auroc",
    "average_precision",
    "fit_seconds",
    "score_seconds",
    "cpu_seconds",
    "peak_rss_mb",
    "train_contamination",
)
#: Columns of the results files of skrobustad 0.1 (before ``peak_rss_mb``):
#: read as they are, and rewritten with today's columns before a run appends.
_PREVIOUS_COLUMNS = tuple(c for c in CSV_COLUMNS if c != "peak_rss_mb")
_INT_COLUMNS = (
    "seed",
    "n_train",
    "n_test",
    "n_features",
    "n_labeled_anomalies",
    "n_labeled_normals",
)


# --------------------------------------------------------------- resolution
def _display_key(name):
    return adbench_short_name(name.removeprefix("embedded:"))


def load_dataset(name, data_home=None, **kwargs):
    """``(X, y)`` of a benchmark dataset name.

    Parameters
    ----------
    name : str
        ``"embedded:<task>"`` for the tasks built from scikit-learn's data
        (``digits``, ``breast_cancer``, ``wine``), an ADBench name otherwise.
    data_home : str or path-like, default=None
        See :func:`skrobustad.datasets.get_data_home`.
    **kwargs
        Options of the embedded task's loader (e.g. ``contamination=None``
        for every anomaly); ignored for ADBench files, read as they are.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,), 1 = anomaly
    """
    if name.startswith("embedded:"):
        return load_embedded(name, return_X_y=True, **kwargs)
    if name.startswith("meta:"):  # a task family: the meta protocol builds the tasks
        return TaskSource(name.removeprefix("meta:"), data_home), None
    return load_adbench(name, data_home=data_home, return_X_y=True)


def _suite_datasets(suite, data_home):
    datasets = suite.datasets
    if callable(datasets):
        datasets = datasets(data_home)
    return tuple(datasets)


def _resolve_dataset(name, suite, suite_datasets, data_home):
    """The canonical name of a dataset the user asked for."""
    if name in suite_datasets:
        return name
    matches = [d for d in suite_datasets if _display_key(d) == _display_key(name)]
    if len(matches) > 1:
        raise ValueError(f"Dataset {name!r} is ambiguous in suite {suite.name!r}: {matches}.")
    if matches:
        return matches[0]
    if name.startswith("meta:"):
        raise ValueError(
            f"Task family {name!r} is not in suite {suite.name!r} "
            f"({', '.join(suite_datasets)})."
        )
    embedded = ", ".join(f"embedded:{key}" for key in EMBEDDED_DATASETS)
    if name.startswith("embedded:"):
        if name.removeprefix("embedded:") in EMBEDDED_DATASETS:
            return name
        raise ValueError(f"Unknown embedded dataset {name!r}; available: {embedded}.")
    try:
        path = find_adbench(name, data_home)
    except FileNotFoundError:
        home, origin = get_data_home(data_home, return_origin=True)
        root = home / "adbench"
        raise ValueError(
            f"Unknown dataset {name!r}: it is not in suite {suite.name!r} "
            f"({', '.join(suite_datasets) or 'no datasets found'}) nor embedded "
            f"({embedded}), and no ADBench files were found in {root} (data home from "
            f"{origin}; set SKROBUSTAD_DATA_HOME or --data-home)."
        ) from None
    except ValueError as exc:
        raise ValueError(
            f"Unknown dataset {name!r}: it is not in suite {suite.name!r} "
            f"({', '.join(suite_datasets) or 'no datasets found'}) nor embedded "
            f"({embedded}). {exc}"
        ) from None
    return name if "/" in name else path.stem


def resolve_datasets(suite, datasets=None, data_home=None):
    """Canonical dataset names of a run (the suite's when ``datasets`` is None)."""
    if datasets is None:
        return _suite_datasets(suite, data_home)
    try:
        suite_datasets = _suite_datasets(suite, data_home)
    except FileNotFoundError:
        suite_datasets = ()
    names = [_resolve_dataset(name, suite, suite_datasets, data_home) for name in datasets]
    return tuple(dict.fromkeys(names))


def resolve_methods(methods):
    """Registered :class:`Method` objects from names or Method instances.

    A name is a registered method's name, or, when unambiguous, the part
    after its dot in any case (``"IForest"`` for ``"pyod.IForest"``).
    """
    registered = list_methods()
    resolved = []
    for method in methods:
        if isinstance(method, Method):
            resolved.append(method)
            continue
        if method in registered:
            resolved.append(get_method(method))
            continue
        matches = [m for m in registered if m.rsplit(".", 1)[-1].lower() == method.lower()]
        if len(matches) == 1:
            resolved.append(get_method(matches[0]))
        elif matches:
            raise ValueError(f"Method {method!r} is ambiguous: use one of {', '.join(matches)}.")
        else:
            raise ValueError(
                f"Unknown method {method!r}; available: {', '.join(registered) or 'none'}."
            )
    return tuple({m.name: m for m in resolved}.values())


def _check_protocol_kwargs(protocol_name, protocol, kwargs):
    params = inspect.signature(protocol).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    allowed = sorted(
        n for n, p in params.items() if p.kind is p.KEYWORD_ONLY and n != "random_state"
    )
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(
            f"Unknown option(s) {unknown} of protocol {protocol_name!r}; allowed: "
            f"{', '.join(allowed) or 'none'}."
        )


# ----------------------------------------------------------------- one cell
class _SilentStdout:
    """Swallow stdout (PyOD prints while it fits), safely across threads.

    The first thread in swaps ``sys.stdout`` for a sink and the last one out
    restores it, so concurrent cells of a threaded backend cannot leave the
    sink in place.
    """

    _lock = threading.Lock()
    _depth = 0
    _saved = None

    def __enter__(self):
        with self._lock:
            if _SilentStdout._depth == 0:
                _SilentStdout._saved = sys.stdout
                sys.stdout = io.StringIO()
            _SilentStdout._depth += 1

    def __exit__(self, *exc):
        with self._lock:
            _SilentStdout._depth -= 1
            if _SilentStdout._depth == 0:
                sys.stdout = _SilentStdout._saved
                _SilentStdout._saved = None


@contextlib.contextmanager
def _isolated_global_rng(seed):
    """Seed Python's, NumPy's and torch's global generators, then restore them.

    skrobustad's estimators never read global random state, but PyOD's seed
    and draw from it (in ``__init__`` and ``fit``, and DevNet has no
    ``random_state`` at all). Seeding them per cell makes every cell
    reproducible and independent of the order cells run in; the caller's
    state is restored afterwards.
    """
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        random.seed(seed)
        np.random.seed(seed)
        with seeded(seed, torch.device("cpu")):
            yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


@contextlib.contextmanager
def _limited_threads(n_threads):
    """Run the block with at most ``n_threads`` torch and BLAS threads.

    The networks of a benchmark cell are small: one thread is as fast as
    several, and extra threads only spin on a busy machine (measured: a MAF
    cell took 14 s of CPU with 2 threads on 2 loaded cores, 1 s with one).
    Parallelism goes across cells (``n_jobs``). Only the main thread changes
    the process-wide settings, and restores them afterwards.
    """
    if n_threads is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        with threadpool_limits(limits=n_threads):
            yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def _recorded_warnings():
    """Record warnings raised in the block (main thread only).

    :func:`warnings.catch_warnings` is not thread-safe, so cells run by a
    threaded backend leave warnings alone (and record none).
    """
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def _interrupted_by(exc):
    """Whether ``exc`` was raised while handling a KeyboardInterrupt."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


@functools.cache
def _warm_up_torch():
    """One tiny training step, once per process, before the first cell's clock.

    Torch's first backward pass and optimizer step start its autograd
    engine and allocate its kernels' buffers: measured, 2 s and 80 MiB that
    would otherwise be charged to whichever cell a worker runs first.
    """
    with seeded(0, torch.device("cpu")):
        net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
        optimizer = torch.optim.Adam(net.parameters())
        for _ in range(2):
            optimizer.zero_grad()
            net(torch.randn(16, 4)).pow(2).mean().backward()
            optimizer.step()


def _anomaly_scores(method, estimator, X):
    if method.api == "pyod":
        return np.asarray(estimator.decision_function(X), dtype=np.float64)
    return -np.asarray(estimator.score_samples(X), dtype=np.float64)


def _fit(method, estimator, split):
    if not method.uses_labels:
        return estimator.fit(split.X_train)
    if method.api == "pyod":
        return estimator.fit(split.X_train, (split.y_partial_train == 1).astype(np.int64))
    return estimator.fit(split.X_train, y_partial=split.y_partial_train)


def _error_text(exc):
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ").strip()
    return text[:500]


def _cell_row(context, dataset, seed, method, split=None):
    row = dict.fromkeys(CSV_COLUMNS, "")
    row.update(context, dataset=dataset, seed=seed, method=method.name, family=method.family)
    if split is not None:
        y_partial = np.asarray(split.y_partial_train)
        row.update(
            n_train=int(split.X_train.shape[0]),
            n_test=int(split.X_test.shape[0]),
            n_features=int(split.X_train.shape[1]),
            n_labeled_anomalies=int(np.sum(y_partial == 1)),
            n_labeled_normals=int(np.sum(y_partial == 0)),
            train_contamination=split.info.get("train_contamination", ""),
        )
    return row


def _meta_cell_scores(method, estimator, split):
    """Per-episode ``(auroc, average_precision, seconds)`` and the meta-fit seconds.

    A meta-learner is fitted once on the split's source tasks and adapted to
    every episode's support set (the seconds are adapt + score); any other
    method is fitted anew on each support set (the seconds are fit + score).
    """
    from sklearn.base import clone

    fit_seconds = 0.0
    if method.api == "meta":
        start = time.perf_counter()
        estimator.fit(split.X_source, y_partial=split.y_partial_source,
                      validation_tasks=split.X_validation or None,
                      validation_y_partial=split.y_partial_validation or None)
        fit_seconds = time.perf_counter() - start
    elif not split.episodes:
        raise ValueError("The meta split has no episodes.")
    out = []
    for episode in split.episodes:
        start = time.perf_counter()
        if method.api == "meta":
            fitted = estimator.adapt(episode["X_support"])
            scores = -np.asarray(fitted.score_samples(episode["X_test"]), dtype=np.float64)
        else:
            fitted = clone(estimator).fit(episode["X_support"])
            scores = _anomaly_scores(method, fitted, episode["X_test"])
        seconds = time.perf_counter() - start
        if not np.all(np.isfinite(scores)):
            raise ValueError(f"{method.name} returned non-finite scores.")
        out.append((float(roc_auc_score(episode["y_test"], scores)),
                    float(average_precision_score(episode["y_test"], scores)), seconds))
    return out, fit_seconds


@contextlib.contextmanager
def _cell_environment(watch, method, seed, n_threads):
    """Where a cell builds, fits and scores its method.

    SIGINT watched by ``watch``, torch/BLAS threads limited, the global
    random state isolated and seeded, warnings recorded (the yielded list),
    and PyOD's prints silenced.
    """
    with (
        watch,
        _limited_threads(n_threads),
        _isolated_global_rng(seed),
        _recorded_warnings() as caught,
        _SilentStdout() if method.api == "pyod" else contextlib.nullcontext(),
    ):
        yield caught


def _record_error(row, exc, watch):
    """Record a failed cell's error in ``row``; re-raise an interrupt (Ctrl-C)."""
    if watch.received or _interrupted_by(exc):
        raise KeyboardInterrupt from exc
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    row["error"] = f"{_error_text(exc)} [{Path(frame.filename).name}:{frame.lineno}]"


def _run_meta_cell(context, dataset, seed, method, split, n_threads=None):
    """One method on one :class:`MetaSplit`: the mean over its episodes."""
    row = _cell_row(context, dataset, seed, method)
    row.update(
        n_train=int(sum(len(X) for X in split.X_source)),
        n_test=int(sum(len(e["X_test"]) for e in split.episodes)),
        n_features=int(split.X_source[0].shape[1]) if split.X_source else "",
    )
    watch = SigintWatch()
    try:
        with _cell_environment(watch, method, seed, n_threads) as caught:
            estimator = method.make(seed)
            cpu_start = time.process_time()
            episodes, fit_seconds = _meta_cell_scores(method, estimator, split)
            cpu_end = time.process_time()
        if watch.received:
            raise KeyboardInterrupt
        aurocs, aps, seconds = (np.array(v) for v in zip(*episodes))
        extra = {
            "episodes": [
                {"task": str(e.get("task", i)), "anomaly_ratio": e.get("anomaly_ratio"),
                 "auroc": round(a, 6), "seconds": round(t, 5)}
                for i, (e, a, t) in enumerate(zip(split.episodes, aurocs, seconds))
            ],
            **split.info,
        }
        if method.diagnostics is not None:
            extra.update(method.diagnostics(estimator, split))
        row.update(
            auroc=float(aurocs.mean()),
            average_precision=float(aps.mean()),
            fit_seconds=round(fit_seconds if method.api == "meta" else float(seconds.sum()), 4),
            score_seconds=round(float(seconds.mean()), 5),
            cpu_seconds=round(cpu_end - cpu_start, 4),
            warnings=";".join(sorted({w.category.__name__ for w in caught})),
            extra=json.dumps(extra, sort_keys=True, default=str),
        )
    except Exception as exc:  # a failing cell is recorded, the run goes on
        _record_error(row, exc, watch)
    row["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return row


def _run_cell(context, dataset, seed, method, split, n_threads=None):
    """Fit and score one method on one split.

    Errors are recorded in the row's ``error`` column; only an interrupt
    (Ctrl-C) raises, as :class:`KeyboardInterrupt`, so that an interrupted
    cell is neither recorded as finished nor as failed, and is computed
    again when the run is resumed.
    """
    if isinstance(split, MetaSplit):
        return _run_meta_cell(context, dataset, seed, method, split, n_threads)
    row = _cell_row(context, dataset, seed, method, split)
    watch = SigintWatch()
    try:
        if method.api == "meta":
            raise ValueError(f"{method.name} is a meta-learner: it runs on meta protocols only.")
        with _cell_environment(watch, method, seed, n_threads) as caught:
            estimator = method.make(seed)  # outside the clock: first imports
            _warm_up_torch()
            with PeakMemory() as peak:
                start, cpu_start = time.perf_counter(), time.process_time()
                estimator = _fit(method, estimator, split)
                if estimator is None:
                    raise TypeError(f"{method.name}: fit must return the estimator.")
                fitted = time.perf_counter()
                scores = _anomaly_scores(method, estimator, split.X_test)
                scored, cpu_end = time.perf_counter(), time.process_time()
        if watch.received:  # the fit caught Ctrl-C and stopped early
            raise KeyboardInterrupt
        if scores.shape != split.y_test.shape or not np.all(np.isfinite(scores)):
            raise ValueError(f"{method.name} returned non-finite or misshaped scores.")
        row.update(
            auroc=float(roc_auc_score(split.y_test, scores)),
            average_precision=float(average_precision_score(split.y_test, scores)),
            fit_seconds=round(fitted - start, 4),
            score_seconds=round(scored - fitted, 4),
            cpu_seconds=round(cpu_end - cpu_start, 4),
            peak_rss_mb="" if peak.mib is None else round(peak.mib, 1),
            warnings=";".join(sorted({w.category.__name__ for w in caught})),
        )
        if method.diagnostics is not None:
            row["extra"] = json.dumps(method.diagnostics(estimator, split), sort_keys=True)
    except Exception as exc:  # a failing cell is recorded, the run goes on
        _record_error(row, exc, watch)
    row["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return row


def _failed_cell(context, dataset, seed, method, message):
    row = _cell_row(context, dataset, seed, method)
    row["error"] = message
    row["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return row


def _scaled(split, scale):
    if scale is None or isinstance(split, MetaSplit):  # meta-learners scale their tasks
        return split
    scaler = {"standard": StandardScaler, "minmax": MinMaxScaler}.get(scale)
    if scaler is None:
        raise ValueError(f"Unknown scale {scale!r}; expected 'standard', 'minmax' or None.")
    scaler = scaler().fit(split.X_train)
    X_train = scaler.transform(split.X_train)
    X_test = X_train if split.X_test is split.X_train else scaler.transform(split.X_test)
    return Split(X_train, split.y_partial_train, X_test, split.y_test, dict(split.info))


# ---------------------------------------------------------------- CSV store
def _parse_row(row):
    if None in row.values() or None in row:
        return None  # a line cut short by an interrupted write
    parsed = dict(row)
    try:
        for column in _FLOAT_COLUMNS:
            parsed[column] = float(row[column]) if row[column] != "" else float("nan")
        for column in _INT_COLUMNS:
            parsed[column] = int(row[column]) if row[column] != "" else None
    except ValueError:
        return None
    return parsed


def _serialised(row):
    """The row as the CSV file holds it (strings)."""
    return {k: "" if v is None else str(v) for k, v in row.items()}


def _padded(row):
    """A row read from a file of :data:`_PREVIOUS_COLUMNS`, with today's columns."""
    return dict(dict.fromkeys(CSV_COLUMNS, ""), **row)


def _csv_line(row):
    """One CSV line of ``row`` (columns :data:`CSV_COLUMNS`)."""
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=CSV_COLUMNS).writerow(row)
    return buffer.getvalue()


_HEADER = _csv_line(dict(zip(CSV_COLUMNS, CSV_COLUMNS)))


def _check_output(out, suite_name, plot):
    """Refuse, before any cell runs, an output folder the run cannot write.

    Raises a ValueError naming the path when ``out`` is an existing file, or
    when one of the files the run writes there is a folder.
    """
    folder = Path(out)
    for path in (folder, *folder.parents):
        if path.exists():
            if path == folder and not path.is_dir():
                raise ValueError(
                    f"The output folder {folder} is an existing file, not a folder; "
                    "choose another output folder."
                )
            if not path.is_dir():
                raise ValueError(
                    f"The output folder {folder} cannot be created: {path} is a file, "
                    "not a folder; choose another output folder."
                )
            break
    outputs = [f"{suite_name}.csv", f"{suite_name}.md"] + ([f"{suite_name}.png"] if plot else [])
    for name in outputs:
        if (folder / name).is_dir():
            raise ValueError(
                f"{folder / name} is a folder, so the run cannot write its results "
                "there; remove it or choose another output folder."
            )


class _ResultsFile:
    """Append-only CSV of finished cells (the resume record)."""

    def __init__(self, path):
        self.path = Path(path)

    def _refuse(self, reason):
        return ValueError(
            f"{self.path} is not a results file of skrobustad-bench ({reason}); choose "
            "another output folder."
        )

    def read(self):
        """The parsed rows; none for a missing, empty or header-only file."""
        if not self.path.is_file():
            return []
        try:
            with open(self.path, newline="", encoding="utf-8") as f:
                text = f.read()
        except UnicodeDecodeError:
            raise self._refuse("it is not UTF-8 text") from None
        except OSError as exc:
            raise ValueError(
                f"Cannot read the results file {self.path}: {exc.strerror or exc}."
            ) from exc
        if "\n" not in text and _HEADER.startswith(text.replace("\r", "")):
            return []  # empty, or a header cut short: a fresh run
        try:
            reader = csv.DictReader(io.StringIO(text, newline=""))
            columns = tuple(reader.fieldnames or ())
            if columns not in (CSV_COLUMNS, _PREVIOUS_COLUMNS):
                raise self._refuse(
                    "its columns differ: another tool or version of skrobustad wrote it"
                )
            rows = (_padded(r) if None not in r else r for r in reader)
            return [r for r in map(_parse_row, rows) if r is not None]
        except csv.Error as exc:
            raise self._refuse(f"it is not a valid CSV file: {exc}") from None

    def _repair(self):
        """Drop a last line cut short by an interrupted write, and give a file
        of the previous version today's columns (its rows unchanged)."""
        with open(self.path, "rb+") as f:
            data = f.read()
            if data and not data.endswith(b"\n"):
                f.truncate(data.rfind(b"\n") + 1)
        with open(self.path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if tuple(reader.fieldnames or ()) != _PREVIOUS_COLUMNS:
                return
            rows = list(reader)
        upgraded = self.path.with_name(self.path.name + ".upgrade")
        with open(upgraded, "w", newline="", encoding="utf-8") as f:
            f.write(_HEADER)
            f.writelines(_csv_line(_padded(r)) for r in rows)
        upgraded.replace(self.path)  # atomic: an interrupt leaves one whole file

    def open(self):
        """Open the file for appending, writing the header to a new file.

        Returns
        -------
        write : callable ``(row) -> None``
            Appends one row and flushes it to the file.
        close : callable
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(
                f"Cannot create the output folder {self.path.parent}: {exc.strerror or exc}."
            ) from exc
        try:
            if self.path.is_file():
                self._repair()
            handle = open(self.path, "a", newline="", encoding="utf-8")
        except OSError as exc:
            raise ValueError(
                f"Cannot write the results file {self.path}: {exc.strerror or exc}."
            ) from exc
        if handle.tell() == 0:
            handle.write(_HEADER)
            handle.flush()

        def write(row):
            # one write of one whole line: an interrupt cannot cut it short
            # in the buffer, and a line cut short on disk is dropped on resume
            handle.write(_csv_line(row))
            handle.flush()

        return write, handle.close


# -------------------------------------------------------------------- run
@dataclass
class BenchmarkResult:
    """Outcome of :func:`run_benchmark`.

    Attributes
    ----------
    suite : Suite
    datasets, methods : tuple of str
    seeds : tuple of int
    config : dict
        Protocol options the run used (but the swept ones).
    rows : list of dict
        One row per requested cell (columns :data:`CSV_COLUMNS`), including
        cells resumed from an earlier run and failed cells (``error`` set).
    n_computed, n_resumed : int
        Cells computed by this run and taken from the results file.
    wall_seconds : float
    n_threads : int or None
        Torch threads per cell (None: the process settings).
    paths : dict
        ``{"csv", "markdown", "plot"}`` paths written (empty without ``out``).
    sweep : dict
        The options varied across cells, ``{option: values}`` (see
        :class:`Suite`); empty when none is. A row's own values are in its
        ``config`` column, ``json.loads(row["config"])["options"]``.
    """

    suite: Suite
    datasets: tuple
    methods: tuple
    seeds: tuple
    config: dict
    rows: list
    n_computed: int
    n_resumed: int
    wall_seconds: float
    n_threads: object = None
    paths: dict = field(default_factory=dict)
    sweep: dict = field(default_factory=dict)

    @property
    def errors(self):
        """Rows of the cells that failed."""
        return [row for row in self.rows if row["error"]]

    def to_markdown(self):
        """The markdown report (tables of AUROC, AP and time)."""
        return markdown_report(self)

    def to_frame(self):
        """The rows as a :class:`pandas.DataFrame` (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "BenchmarkResult.to_frame needs pandas: pip install 'skrobustad[bench]'."
            ) from exc
        return pd.DataFrame(self.rows, columns=list(CSV_COLUMNS))


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _config_key(config, scale, dataset_kwargs=None):
    key = {"options": config, "scale": scale}
    if dataset_kwargs:
        key["data"] = dataset_kwargs
    return json.dumps(key, sort_keys=True, default=str)


def _plain(value):
    """``value`` as it reads back from JSON, lists as tuples (hashable)."""
    value = json.loads(json.dumps(value, default=str))
    return _tuples(value)


def _sweep_points(suite, fixed):
    """``(sweep, points)``: the swept options not fixed by the caller, and
    every combination of their values (one empty point without a sweep)."""
    sweep = {k: tuple(_plain(v) for v in values) for k, values in suite.sweep.items()
             if k not in fixed}  # fmt: skip
    points = [dict(zip(sweep, combo)) for combo in itertools.product(*sweep.values())]
    return sweep, points


def _fingerprint(split):
    """A digest of a split's arrays: two sweep points with the same one train
    and score every method on the same data."""
    digest = hashlib.blake2b(digest_size=16)
    for array in (split.X_train, split.y_partial_train, split.X_test, split.y_test):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.view(np.uint8).ravel() if array.size else b"")
    return digest.hexdigest()


def _run_cells(contexts, dataset, seed, method, split, n_threads=None):
    """One cell run once and recorded under every sweep point of ``contexts``
    (points whose splits are the same, e.g. a row cap above the training size)."""
    row = _run_cell(contexts[0], dataset, seed, method, split, n_threads)
    return [row] + [dict(row, **context) for context in contexts[1:]]


def _failed_cells(contexts, dataset, seed, method, message):
    return [_failed_cell(context, dataset, seed, method, message) for context in contexts]


def _iter_cells(
    contexts, suite, protocol, configs, datasets, methods, seeds, data_home, todo, n_threads
):
    """Delayed cells, built lazily: one dataset and one split in memory at a time.

    ``contexts`` and ``configs``: one per sweep point (the protocol options
    of its cells). Sweep points of one seed whose splits are the same (a
    ``max_train_samples`` above the training part gives the whole of it)
    share one fit per method; each delayed call returns the rows of every
    point it serves.
    """
    for dataset in datasets:
        if not any(
            (dataset, m.name, s, c["config"]) in todo
            for s in seeds for m in methods for c in contexts
        ):  # fmt: skip
            continue
        try:
            X, y = load_dataset(dataset, data_home, **suite.dataset_kwargs)
        except Exception as exc:
            X = y = None
            load_error = f"loading {dataset}: {_error_text(exc)}"

        def split_of(config, seed):
            if X is None:
                return None, load_error
            try:
                return _scaled(protocol(X, y, random_state=seed, **config), suite.scale), None
            except Exception as exc:
                return None, f"protocol {suite.protocol}: {_error_text(exc)}"

        cells = [(c, k, s) for c, k in zip(contexts, configs) for s in seeds]
        pending = {
            i: [m for m in methods if (dataset, m.name, s, c["config"]) in todo]
            for i, (c, k, s) in enumerate(cells)
        }
        # first cell of each group of pending cells with the same split -> the group
        groups = {i: [i] for i, methods_ in pending.items() if methods_}
        if len(contexts) > 1 and X is not None:
            first = {}  # (seed, digest) -> first cell with that split
            for i in list(groups):  # splits computed here once more, one at a time
                split, _ = split_of(cells[i][1], cells[i][2])
                if isinstance(split, Split):  # not a failed or a meta split
                    j = first.setdefault((cells[i][2], _fingerprint(split)), i)
                    if j != i:
                        groups[j] += groups.pop(i)
                del split
        for i, served in groups.items():
            context, config, seed = cells[i]
            split, message = split_of(config, seed)
            for method in methods:
                shared = [cells[j][0] for j in served if method in pending[j]]
                if not shared:
                    continue
                if split is None:
                    yield delayed(_failed_cells)(shared, dataset, seed, method, message)
                else:
                    yield delayed(_run_cells)(shared, dataset, seed, method, split, n_threads)
            del split


def _run_parallel(cells, n_jobs, total, on_row, progress, description):
    from tqdm.auto import tqdm

    backend, _ = get_active_backend()
    streams = isinstance(backend, SequentialBackend) or getattr(
        backend, "supports_return_generator", False
    )
    bar = tqdm(total=total, desc=description, unit="cell", file=sys.stderr, disable=not progress)
    try:
        if streams:
            for rows in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(cells):
                for row in rows:
                    on_row(row)
                bar.set_postfix_str(f"{rows[0]['dataset']} {rows[0]['method']}", refresh=False)
                bar.update(len(rows))
        else:  # backends without streamed results: chunks, written after each
            chunk = 4 * max(1, effective_n_jobs(n_jobs if n_jobs is not None else 1))
            while batch := list(itertools.islice(cells, chunk)):
                for rows in Parallel(n_jobs=n_jobs)(batch):
                    for row in rows:
                        on_row(row)
                    bar.update(len(rows))
    finally:
        bar.close()


def run_benchmark(
    suite,
    *,
    datasets=None,
    methods=None,
    seeds=None,
    data_home=None,
    out=None,
    n_jobs=None,
    protocol_kwargs=None,
    n_threads=1,
    progress=False,
    plot=True,
):
    """Run a benchmark suite: every (dataset, method, seed) cell.

    Parameters
    ----------
    suite : str or Suite
        A registered suite name (see :func:`list_suites`) or a
        :class:`Suite`.
    datasets : list of str, default=None
        Subset or extension of the suite's datasets: names of the suite
        (``"cardio"`` for ``"6_cardio"``, ``"wine"`` for
        ``"embedded:wine"``), embedded tasks or ADBench files in the data
        home. ``None`` runs the suite's.
    methods : list of str or Method, default=None
        Registered method names (``"IForest"`` is enough for
        ``"pyod.IForest"`` when unambiguous); ``None`` runs the suite's.
    seeds : list of int, default=None
        Seeds of the splits and of the estimators; ``None``: the suite's.
    data_home : str or path-like, default=None
        Where ADBench files are (see
        :func:`skrobustad.datasets.get_data_home`).
    out : str or path-like, default=None
        Output folder: ``<suite>.csv`` (every cell, appended as it finishes,
        and read back to resume), ``<suite>.md`` (the report) and
        ``<suite>.png`` (the plot). ``None`` keeps the results in memory.
    n_jobs : int, default=None
        Cells run in parallel through :class:`joblib.Parallel` with the
        active backend (see :func:`joblib.parallel_config`); ``None`` means 1
        unless a ``parallel_config`` says otherwise.
    protocol_kwargs : dict, default=None
        Options of the suite's protocol overriding the suite's
        (``{"contamination": 0.05}``).
    n_threads : int or None, default=1
        Torch and BLAS threads of each cell (restored afterwards); ``None``
        leaves the process settings alone. Small networks gain nothing from
        more threads; run cells in parallel instead.
    progress : bool, default=False
        Show a progress bar on stderr.
    plot : bool, default=True
        Write the PNG plot (with ``out``).

    Returns
    -------
    result : BenchmarkResult

    Raises
    ------
    ValueError
        Before any cell runs, on bad input: an unknown suite, method, dataset
        or protocol option, ``n_jobs=0``, ``n_threads`` below 1, an ``out``
        that is a file or holds a folder where a result file goes, or a
        results file that skrobustad did not write. The message names the
        file or option.
    KeyboardInterrupt
        On Ctrl-C (SIGINT), also when it reaches a process-based worker or a
        training loop that catches it: the finished cells are in the results
        file and the interrupted ones are not; the same call resumes the run.

    Examples
    --------
    >>> from skrobustad.benchmark import run_benchmark
    >>> result = run_benchmark("quick", datasets=["wine"], methods=["IForest"], seeds=[0])
    >>> result.sweep
    {'contamination': (0.05, 0.2)}
    >>> [(r["n_train"], r["train_contamination"], r["n_test"]) for r in result.rows]
    [(80, 0.05, 54), (80, 0.2, 54)]
    >>> all(0.5 < row["auroc"] <= 1.0 for row in result.rows)
    True
    """
    start = time.perf_counter()
    if isinstance(suite, str):
        suite = get_suite(suite)
    protocol = get_protocol(suite.protocol)
    config = {**suite.protocol_kwargs, **(protocol_kwargs or {})}
    sweep, points = _sweep_points(suite, protocol_kwargs or {})
    _check_protocol_kwargs(suite.protocol, protocol, {**config, **sweep})
    method_objects = resolve_methods(suite.methods if methods is None else methods)
    dataset_names = resolve_datasets(suite, datasets, data_home)
    seeds = tuple(int(s) for s in (suite.seeds if seeds is None else seeds))
    if not (method_objects and dataset_names and seeds):
        raise ValueError("Nothing to run: no datasets, methods or seeds selected.")

    configs = [{**config, **point} for point in points]
    contexts = [
        {
            "suite": suite.name,
            "protocol": suite.protocol,
            "config": _config_key(options, suite.scale, suite.dataset_kwargs),
        }
        for options in configs
    ]
    keys = [c["config"] for c in contexts]
    if n_jobs is not None and (not _is_int(n_jobs) or n_jobs == 0):
        raise ValueError(
            f"n_jobs must be a non-zero integer (-1: as many cells as CPUs) or None, got "
            f"{n_jobs!r}."
        )
    if n_threads is not None and (not _is_int(n_threads) or n_threads < 1):
        raise ValueError(f"n_threads must be a positive integer or None, got {n_threads!r}.")
    if out is not None:
        _check_output(out, suite.name, plot)

    names = tuple(m.name for m in method_objects)
    wanted = {(d, m, s, k) for d in dataset_names for m in names for s in seeds for k in keys}
    results_file = _ResultsFile(Path(out) / f"{suite.name}.csv") if out is not None else None
    previous = []
    if results_file is not None:
        previous = [
            row
            for row in results_file.read()
            if row["suite"] == suite.name and row["config"] in keys
        ]
    done = {
        (r["dataset"], r["method"], r["seed"], r["config"]) for r in previous if not r["error"]
    }
    todo = wanted - done

    new_rows = []
    write = close = None
    if results_file is not None and todo:
        write, close = results_file.open()

    def on_row(row):
        if write is not None:
            write(row)
        new_rows.append(row)

    try:
        if todo:
            cells = _iter_cells(
                contexts, suite, protocol, configs, dataset_names, method_objects, seeds,
                data_home, todo, n_threads,
            )  # fmt: skip
            _run_parallel(cells, n_jobs, len(todo), on_row, progress, suite.name)
    finally:
        if close is not None:
            close()

    latest = {}
    for row in previous + [_parse_row(_serialised(r)) for r in new_rows]:
        key = (row["dataset"], row["method"], row["seed"], row["config"])
        if key in wanted and not (key in latest and not latest[key]["error"]):
            latest[key] = row
    order = {name: i for i, name in enumerate(dataset_names)}
    rows = sorted(
        latest.values(),
        key=lambda r: (
            order[r["dataset"]], keys.index(r["config"]), names.index(r["method"]), r["seed"]
        ),
    )  # fmt: skip
    result = BenchmarkResult(
        suite=suite,
        datasets=dataset_names,
        methods=names,
        seeds=seeds,
        config={k: v for k, v in config.items() if k not in sweep},
        sweep=sweep,
        rows=rows,
        n_computed=len(new_rows),
        n_resumed=len(wanted) - len(todo),
        wall_seconds=time.perf_counter() - start,
        n_threads=n_threads,
    )
    if out is not None:
        result.paths["csv"] = str(results_file.path)
        markdown = Path(out) / f"{suite.name}.md"
        markdown.write_text(result.to_markdown())
        result.paths["markdown"] = str(markdown)
        if plot:
            result.paths["plot"] = str(plot_results(result, Path(out) / f"{suite.name}.png"))
    return result
