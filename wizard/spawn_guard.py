"""Signals that arrive while a tool is being started wait until the runner can stop it.

The runner ends a tool's process group when Ctrl-C, SIGTERM or SIGHUP reaches the wizard (they arrive as a
KeyboardInterrupt). Starting the tool takes a moment (the fork and exec; for a streamed one, the reader threads): a signal in
that moment was raised before the runner held the process, so nothing stopped it and the tool and its
children lived on (seen once in CI, on a loaded machine, as a `sleep` left behind after SIGTERM). Inside
`held()` the signals are only noted; `deliver()` raises the first one once the process can be stopped.
Only the main thread can set signal handlers: elsewhere (the TUI's workers, which stop tools through their
cancel token) this does nothing.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Held:
    def __init__(self) -> None:
        self.signum: int | None = None

    def deliver(self) -> None:
        """Raise the signal that arrived while held, through the handler that was in place (Ctrl-C's
        KeyboardInterrupt, wizard.signals' Terminated)."""
        if self.signum is not None:
            signum, self.signum = self.signum, None
            signal.raise_signal(signum)


@contextmanager
def held():
    got = Held()
    if threading.current_thread() is not threading.main_thread():
        yield got
        return

    def note(signum, frame) -> None:
        if got.signum is None:
            got.signum = signum

    before = {}
    try:
        for sig in SIGNALS:
            current = signal.getsignal(sig)
            if current in (signal.SIG_IGN, None):
                continue  # ignored (nohup), or set outside Python: left as it is
            before[sig] = signal.signal(sig, note)
        yield got
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
