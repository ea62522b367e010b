"""SIGTERM and SIGHUP end a run the way Ctrl-C does.

Python turns only SIGINT into an exception; SIGTERM (a `kill`, a CI job cancelled) and SIGHUP
(the terminal closed) would end the process on the spot, with no `finally` run: the running
tool's process group orphaned, a scratch worktree full of plaintext files left registered, the
item stored as "running". Raised as a KeyboardInterrupt, they take the same orderly path: the
runner ends the tool's group, every `finally` cleans up, the engine records the item as
interrupted, and the CLI says so in one sentence and exits 128 + the signal's number.
"""
from __future__ import annotations

import signal

HANDLED = (signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by `signum` (SIGTERM or SIGHUP)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise_terminated(signum, frame) -> None:
    # The first signal starts the cleanup; a second one (a supervisor that repeats itself) must not
    # cut that cleanup short, so the rest are ignored from here on.
    for sig in HANDLED:
        signal.signal(sig, signal.SIG_IGN)
    raise Terminated(signum)


def handle_termination() -> dict:
    """Raise Terminated in the main thread on SIGTERM and SIGHUP (a no-op off the main thread); the
    handlers it replaced, for restore()."""
    before = {}
    for sig in HANDLED:
        if signal.getsignal(sig) is signal.SIG_IGN:
            continue  # started under nohup: the user asked for this signal to be ignored
        try:
            before[sig] = signal.signal(sig, _raise_terminated)
        except ValueError:  # not the main thread (a test driving main() from a worker): leave it
            break
    return before


def restore(before: dict) -> None:
    """Put back the handlers handle_termination() replaced (main() called in-process, by tests)."""
    for sig, handler in before.items():
        signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
