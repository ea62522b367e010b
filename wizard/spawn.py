"""How the runner starts a tool, in its own session, and what it holds afterwards.

Two ways, one interface (`Started`: pid, alive(), wait(), exit_code):

- **Streamed** (the caller reads lines as they come: bootstrap, restore, push, install): `sh`, whose
  callback readers hand each line over while the tool runs.
- **Captured** (everything else, thousands of short commands in one migration): `subprocess`, whose
  posix_spawn/vfork start costs well under a millisecond of CPU. `sh` forks the whole interpreter and runs
  Python in the child before exec: 6 to 15 ms of CPU per command, most of it the kernel copying the
  wizard's page tables, and importing it costs ~90 ms (asyncio) in a process that streams nothing.
  Output goes to private unlinked temp files, so no pipe can fill and block the tool; stdin is written by
  a thread, so a tool that never reads it still ends by its timeout.
"""
from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Callable


class Started:
    """A tool that was started: its process (the leader of its own group) and where its output goes."""

    def __init__(self, pid: int, files, alive: Callable[[], bool], wait: Callable[[], None],
                 exit_code: Callable[[], int | None]) -> None:
        self.pid, self.files = pid, files
        self._alive, self._wait, self._exit_code = alive, wait, exit_code

    def alive(self) -> bool:
        return self._alive()

    def wait(self) -> None:
        self._wait()

    @property
    def exit_code(self) -> int | None:
        return self._exit_code()


def start(exe: str, args: list[str], env: dict, stdin: str | bytes | None, cwd: str | None,
          sinks: tuple[Callable[[str], None], Callable[[str], None]] | None) -> Started:
    """Start `exe` with `args` in a new session; `sinks` (stdout, stderr line callbacks) streams, None captures."""
    if sinks is None:
        return _captured(exe, args, env, stdin, cwd)
    return _streamed(exe, args, env, stdin, cwd, sinks)


def _captured(exe, args, env, stdin, cwd) -> Started:
    files = (tempfile.TemporaryFile(), tempfile.TemporaryFile())
    try:
        p = subprocess.Popen([exe, *args], stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                             stdout=files[0], stderr=files[1], env=env, cwd=cwd, start_new_session=True)
    except BaseException:
        for f in files:
            f.close()
        raise
    if stdin is not None:
        data = stdin.encode("utf-8", errors="replace") if isinstance(stdin, str) else stdin
        threading.Thread(target=_feed, args=(p.stdin, data), daemon=True, name=f"stdin-{p.pid}").start()

    def wait() -> None:
        p.wait()

    return Started(p.pid, files, lambda: p.poll() is None, wait, lambda: p.returncode)


def _feed(pipe, data: bytes) -> None:
    try:
        with pipe:
            pipe.write(data)
    except OSError:  # the tool ended (or closed stdin) before reading it all: its exit code says what happened
        pass


def _streamed(exe, args, env, stdin, cwd, sinks) -> Started:
    import sh  # imported here: only a streamed command pays for it

    proc = sh.Command(exe)(
        *args,
        _env=env,
        _in=stdin,
        _out=sinks[0],
        _err=sinks[1],
        _bg=True,
        _bg_exc=False,
        _new_session=True,
        _tty_out=False,
        _cwd=cwd,
        _ok_code=list(range(-64, 256)),
        _decode_errors="replace",
    )

    def wait() -> None:
        proc.process.wait()  # also joins the threads that hand over the streamed lines

    return Started(proc.pid, None, lambda: proc.process.is_alive()[0], wait, lambda: proc.exit_code)
