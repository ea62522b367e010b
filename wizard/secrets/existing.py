"""What the repository already encrypts with sops before the wizard: every `.sops.yaml` and every
encrypted file (Secret manifests, helm-secrets values; YAML, JSON or dotenv), with the keys each is
encrypted to. Read from the files' own sops metadata: nothing is decrypted here.

Homelabs that already use sops keep doing so (2 of 12 real repos tried): the wizard's rules go
beside the owner's, and the owner's files keep their keys unless the owner agrees to add Flux's.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..repo.scan import SKIP_DIRS, load_documents

CONFIG_NAMES = (".sops.yaml", ".sops.yml")
_SUFFIXES = (".yaml", ".yml", ".json", ".env", ".ini")
_MAX_BYTES = 1024 * 1024
# dotenv and ini files keep the metadata flattened: sops_age__list_0__map_recipient=age1…
_FLAT_AGE = re.compile(r"age__list_\d+__map_recipient\s*=\s*(\S+)")
_FLAT_PGP = re.compile(r"pgp__list_\d+__map_fp\s*=\s*(\S+)")
_FLAT_OTHER = re.compile(r"(kms|gcp_kms|azure_kv|hc_vault)__list_\d+__map_\w+\s*=")
_OTHER_KINDS = ("kms", "gcp_kms", "azure_kv", "hc_vault")


@dataclass
class EncryptedFile:
    """A file sops already encrypted, and to whom (its metadata; no value)."""

    path: str
    format: str  # yaml | json | dotenv | ini
    age: list[str] = field(default_factory=list)
    pgp: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # KMS and vault kinds: named, not handled
    secret: bool = False  # a Kubernetes Secret manifest (kustomize-controller can decrypt it)
    encrypted_regex: str | None = None

    def keys(self) -> str:
        """The keys in words: "age age1…; PGP 56D5…"."""
        parts = [f"age {', '.join(self.age)}"] if self.age else []
        parts += [f"PGP {', '.join(self.pgp)}"] if self.pgp else []
        parts += [", ".join(sorted(set(self.other)))] if self.other else []
        return "; ".join(parts) or "no key listed"

    def opens_with(self, recipient: str | None) -> bool:
        return bool(recipient) and recipient in self.age


@dataclass
class SopsConfig:
    """One `.sops.yaml` and its creation rules as written."""

    path: str
    rules: list[dict]
    by_wizard: bool  # its header says the wizard wrote it


def _walk(repo: Path):
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and d != ".git")
        for fn in sorted(filenames):
            yield Path(dirpath) / fn


def sops_configs(repo: Path) -> list[SopsConfig]:
    """Every .sops.yaml in the tree (sops reads the nearest one above the working directory)."""
    out = []
    for f in _walk(Path(repo)):
        if f.name not in CONFIG_NAMES:
            continue
        text = f.read_text(errors="replace")
        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            doc = {}
        rules = doc.get("creation_rules") if isinstance(doc, dict) else None
        out.append(SopsConfig(f.relative_to(repo).as_posix(), [r for r in rules or [] if isinstance(r, dict)],
                              "homelab-wizard" in text.split("creation_rules", 1)[0]))
    return out


def _from_metadata(md: dict, into: EncryptedFile) -> None:
    groups = [md, *[g for g in md.get("key_groups") or [] if isinstance(g, dict)]]
    for g in groups:
        into.age += [str(a.get("recipient")) for a in g.get("age") or [] if isinstance(a, dict) and a.get("recipient")]
        into.pgp += [str(p.get("fp")) for p in g.get("pgp") or [] if isinstance(p, dict) and p.get("fp")]
        into.other += [k for k in _OTHER_KINDS if g.get(k)]
    into.encrypted_regex = into.encrypted_regex or md.get("encrypted_regex")


def _read(rel: str, text: str) -> EncryptedFile | None:
    if rel.endswith(".json"):
        try:
            doc = json.loads(text)
        except ValueError:
            return None
        if not (isinstance(doc, dict) and isinstance(doc.get("sops"), dict)):
            return None
        ef = EncryptedFile(rel, "json", secret=doc.get("kind") == "Secret")
        _from_metadata(doc["sops"], ef)
        return ef
    if rel.endswith((".yaml", ".yml")):
        ef = EncryptedFile(rel, "yaml")
        try:
            docs = [d for _, d in load_documents(text)]
        except yaml.YAMLError:
            return None
        for d in docs:
            if isinstance(d, dict) and isinstance(d.get("sops"), dict):
                _from_metadata(d["sops"], ef)
                ef.secret = ef.secret or d.get("kind") == "Secret"
        return ef if any(isinstance(d, dict) and isinstance(d.get("sops"), dict) for d in docs) else None
    if re.search(r"(?m)^sops_mac=|^\[sops\]\s*$", text):  # dotenv (sops_mac=…) or ini ([sops] section)
        ef = EncryptedFile(rel, "dotenv" if "sops_mac=" in text else "ini", age=_FLAT_AGE.findall(text), pgp=_FLAT_PGP.findall(text),
                           other=[m.group(1) for m in _FLAT_OTHER.finditer(text)])
        return ef
    return None


def encrypted_files(repo: Path) -> list[EncryptedFile]:
    """Every file of the tree that sops encrypted, in path order."""
    repo = Path(repo)
    out = []
    for f in _walk(repo):
        if not (f.suffix in _SUFFIXES or f.name.endswith(".env")) or f.name in CONFIG_NAMES:
            continue
        try:
            if f.is_symlink() or f.stat().st_size > _MAX_BYTES:
                continue
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "sops" not in text:
            continue
        ef = _read(f.relative_to(repo).as_posix(), text)
        if ef is not None:
            out.append(ef)
    return out


def owners(files: list[EncryptedFile], recipient: str | None) -> list[EncryptedFile]:
    """The files the wizard's age key cannot open: the owner's (the wizard's own carry its recipient)."""
    return [f for f in files if not f.opens_with(recipient)]


def rule_for(rules: list[dict], rel: str) -> dict | None:
    """The creation rule sops picks for `rel`: the first whose path_regex matches (none: every path)."""
    for rule in rules:
        rx = rule.get("path_regex")
        if rx is None or re.search(str(rx), rel):
            return rule
    return None
