"""The one subprocess runner every tool wrapper goes through.

Streamed output goes through `sh`, captured output through `subprocess` (wizard/spawn.py says why).
Every call: an argv list (never a shell string); its own session, so a
timeout or a cancellation can kill the whole process group (tools like flux and git spawn
children); secrets only through the environment or stdin, and redacted from everything the
call returns, raises or logs; one JSON line in the audit log (mode 0600) per command.
"""
from __future__ import annotations

import json
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .redact import Redactor, default_redactor
from .spawn_guard import held
from .writes import may_change_cluster  # noqa: F401 - Runner counts them; imported from here by tests

# How much of stdout/stderr the audit log keeps per command (the tail, redacted).
AUDIT_OUTPUT_LIMIT = 4000
TERM_GRACE_SECONDS = 3.0


class ToolError(Exception):
    """Base of every error a tool call can raise."""

    def __init__(self, message: str, argv: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.argv = list(argv)


class ToolMissing(ToolError):
    """The executable is not on PATH."""


class ToolFailed(ToolError):
    """The tool exited with a code it should not have."""

    def __init__(self, message: str, argv: Sequence[str], exit_code: int, stdout: str, stderr: str) -> None:
        super().__init__(message, argv)
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr


class ToolTimeout(ToolError):
    """The tool ran longer than its timeout; its process group was killed."""


class Cancelled(ToolError):
    """The user cancelled; the tool's process group was terminated."""


class CancelToken:
    """Set from another thread (the UI, a signal handler) to stop the running command."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking at once when cancelled; True when cancelled."""
        return self._event.wait(seconds)


@dataclass
class Result:
    """A finished command: `argv` and `stderr` redacted (for people), `stdout` as written (data)."""

    argv: list[str]
    exit_code: int
    stdout: str
    stderr: str
    duration: float
    started_at: str
    redact: Callable[[str], str] | None = field(default=None, repr=False)

    @property
    def shown_stdout(self) -> str:
        """stdout redacted, for anything that shows or stores it for people; made when asked for (a listing of
        every object is megabytes that only the parser reads)."""
        return self.redact(self.stdout) if self.redact else self.stdout

    @property
    def command(self) -> str:
        return " ".join(self.argv)

    def json(self):
        return json.loads(self.stdout)


@dataclass
class Runner:
    """Runs tools. `base_env` is the environment every call starts from."""

    audit_log: Path | None = None
    redactor: Redactor = field(default_factory=default_redactor)
    base_env: Mapping[str, str] | None = None
    default_timeout: float = 120.0
    on_command: Callable[[list[str]], None] | None = None  # UI hook: a command is starting
    # The current job's cancel token (the session's): every call that is not handed its own token uses
    # it, so stopping a job stops whatever tool it is running, wherever in the core that call is made.
    current_cancel: Callable[[], CancelToken | None] | None = None
    # kubectl and flux commands run so far that may change the cluster (wizard/cluster/memo.py reads it).
    cluster_changes: int = 0

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        from .paths import REDIRECTING_GIT_ENV, tools_bin

        env = dict(self.base_env if self.base_env is not None else os.environ)
        for name in REDIRECTING_GIT_ENV:  # the repo the user named, never the one the shell points at
            env.pop(name, None)
        # Tools must not open pagers, colour output or ask GitHub for updates.
        env.update({"NO_COLOR": "1", "PAGER": "cat", "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0",
                    "SOPS_DISABLE_VERSION_CHECK": "1", "LC_ALL": "C.UTF-8"})
        env.update(extra or {})
        from .repo.git_files import lfs_off_env

        lfs_off_env(env)  # no git-lfs: its pointers stay as they are, never a raw "git-lfs: not found"
        # kubectl and sops also come as PyPI wheels next to this interpreter; the user's own
        # tools on PATH still win.
        # flux and kubeseal from `doctor --install-tools` sit in the wizard's data dir.

        path = env.get("PATH", "")
        # HOMELAB_WIZARD_PATH_ONLY=1: use PATH as given (tests of a missing tool need it).
        if env.get("HOMELAB_WIZARD_PATH_ONLY") != "1":
            for extra_dir in (os.path.dirname(sys.executable), str(tools_bin())):
                if extra_dir not in path.split(os.pathsep):
                    path = f"{path}{os.pathsep}{extra_dir}" if path else extra_dir
            env["PATH"] = path
        return env

    def which(self, tool: str, env: Mapping[str, str] | None = None) -> str | None:
        import shutil  # here, not at the top: commands that run no tool (status) start faster

        return shutil.which(tool, path=(env or self.env()).get("PATH"))

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        secret_env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
        stdin_is_secret: bool = False,
        cwd: str | os.PathLike | None = None,
        ok_codes: Sequence[int] = (0,),
        on_line: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
        log_output: bool = True,
        raw_stdout: bool = False,
    ) -> Result:
        """Run `argv` and return its Result (stdout unmasked, for parsing), or raise a redacted ToolError.

        `secret_env` values and secret stdin are registered with the redactor first, so they
        can never leak through output. `log_output=False` keeps the output out of the audit
        log (only its size and hash are kept) for commands that print secret material, such
        as listing Secrets for a backup.
        """
        argv = [str(a) for a in argv]
        if cancel is None and self.current_cancel is not None:
            cancel = self.current_cancel()
        self._register_secrets(secret_env, stdin, stdin_is_secret)
        full_env = self.env({**(env or {}), **(secret_env or {})})
        shown = [self.redactor.redact(a) for a in argv]
        started = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        t0 = time.monotonic()
        exe = self._executable_or_refuse(argv, shown, started, full_env, cancel, cwd, log_output)
        if self.on_command:
            self.on_command(shown)

        if may_change_cluster(argv):
            self.cluster_changes += 1
        with held() as interrupt:  # a Ctrl-C or SIGTERM while the tool starts waits until it can be stopped
            proc, files, out_chunks, err_chunks = self._spawn(exe, argv, full_env, stdin, cwd, on_line)
        limit = timeout if timeout is not None else self.default_timeout
        status = "ok"
        try:
            interrupt.deliver()
            status = _wait(proc, cancel, t0, limit)
        except BaseException:
            # Ctrl-C in the wizard: the child is in its own session and never saw SIGINT.
            status = "cancelled"
            _stop_group(proc)
            raise
        finally:
            _reap(proc)  # a streamed command's wait also joins the threads that hand over its lines
            duration = time.monotonic() - t0
            raw, stderr = self._outputs(files, out_chunks, err_chunks)
            code = proc.exit_code if proc.exit_code is not None else -1
            if status == "ok" and code not in ok_codes:
                status = "failed"
            logged = False if raw_stdout else log_output
            # Redacting stdout costs a pass of every pattern over it: only for what people see or the log keeps.
            stdout = self.redactor.redact(raw) if logged or status != "ok" else None
            self._audit(shown, started, duration, code, status, stdout if logged else raw, stderr, cwd, logged)

        _raise_for_status(status, shown, limit, code, stdout or "", stderr)
        return Result(shown, code, raw, stderr, duration, started, redact=self.redactor.redact)

    def _register_secrets(self, secret_env: Mapping[str, str] | None, stdin: str | bytes | None,
                          stdin_is_secret: bool) -> None:
        # Registered before anything runs, so no output, error or log line can carry them.
        for v in (secret_env or {}).values():
            self.redactor.add(v)
        if stdin_is_secret and stdin:
            self.redactor.add(stdin if isinstance(stdin, str) else stdin.decode(errors="replace"))

    def _executable_or_refuse(self, argv, shown, started, full_env, cancel, cwd, log_output) -> str:
        """The path of argv[0]; a missing tool or a job stopped before it started is audited and raised."""
        exe = self.which(argv[0], full_env)
        if exe is None:
            self._audit(shown, started, 0.0, None, "missing", "", "", cwd, log_output)
            raise ToolMissing(f"'{argv[0]}' was not found on PATH; install it and run the command again", shown)
        if cancel is not None and cancel.cancelled:  # stopped before it started: start nothing
            self._audit(shown, started, 0.0, None, "cancelled", "", "", cwd, log_output)
            raise Cancelled(f"'{shown[0]}' was cancelled", shown)
        return exe

    def _spawn(self, exe, argv, full_env, stdin, cwd, on_line):
        """Start the tool in the background: (Started, temp files or None, stdout chunks, stderr chunks)."""
        out_chunks: list[str] = []
        err_chunks: list[str] = []

        def make_sink(chunks: list[str]):
            def sink(line: str) -> None:
                chunks.append(line)
                if on_line is not None:
                    on_line(self.redactor.redact(line.rstrip("\n")))
            return sink

        from .spawn import start  # here, not at the top: commands that run no tool (status) start faster

        sinks = None if on_line is None else (make_sink(out_chunks), make_sink(err_chunks))
        proc = start(exe, argv[1:], full_env, stdin, str(cwd) if cwd else None, sinks)
        return proc, proc.files, out_chunks, err_chunks

    def _outputs(self, files, out_chunks: list[str], err_chunks: list[str]) -> tuple[str, str]:
        """(raw stdout, redacted stderr) of a finished process."""
        if files:
            out_chunks, err_chunks = [_read(files[0])], [_read(files[1])]
        # stdout is data (YAML/JSON the wizard parses): returned as the tool wrote it, never
        # masked (a mask reads as a YAML alias and changes values). Everything people read or
        # the wizard stores (audit log, errors, streamed lines) is redacted.
        return "".join(out_chunks), self.redactor.redact("".join(err_chunks))

    def _audit(self, argv, started, duration, code, status, stdout, stderr, cwd, log_output) -> None:
        if self.audit_log is None:
            return
        rec = {"start": started, "duration_s": round(duration, 3), "argv": argv, "cwd": str(cwd) if cwd else None,
               "exit_code": code, "status": status}
        if log_output:
            rec["stdout"] = stdout[-AUDIT_OUTPUT_LIMIT:]
            rec["stderr"] = stderr[-AUDIT_OUTPUT_LIMIT:]
        else:
            rec["stdout"] = f"<{len(stdout)} bytes withheld: may hold secrets>"
            rec["stderr"] = stderr[-AUDIT_OUTPUT_LIMIT:]
        line = (json.dumps(rec) + "\n").encode()
        try:
            self.audit_log.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.audit_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as e:
            raise OSError(e.errno, e.strerror, str(self.audit_log)) from e


