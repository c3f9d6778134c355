"""The benchmark runner: every method side by side with PyOD's detectors.

Methods, protocols and suites live in registries (:mod:`._registry`). Each
``_suite_<name>.py`` module of this package registers its own entries when
imported; all of them are imported here, so a new method issue only adds a
file.
"""

import importlib
import pkgutil

from ._registry import (
    Method,
    Split,
    Suite,
    get_method,
    get_protocol,
    get_suite,
    list_methods,
    list_protocols,
    list_suites,
    register_method,
    register_protocol,
    register_suite,
)
from ._runner import BenchmarkResult, load_dataset, run_benchmark

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("_suite_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = [
    "BenchmarkResult",
    "Method",
    "Split",
    "Suite",
    "get_method",
    "get_protocol",
    "get_suite",
    "list_methods",
    "list_protocols",
    "list_suites",
    "load_dataset",
    "register_method",
    "register_protocol",
    "register_suite",
    "run_benchmark",
]
