"""Write and check a re-appliable backup of the cluster (item 1.2).

Layout of one backup, in the user's data directory (never the work tree):

    <backups>/<UTC timestamp>/index.json          counts, checksums, cluster identity
    <backups>/<UTC timestamp>/objects/<ns>/<Kind>.<group>.yaml
    <backups>/<UTC timestamp>/flux-owned/...       objects Flux already manages, kept apart

It is written into `<timestamp>.partial/` and renamed only when complete, so an interrupted
backup (Ctrl-C, kill -9, disk full) is never mistaken for a finished one.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

from ..pause import pause_point  # noqa: F401 - re-exported (it lived here)
from ..fsutil import PRIVATE_DIR, ensure_private_dir, write_private
from ..repo.scan import group_of
from .clean import clean
from .listing import Listing

INDEX = "index.json"


PARTIAL = ".partial"


def object_file(obj: dict, base: str = "objects") -> str:
    ns = obj.get("metadata", {}).get("namespace") or "_cluster"
    group = group_of(obj.get("apiVersion", "")) or "core"
    return f"{base}/{ns}/{obj['kind']}.{group}.yaml"


def group_files(objs: list[dict], base: str) -> dict[str, list[dict]]:
    files: dict[str, list[dict]] = {}
    for o in objs:
        files.setdefault(object_file(o, base), []).append(o)
    for docs in files.values():
        docs.sort(key=lambda o: o["metadata"]["name"])
    return files


def dump_docs(docs: list[dict]) -> bytes:
    return yaml.safe_dump_all(docs, sort_keys=True, explicit_start=True).encode()


@dataclass
class BackupInfo:
    path: Path
    index: dict

    @property
    def created_at(self) -> str:
        return self.index.get("created_at", "?")


def write_backup(root: Path, listing: Listing, identity: dict, progress=lambda line: None) -> BackupInfo:
    """Write a complete backup of `listing` under `root`; returns its final folder."""
    ensure_private_dir(root)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    tmp = root / f"{stamp}{PARTIAL}"
    os.mkdir(tmp, PRIVATE_DIR)
    try:
        entries = []
        for base, objs in (("objects", listing.objects), ("flux-owned", listing.flux_owned)):
            for rel, docs in sorted(group_files([clean(o) for o in objs], base).items()):
                data = dump_docs(docs)
                ensure_private_dir((tmp / rel).parent)
                write_private(tmp / rel, data, exclusive=True)
                first = docs[0]
                entries.append({"path": rel, "namespace": first["metadata"].get("namespace") or "", "kind": first["kind"],
                                "group": group_of(first["apiVersion"]), "count": len(docs),
                                "sha256": hashlib.sha256(data).hexdigest()})
                progress(f"wrote {rel} ({len(docs)})")
                pause_point("backup-partial")
        index = {"format": 1, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "cluster": identity, "complete": True, "files": entries,
                 "objects": sum(e["count"] for e in entries if e["path"].startswith("objects/")),
                 "flux_owned": len(listing.flux_owned), "skipped": listing.skipped,
                 "not_listable": listing.not_listable}
        write_private(tmp / INDEX, json.dumps(index, indent=2).encode(), exclusive=True)
        final = root / stamp
        os.rename(tmp, final)
        return BackupInfo(final, index)
    except BaseException:
        # Ctrl-C, ENOSPC, a failed command: leave nothing that looks like a backup.
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def remove_incomplete(root: Path) -> list[str]:
    """Delete leftovers of interrupted backups (kill -9 leaves a .partial folder)."""
    removed = []
    if root.is_dir():
        for p in root.iterdir():
            if p.name.endswith(PARTIAL):
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p.name)
    return removed


def latest_backup(root: Path) -> BackupInfo | None:
    if not root.is_dir():
        return None
    for p in sorted(root.iterdir(), reverse=True):
        if p.is_dir() and not p.name.endswith(PARTIAL) and (p / INDEX).is_file():
            try:
                index = json.loads((p / INDEX).read_text())
            except ValueError:
                continue
            if index.get("complete"):
                return BackupInfo(p, index)
    return None


def check_integrity(info: BackupInfo) -> list[str]:
    """Checksums and private permissions of every file the index lists."""
    problems = []
    for path in [info.path, *info.path.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        want = PRIVATE_DIR if path.is_dir() else 0o600
        if mode != want:
            problems.append(f"{path} has mode {oct(mode)}, expected {oct(want)}")
    for e in info.index["files"]:
        f = info.path / e["path"]
        if not f.is_file():
            problems.append(f"{f} is missing")
        elif hashlib.sha256(f.read_bytes()).hexdigest() != e["sha256"]:
            problems.append(f"{f} does not match its checksum (changed since the backup was written)")
    return problems


def live_counts(listing: Listing) -> dict[str, int]:
    counts: dict[str, int] = {}
    for o in listing.objects:
        rel = object_file(o)
        counts[rel] = counts.get(rel, 0) + 1
    return counts


def compare_counts(info: BackupInfo, listing: Listing) -> list[str]:
    backed = {e["path"]: e["count"] for e in info.index["files"] if e["path"].startswith("objects/")}
    live = live_counts(listing)
    diffs = []
    for rel in sorted(set(backed) | set(live)):
        if backed.get(rel, 0) != live.get(rel, 0):
            diffs.append(f"{rel}: {backed.get(rel, 0)} in the backup, {live.get(rel, 0)} in the cluster")
    return diffs
