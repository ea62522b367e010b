"""Starting, recording, checking and killing the testbed's host processes.

Every component starts in its own session (``start_new_session=True``), so its pid is also its
process-group id and one ``killpg`` ends it and anything it forked. Each start is recorded in
``<run dir>/pids.json`` together with the process's start time from /proc, so that another process
(``make testbed-down``) or the next start after a crash can kill exactly these processes and never
an unrelated one that happens to reuse a pid.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

LOG_TAIL_LINES = 20


def proc_start_time(pid: int) -> int | None:
    """Field 22 of /proc/<pid>/stat (clock ticks since boot), or None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm (field 2) may contain spaces and parentheses: split after the last ')'.
    rest = stat[stat.rindex(")") + 2:].split()
    return int(rest[19])


def _task_states(pid: int) -> list[str]:
    """State letter of every thread of ``pid`` ([] if there is no such process)."""
    states = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except (FileNotFoundError, ProcessLookupError, NotADirectoryError):
        return []
    for t in tasks:
        try:
            stat = (t / "stat").read_text()
        except OSError:
            continue
        states.append(stat[stat.rindex(")") + 2])
    return states


def proc_alive(pid: int) -> bool:
    """True while any thread of the process is running.

    Not just the main thread's state: a Go program's main thread can already be a zombie while
    other threads are still exiting and holding its listening sockets open.
    """
    return any(s not in "ZX" for s in _task_states(pid))


def group_members(pgid: int) -> list[int]:
    """Live pids whose process group is ``pgid`` (children a component may have forked)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and proc_alive(int(entry.name)):
            out.append(int(entry.name))
    return out


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        data = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"(no log file {path})"
    return "\n".join(data[-lines:]) if data else f"(log {path} is empty)"


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Try to bind the port the way a server would; failure means something holds it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
    except OSError:
        return True
    finally:
        s.close()
    return False


def port_listening(port: int, host: str = "127.0.0.1") -> bool:
    """Something accepts connections on the port (used to prove teardown left nothing behind)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Proc:
    """One started component."""

    name: str
    pid: int
    start_time: int | None
    log: Path
    cmd: list[str]
    popen: subprocess.Popen | None = None  # only in the process that started it

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        return proc_alive(self.pid) and proc_start_time(self.pid) == self.start_time

    def exit_code(self) -> int | None:
        return self.popen.poll() if self.popen is not None else None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return tail(self.log, lines)

    def to_json(self) -> dict:
        return {"name": self.name, "pid": self.pid, "start_time": self.start_time,
                "log": str(self.log), "cmd": self.cmd}


def spawn(name: str, cmd: list[str], log: Path, env: dict[str, str], cwd: Path) -> Proc:
    """Start ``cmd`` in a new session with stdout+stderr appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as fh:
        fh.write(f"# testbed: starting {name}: {' '.join(cmd)}\n".encode())
        fh.flush()
        p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             env=env, cwd=cwd, start_new_session=True)
    return Proc(name=name, pid=p.pid, start_time=proc_start_time(p.pid), log=log, cmd=cmd, popen=p)


class PidFile:
    """``pids.json`` in the run dir: what to kill from another process or after a crash."""

    def __init__(self, path: Path):
        self.path = path

    def write(self, procs: list[Proc], extra: dict | None = None) -> None:
        data = {"owner_pid": os.getpid(), "procs": [p.to_json() for p in procs], **(extra or {})}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(self.path)  # atomic: a concurrent reader never sees half a file

    def read(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def procs(self) -> list[Proc]:
        return [Proc(name=p["name"], pid=p["pid"], start_time=p["start_time"], log=Path(p["log"]),
                     cmd=p["cmd"]) for p in self.read().get("procs", [])]


def kill_all(procs: list[Proc], grace: float = 10.0, report: list[str] | None = None) -> list[str]:
    """SIGTERM every group, wait up to ``grace`` s, SIGKILL what is left; return what survived.

    ``report`` collects one line per process: how long it took to go, and whether it needed SIGKILL.
    """
    targets: list[Proc] = []
    for p in procs:
        # Only signal a pid that is still the process we started (pid reuse after a crash).
        if p.popen is not None or (proc_alive(p.pid) and proc_start_time(p.pid) == p.start_time):
            targets.append(p)
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    t0 = time.monotonic()
    gone: dict[str, float] = {}

    def group_left(p: Proc) -> bool:
        if p.popen is not None:
            p.popen.poll()  # reap our own child so it does not linger as a zombie
        left = bool(group_members(p.pid))
        if not left and p.name not in gone:
            gone[p.name] = time.monotonic() - t0
        return left

    deadline = t0 + grace
    while time.monotonic() < deadline and any([group_left(p) for p in targets]):
        time.sleep(0.05)
    hard = []
    for p in targets:
        if group_left(p):
            hard.append(p.name)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any([group_left(p) for p in targets]):
        time.sleep(0.05)
    if report is not None:
        for p in targets:
            how = " after SIGKILL" if p.name in hard else ""
            report.append(f"{p.name} (pid {p.pid}): gone in {gone.get(p.name, float('nan')):.2f}s{how}")
    return [f"{p.name} (pid {p.pid})" for p in targets if group_left(p)]


def _decode_addr(hexaddr: str) -> tuple[str, int]:
    """'0100007F:1F90' (or the 32-hex-digit IPv6 form) from /proc/net/* -> ('127.0.0.1', 8080)."""
    import ipaddress

    host, port = hexaddr.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        ip = ipaddress.IPv4Address(raw[::-1])
    else:  # four little-endian 32-bit words
        ip = ipaddress.IPv6Address(b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
    return str(ip), int(port, 16)


def inet_sockets(pids: list[int]) -> list[dict]:
    """Every TCP/UDP socket (IPv4 and IPv6) held by ``pids``: proto, local, remote, state, pid.

    Read from /proc (no ss/netstat dependency); used to prove the loopback-only rule.
    """
    inode_pid: dict[str, int] = {}
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            fds = list(fd_dir.iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inode_pid[target[8:-1]] = pid
    out = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/net/{proto}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[9] in inode_pid:
                out.append({"proto": proto, "local": _decode_addr(f[1]), "remote": _decode_addr(f[2]),
                            "state": f[3], "pid": inode_pid[f[9]]})
    return out
