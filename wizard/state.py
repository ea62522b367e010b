"""The wizard's progress on one repository: versioned, atomic, locked, cluster-pinned.

The state lives inside the repository's git directory (never in the work tree, so it is
never committed), next to the audit log. It is rewritten atomically after every step.
A second wizard on the same repository is refused while the first holds the lock; the
lock is an flock, so a wizard killed with -9 releases it without leaving a stale lock.
"""
from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .fsutil import atomic_write, ensure_private_dir
from .journal import Journal
from .state_format import SCHEMA, STATE_FILE, NewerSchema, Status, check



def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class StateError(Exception):
    """The state file cannot be used as it is; the message says why and what to do."""


class LockHeld(StateError):
    """Another wizard holds the lock on this repository."""


@dataclass
class ClusterIdentity:
    """What makes a cluster *this* cluster: the kube-system namespace UID is the anchor."""

    context: str
    server: str
    uid: str
    kubeconfig: str | None = None

    def same_cluster(self, other: "ClusterIdentity") -> bool:
        return self.uid == other.uid and self.server == other.server

    def describe(self) -> str:
        return f"context {self.context!r}, server {self.server}, kube-system UID {self.uid}"


@dataclass
class ItemState:
    status: Status = Status.PENDING
    checked_at: str | None = None
    message: str = ""
    evidence: dict = field(default_factory=dict)
    needs: list[str] = field(default_factory=list)  # prerequisites the item found itself (Verdict.needs)
    # Questions the item raised while planning ({key: prompt, choices, default, help}), beyond its
    # declared ones: the TUI's answers form shows the saved answers to them, to change one later.
    asked: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.status = Status(self.status)


@dataclass
class State:
    repo: str
    schema: int = SCHEMA
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    cluster: ClusterIdentity | None = None
    answers: dict = field(default_factory=dict)
    items: dict[str, ItemState] = field(default_factory=dict)
    journal: list[dict] = field(default_factory=list)

    def item(self, item_id: str) -> ItemState:
        return self.items.setdefault(item_id, ItemState())

    def record(self, action: str, **details) -> None:
        """Append to the journal that rollback relies on (commits made, backups, files written)."""
        self.journal.append({"at": now(), "action": str(action), **details})

    @property
    def events(self) -> Journal:
        """The journal's typed queries (commits(), last(kind), events(kinds))."""
        return Journal(self.journal)

    def to_json(self) -> dict:
        return {
            "schema": self.schema,
            "repo": self.repo,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "cluster": None if self.cluster is None else vars(self.cluster),
            "answers": self.answers,
            # `needs` and `asked` only where an item has some: the file reads as before for everything else.
            "items": {k: {f: x for f, x in vars(v).items() if f not in ("needs", "asked") or x}
                      for k, v in self.items.items()},
            "journal": self.journal,
        }

    @classmethod
    def from_json(cls, data: dict, path: Path) -> "State":
        try:
            check(data)
        except NewerSchema as e:
            raise StateError(f"{path} was written by a newer homelab-wizard ({e}); upgrade homelab-wizard, or move "
                             "the file away to start over.") from e
        except ValueError as e:
            raise StateError(
                f"{path} is not a valid homelab-wizard state file ({e}); it was left untouched. "
                f"Move it away to start over, or restore it from {path.name}.bak."
            ) from e
        cluster = data.get("cluster")
        return cls(
            repo=data["repo"], schema=SCHEMA, created_at=data["created_at"], updated_at=data["updated_at"],
            cluster=ClusterIdentity(**cluster) if cluster else None, answers=dict(data.get("answers", {})),
            items={k: ItemState(**v) for k, v in data.get("items", {}).items()},
            journal=list(data.get("journal", [])),
        )


class StateStore:
    """Loads, locks and saves the state of one repository."""

    def __init__(self, state_dir: Path, repo: Path) -> None:
        self.dir = Path(state_dir)
        self.repo = Path(repo)
        self.path = self.dir / STATE_FILE
        self.lock_path = self.dir / "lock"
        self._lock_fd: int | None = None
        self.state: State | None = None
        self.before_rename = None  # test hook: where a kill -9 during a write hurts most
        # A dry run plans with the answers it was given; every save meanwhile keeps these on disk.
        self.stored_answers: dict | None = None

    # -- locking ---------------------------------------------------------------
    def acquire(self, command: str = "homelab-wizard") -> None:
        ensure_private_dir(self.dir)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self.lock_holder() or {}
            os.close(fd)
            raise LockHeld(
                f"another homelab-wizard is working on {self.repo} (pid {holder.get('pid', '?')} on "
                f"{holder.get('host', '?')}, running '{holder.get('command', '?')}' since {holder.get('since', '?')}); "
                "wait for it to finish or stop it, then try again."
            ) from None
        # Temp files of writes killed before their rename; only the lock holder may remove them.
        for stale in self.dir.glob(".state.json*.tmp"):
            stale.unlink(missing_ok=True)
        info = json.dumps({"pid": os.getpid(), "host": os.uname().nodename, "command": command, "since": now()})
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, info.encode(), 0)
        except OSError as e:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise OSError(e.errno, e.strerror, str(self.lock_path)) from e
        self._lock_fd = fd

    def lock_holder(self) -> dict | None:
        try:
            return json.loads(self.lock_path.read_text() or "null")
        except (OSError, ValueError):
            return None

    def release(self) -> None:
        if self._lock_fd is not None:
            os.ftruncate(self._lock_fd, 0)
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> "StateStore":
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    # -- load / save -------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> State:
        """The stored state, a fresh one if there is none; refuses corrupt or newer files."""
        if not self.path.exists():
            self.state = State(repo=str(self.repo))
            return self.state
        raw = self.path.read_bytes()
        try:
            data = json.loads(raw)
        except ValueError as e:
            raise StateError(
                f"{self.path} is corrupt (line {getattr(e, 'lineno', '?')}: {getattr(e, 'msg', e)}); it was left "
                f"untouched. Move it away to start over, or restore {self.path.name}.bak if it exists."
            ) from e
        if not isinstance(data, dict):
            raise StateError(f"{self.path} does not hold a state object; it was left untouched. Move it away to start over.")
        self.state = State.from_json(data, self.path)
        if self._lock_fd is not None:
            # We hold the lock, so nothing is running: a "running" item is what a killed
            # wizard left behind. Say so instead of showing it as still in progress.
            for item_id, it in self.state.items.items():
                if it.status == Status.RUNNING:
                    it.status = Status.FAILED
                    it.message = (f"{item_id} was interrupted (the wizard stopped while it ran); "
                                  "run it again to finish it")
        return self.state

    def save(self) -> None:
        if self._lock_fd is None:
            raise StateError("internal error: the state is saved without holding the lock")
        st = self.state
        st.updated_at = now()
        if self.path.exists():
            # The last good state, for the rare case someone damages the current one by hand.
            atomic_write(self.dir / "state.json.bak", self.path.read_bytes())
        data = st.to_json()
        if self.stored_answers is not None:
            data["answers"] = dict(self.stored_answers)
        atomic_write(self.path, json.dumps(data, indent=2, sort_keys=False) + "\n", before_rename=self.before_rename)
