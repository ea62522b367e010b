"""The journal: what the wizard did, as typed events over the entries the state file stores.

The state keeps the journal as a list of plain dicts (`{"at", "action", ...}`), the format rollback
and resume read back days later. This module names every kind of entry in one place and answers
the questions several modules asked by scanning those dicts by hand, so that two writers can no
longer disagree on a shape (Phase 5 journaled `commit=`, while revert read only `commits=` lists,
so its commits were never reverted).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Kind(str, Enum):
    """Every kind of journal entry. The values are what state files hold: never rename one."""

    PINNED = "pinned"
    RAN = "ran"
    BACKUP = "backup"
    STRUCTURE_CHOSEN = "structure-chosen"
    INVENTORY_WROTE = "wrote"
    REPO_BASELINE = "repo-baseline"
    REPO_APPLY = "repo-apply"
    REPO_OP = "repo-op"
    REPO_COMMITTED = "repo-committed"
    REPO_PUSH = "repo-push"
    HELM_SCAFFOLD = "helm-scaffold"
    SECRETS_SCANNED = "secrets-scanned"
    SECRETS_KEYS = "secrets-keys"
    SECRETS_FILE = "secrets-file"
    SECRETS_CONVERTED = "secrets-converted"
    CREDENTIALS_CHOSEN = "credentials-chosen"
    BOOTSTRAP_STARTED = "bootstrap-started"
    BOOTSTRAP_FAILED = "bootstrap-failed"
    BOOTSTRAPPED = "bootstrapped"
    BOOTSTRAP_ADOPTED = "bootstrap-adopted"
    FAST_FORWARDED = "fast-forwarded"
    RECONCILE_REQUESTED = "reconcile-requested"
    DRIFT_MADE = "drift-made"
    DRIFT_SEEN = "drift-seen"
    HEALED = "drift-healed"
    DRIFT_RESTORED = "drift-restored"
    INTEGRATE_WROTE = "integrate-wrote"
    INTEGRATE_COMMITTED = "integrate-committed"
    INTEGRATE_PUSHED = "integrate-pushed"
    INTEGRATE_KEPT = "integrate-kept"
    INTEGRATE_APPLIED = "integrate-applied"
    NOTIFY_SENT = "notify-test-sent"
    ROLLBACK_PREFIX = "rollback-"  # + the action's name: rollback-revert, rollback-restore …

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Event:
    """One journal entry: when, what kind (the stored action name) and its details."""

    at: str
    kind: str
    data: dict = field(default_factory=dict)

    @classmethod
    def from_entry(cls, entry: dict) -> "Event":
        data = {k: v for k, v in entry.items() if k not in ("at", "action")}
        return cls(str(entry.get("at", "")), str(entry.get("action", "")), data)

    def get(self, key: str, default=None):
        return self.data.get(key, default)

    @property
    def is_rollback(self) -> bool:
        return self.kind.startswith(Kind.ROLLBACK_PREFIX.value)


@dataclass(frozen=True)
class Commit:
    """A commit the wizard made: which item (or items) it holds and the HEAD it was made on."""

    sha: str
    kind: str
    items: tuple[str, ...] = ()
    base: str | None = None
    message: str = ""


class Journal:
    """Queries over the stored entries (a live view: entries recorded later are seen)."""

    def __init__(self, entries: list[dict]) -> None:
        self.entries = entries

    def events(self, *kinds: str) -> list[Event]:
        wanted = {str(k) for k in kinds}
        return [Event.from_entry(e) for e in self.entries if not wanted or str(e.get("action", "")) in wanted]

    def last(self, kind: str, **match) -> Event | None:
        """The newest entry of `kind` whose details equal every `match` given."""
        for e in reversed(self.events(kind)):
            if all(e.get(k) == v for k, v in match.items()):
                return e
        return None

    def commits(self) -> list[Commit]:
        """Every commit the wizard made, oldest first, whichever phase made it: Phase 2 and the secrets
        items journal `commits=[…]` with the items they hold, Phase 5 one `commit=` per item."""
        out: list[Commit] = []
        seen: set[str] = set()
        for e in self.events():
            if e.is_rollback:
                continue
            if e.kind == Kind.INTEGRATE_COMMITTED and e.get("commit"):
                shas, items = [e.get("commit")], (e.get("item"),)
            elif isinstance(e.get("commits"), list):
                shas, items = e.get("commits"), tuple(e.get("items") or ())
            else:
                continue
            for sha in shas:
                if sha not in seen:
                    seen.add(sha)
                    out.append(Commit(sha, e.kind, tuple(i for i in items if i), e.get("base"), e.get("message", "")))
        return out
