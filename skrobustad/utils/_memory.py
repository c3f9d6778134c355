"""Peak resident memory of a block of code (Linux)."""

import ctypes
import ctypes.util
import functools
import gc
import threading
from pathlib import Path

_PROC = Path("/proc/self")


def _status_kib(field):
    """A ``VmRSS``/``VmHWM`` style field of ``/proc/self/status``, in KiB."""
    for line in (_PROC / "status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(f"{field} is not in /proc/self/status")


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None (looked up once: ``find_library`` runs
    a subprocess)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def _release_freed_memory():
    """Collect garbage and hand freed heap pages back to the system (glibc)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class PeakMemory:
    """Peak resident memory used by a block, above the process's at its start.

    ``with PeakMemory() as peak: ...`` sets ``peak.mib`` to the highest
    resident set size (RSS) the process reached inside the block minus its
    RSS when the block began, in MiB. The start is read after a garbage
    collection and ``malloc_trim``, so that memory an earlier block freed
    (and the allocator kept) is not counted as available for free.

    Linux only: the kernel's high-water mark (``VmHWM``) is reset by writing
    ``5`` to ``/proc/self/clear_refs`` and read back from
    ``/proc/self/status`` afterwards, which catches short peaks that a
    sampling thread would miss. Elsewhere, or where the files cannot be
    written or read, and in threads other than the main one (the mark is the
    whole process's, which concurrent work would share), ``peak.mib`` is
    ``None``.
    """

    def __init__(self):
        self.mib = None
        self._start_kib = None

    def __enter__(self):
        self.mib = self._start_kib = None
        if threading.current_thread() is not threading.main_thread():
            return self
        try:
            _release_freed_memory()
            (_PROC / "clear_refs").write_text("5")
            self._start_kib = _status_kib("VmRSS")
        except (OSError, ValueError):
            self._start_kib = None
        return self

    def __exit__(self, *exc):
        if self._start_kib is not None:
            try:
                self.mib = max(0, _status_kib("VmHWM") - self._start_kib) / 1024
            except (OSError, ValueError):
                self.mib = None
        return False
