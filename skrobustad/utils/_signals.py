"""Noticing Ctrl-C while a block runs, without changing what Ctrl-C does."""

import signal
import threading


class SigintWatch:
    """Context manager that records whether SIGINT arrives during its block.

    In the main thread, and only if SIGINT has a Python handler (Python's
    default one, or one of the caller's), a handler that sets
    :attr:`received` and then calls that handler is installed; the previous
    one is restored on exit, so Ctrl-C raises as before. Re-entering the same
    watch (nested fits) keeps the outermost installation. Elsewhere (other
    threads, which signals never reach; SIGINT ignored) nothing changes.

    Used by the training engine, to tell a real Ctrl-C from a skorch
    callback's KeyboardInterrupt-as-stop-request, and by the benchmark runner,
    so that a cell whose fit swallowed Ctrl-C is not recorded as finished.
    """

    def __init__(self):
        self.received = False
        self._depth = 0
        self._previous = None

    def _handler(self, signum, frame):
        self.received = True
        self._previous(signum, frame)

    def __enter__(self):
        if threading.current_thread() is not threading.main_thread():
            return self
        if self._depth == 0:
            self.received = False
            previous = signal.getsignal(signal.SIGINT)
            if callable(previous):  # not SIG_IGN, SIG_DFL or a C-level handler
                self._previous = previous
                signal.signal(signal.SIGINT, self._handler)
        self._depth += 1
        return self

    def __exit__(self, *exc):
        if threading.current_thread() is not threading.main_thread():
            return False
        self._depth -= 1
        if self._depth == 0 and self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return False
