"""The state file's format: its constants and the one check of what a readable file holds.

In a module that imports nothing of the wizard's: `status` reads the state file through wizard.status_view
without loading the dataclasses of wizard.state (their import is a large part of a cold start),
and both use `check()`, so they accept exactly the same files.
"""

from enum import StrEnum  # enum is loaded at interpreter start already (re uses it): no cold-start cost

SCHEMA = 1


class Status(StrEnum):
    """An item's status: the closed set every verdict and the state file use (stored as the string)."""

    PENDING = "pending"
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    BLOCKED = "blocked"
    SKIPPED = "skipped"


STATUSES = tuple(Status)
STATE_FILE = "state.json"
ITEM_FIELDS = ("status", "checked_at", "message", "evidence", "needs", "asked")
CLUSTER_FIELDS = ("context", "server", "uid", "kubeconfig")
REQUIRED = ("repo", "created_at", "updated_at")


class NewerSchema(ValueError):
    """Written by a newer homelab-wizard."""


def check(data) -> None:
    """Raise ValueError naming the first thing that makes `data` unreadable (NewerSchema when newer)."""
    if not isinstance(data, dict):
        raise ValueError("the file does not hold a state object")
    schema = data.get("schema")
    if not isinstance(schema, int):
        raise ValueError("schema is missing or not a number")
    if schema > SCHEMA:
        raise NewerSchema(f"state schema {schema}, this one reads up to {SCHEMA}")
    for key in REQUIRED:
        if key not in data:
            raise ValueError(f"{key!r} is missing")
    items = data.get("items", {})
    if not isinstance(items, dict):
        raise ValueError("items is not a mapping")
    for k, v in items.items():
        if not isinstance(v, dict) or v.get("status") not in STATUSES:
            raise ValueError(f"item {k} has unknown status {(v or {}).get('status') if isinstance(v, dict) else v!r}")
        extra = set(v) - set(ITEM_FIELDS)
        if extra:
            raise ValueError(f"item {k} has unknown fields {sorted(extra)}")
    cluster = data.get("cluster")
    if cluster and not (isinstance(cluster, dict) and {"context", "server", "uid"} <= set(cluster) <= set(CLUSTER_FIELDS)):
        raise ValueError("cluster is not a pinned identity (context, server, uid)")
    if not isinstance(data.get("answers", {}), dict) or not isinstance(data.get("journal", []), list):
        raise ValueError("answers or journal has the wrong type")
    _check_journal(data.get("journal", []))


def _check_journal(journal: list) -> None:
    """Every reader (rollback, resume, 2.5) takes an entry as {"at", "action", ...}: a hand edit that
    left a string or a null there is named here, instead of crashing one of them later."""
    for n, entry in enumerate(journal):
        if not isinstance(entry, dict):
            raise ValueError(f"journal entry {n} is {type(entry).__name__} {str(entry)[:40]!r}, not an object")
        for key in ("at", "action"):
            if not isinstance(entry.get(key), str):
                raise ValueError(f"journal entry {n} has no {key!r} text")
