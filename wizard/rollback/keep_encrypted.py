"""Keep a revert from writing a plaintext Secret back into git.

Undoing S.3 (or a step that removed a hand-written Secret) would bring the pre-migration plaintext
back at HEAD and push it: what 2.5 refuses. So each revert step is made with `--no-commit` and
looked at before it is committed:

- a file in which the step brings back a plaintext Secret keeps the content it has now (its
  encrypted form, or the file without the Secret), and an encrypted file holding that same Secret,
  which the step would delete, stays too (S.3's `<stem>-secrets.sops.yaml`);
- a file the step would re-create with a plaintext Secret has nothing encrypted to keep: the
  revert is refused and the file named.

File contents are read with `log_output=False`: they may hold the very values this guards.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import yaml

from ..repo.scan import load_documents
from ..secrets.rules import is_plaintext_secret, secret_values


@dataclass
class StepGuard:
    """What one revert step kept as it was (to stay encrypted) and what it could not keep."""
    kept: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _docs(text: str | None) -> list[dict]:
    if not text:
        return []
    try:
        return [d for _, d in load_documents(text) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []  # not YAML: nothing here is a Secret manifest


def _ident(doc: dict) -> tuple[str, str]:
    md = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    return str(md.get("namespace") or ""), str(md.get("name") or "")


def plaintext_secrets(text: str | None) -> dict[tuple, str]:
    """{(namespace, name, digest of its values): name} of every plaintext Secret in a YAML text. The
    digest tells one plaintext from another without keeping any value."""
    out = {}
    for d in _docs(text):
        if is_plaintext_secret(d):
            vals = json.dumps(sorted((k, str(v)) for k, v in secret_values(d).items()))
            ns, name = _ident(d)
            out[(ns, name, hashlib.sha256(vals.encode()).hexdigest())] = f"Secret {ns or '-'}/{name}"
    return out


def encrypted_secrets(text: str | None) -> set[tuple[str, str]]:
    """(namespace, name) of every Secret kept encrypted in a YAML text: SOPS-encrypted or sealed."""
    out = set()
    for d in _docs(text):
        if (d.get("kind") == "Secret" and isinstance(d.get("sops"), dict)) or d.get("kind") == "SealedSecret":
            out.add(_ident(d))
    return out


def show_file(session, rev_path: str) -> str | None:
    res = session.git.run("show", rev_path, ok_codes=(0, 128), log_output=False, timeout=60)
    return res.stdout if res.exit_code == 0 else None


def _staged_changes(session) -> list[tuple[str, str]]:
    """(status letter, path) of what the step staged, renames as a delete and an add."""
    raw = session.git.run("diff", "--cached", "--name-status", "--no-renames", "-z", "HEAD").stdout
    parts = [p for p in raw.split("\0") if p]
    return [(parts[i][0], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]


def guard_step(session) -> StepGuard:
    """Look at the step `git revert --no-commit` just staged, and put back (index and work tree, from
    HEAD) every file in which it would bring a plaintext Secret back."""
    guard = StepGuard()
    changes = _staged_changes(session)
    returned: set[tuple[str, str]] = set()
    added_blobs = set()
    for status, path in changes:
        if status == "D":
            continue
        old, new = show_file(session, f"HEAD:{path}"), show_file(session, f":{path}")
        added_blobs.add(session.git.out("rev-parse", f":{path}"))
        back = set(plaintext_secrets(new)) - set(plaintext_secrets(old))
        if not back:
            continue
        returned |= {(ns, name) for ns, name, _ in back}
        if old is None:
            guard.refused.append(path)
        else:
            guard.kept.append(path)
    for status, path in changes:  # the encrypted copy of a Secret that came back stays, unless it only moved
        if status != "D" or not returned:
            continue
        if session.git.out("rev-parse", f"HEAD:{path}") in added_blobs:
            continue
        if encrypted_secrets(show_file(session, f"HEAD:{path}")) & returned:
            guard.kept.append(path)
    if guard.kept and not guard.refused:
        session.git.run("checkout", "HEAD", "--", *guard.kept)
    return guard