def _wait(proc, cancel: CancelToken | None, t0: float, limit: float) -> str:
    """Wait until the process ends ("ok"), is cancelled or runs past `limit`; its group is stopped then.

    Woken by the process's exit itself (a pidfd: readable once it has exited, reaped or not), so a 100 ms
    kubectl costs 100 ms, not 100 ms plus a polling step; cancellation and the limit are looked at every
    50 ms. Without pidfds (an old kernel) it polls."""
    pidfd = _pidfd(proc.pid)
    pause = 0.002
    try:
        while proc.alive():
            if cancel is not None and cancel.cancelled:
                _stop_group(proc)
                return "cancelled"
            left = limit - (time.monotonic() - t0)
            if left < 0:
                _kill_group(proc, signal.SIGKILL)
                return "timeout"
            if pidfd is not None:
                select.select([pidfd], [], [], min(0.05, max(left, 0.001)))
            else:
                time.sleep(pause)
                pause = min(pause * 2, 0.05)  # quick commands return fast; long ones poll gently
    finally:
        if pidfd is not None:
            os.close(pidfd)
    return "ok"


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd_open, or the process is gone already
        return None


def _raise_for_status(status: str, shown: list[str], limit: float, code: int, stdout: str, stderr: str) -> None:
    if status == "timeout":
        raise ToolTimeout(f"'{' '.join(shown)}' did not finish within {limit:g}s; it was stopped (with its child "
                          "processes). Check that the tool and the cluster respond, then try again", shown)
    if status == "cancelled":
        raise Cancelled(f"'{shown[0]}' was cancelled", shown)
    if status == "failed":
        detail = (stderr.strip() or stdout.strip()).splitlines()[-5:]
        raise ToolFailed(
            f"'{' '.join(shown)}' failed with exit code {code}: " + " / ".join(detail),
            shown, code, stdout, stderr,
        )


def _kill_group(proc, sig) -> None:
    try:
        os.killpg(proc.pid, sig)  # the child leads its own session and process group
    except (ProcessLookupError, PermissionError):
        pass


def _stop_group(proc) -> None:
    """SIGTERM the group, then SIGKILL whatever is left after a grace period."""
    _kill_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + TERM_GRACE_SECONDS
    while time.monotonic() < deadline:
        if not proc.alive():
            break
        time.sleep(0.05)
    _kill_group(proc, signal.SIGKILL)


def _read(f) -> str:
    with f:
        f.seek(0)
        return f.read().decode("utf-8", errors="replace")


def _reap(proc) -> None:
    try:
        proc.wait()
    except Exception:  # noqa: BLE001 - already killed; nothing more we can do
        pass
