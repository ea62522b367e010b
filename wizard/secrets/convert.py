"""Replace plaintext Secrets by their SOPS-encrypted or sealed form, file by file, atomically.

Plaintext only travels through stdin (to sops and kubeseal) and memory: no plaintext copy is
ever written. A file holding only Secrets is encrypted in place; from a file that mixes Secrets
with other objects the Secrets are moved to `<stem>-secrets.sops.yaml` next to it (sops would
otherwise encrypt a ConfigMap's `data` too, flux2#3367), and a kustomization.yaml listing the
original lists the new file as well. Sealing replaces each Secret document in place.
Before anything is written, the result is checked: `sops decrypt` gives back the original
documents, or the SealedSecret names the same object and keys. Comment lines that repeat a
secret value are dropped. sops output is written as sops printed it, never re-serialised.
"""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from ..fsutil import atomic_write
from ..repo.file_text import read_manifest
from ..repo.scan import load_documents
from ..runner import ToolFailed
from ..session import Blocked, WizardError
from .detect import is_plaintext_secret, secret_values
from .documents import Span, hidden_values, scrub_comments, shows_a_value, sops_plaintext, spans, values_of
from .keys import ENCRYPTED_REGEX

SOPS_ALREADY_ENCRYPTED = 203  # sops: "contains a top-level entry called 'sops'"
SOPS_METADATA_NOT_FOUND = 1  # sops decrypt of a plain file ("sops metadata not found")
SOPS_NO_KEY = 128  # sops: could not get the data key (missing or wrong age key)
SCOPES = ("strict", "namespace-wide", "cluster-wide")


class AlreadyEncrypted(WizardError):
    """sops refused: the input already has sops metadata. A state, not a crash: nothing to do."""


class NotEncrypted(WizardError):
    """sops decrypt on a plain file."""


class KeyMissing(WizardError):
    """sops could not decrypt with the available age key."""


@dataclass
class FilePlan:
    """What converting one file does (no values: this goes into the journal)."""

    path: str
    target: str  # == path when in place
    objects: list[str] = field(default_factory=list)
    keys: dict[str, list[str]] = field(default_factory=dict)  # object -> key names
    committed: bool = False  # the plaintext is in git history: rotate

    @property
    def split(self) -> bool:
        return self.target != self.path

    def op(self, method: str) -> dict:
        return {"op": "secrets-convert", "method": method, "path": self.path, "target": self.target,
                "objects": self.objects, "keys": self.keys}


def _object(doc: dict) -> str:
    md = doc.get("metadata") or {}
    return f"Secret {md.get('namespace') + '/' if md.get('namespace') else ''}{md.get('name')}"


def plan_file(repo: Path, rel: str, method: str) -> FilePlan | None:
    text = read_manifest(repo / rel)  # a byte-order mark is dropped (sops and the spans read after it)
    docs = [d for _, d in load_documents(text)]
    secrets = [d for d in docs if is_plaintext_secret(d)]
    if not secrets:
        return None
    only_secrets = all(isinstance(d, dict) and d.get("kind") == "Secret" for d in docs if d is not None)
    target = rel
    if method == "sops" and not only_secrets:
        p = PurePosixPath(rel)
        target = str(p.with_name(f"{p.stem}-secrets.sops.yaml"))
    fp = FilePlan(rel, target)
    for d in secrets:
        fp.objects.append(_object(d))
        fp.keys[_object(d)] = sorted(secret_values(d))
    return fp


def in_history(session, rel: str) -> bool:
    """Was this file ever committed (then its plaintext is in git history: rotate)?"""
    if session.git.run("rev-list", "--all", "-n", "1", "--", rel, ok_codes=(0, 128)).stdout.strip():
        return True
    # Moved since (Phase 2's git mv): the same content under another name is in history too.
    blob = session.git.run("hash-object", "--", rel, cwd=session.repo).stdout.strip()
    return bool(session.git.run("log", "--all", "--format=%H", "-n", "1", f"--find-object={blob}",
                                ok_codes=(0, 128)).stdout.strip())


PAUSE_IN_SPLIT = "HOMELAB_WIZARD_TEST_PAUSE_IN_SPLIT"  # test hook: sleep after the split, before the listing


# -- sops -------------------------------------------------------------------------------------------------
def sops_encrypt(session, text: str, rel: str) -> str:
    cfg = session.repo / ".sops.yaml"
    try:
        res = session.runner.run(["sops", "--config", str(cfg), "encrypt", "--filename-override", rel,
                                  "--input-type", "yaml", "--output-type", "yaml", "/dev/stdin"],
                                 stdin=text, stdin_is_secret=True, cwd=session.repo, timeout=60, log_output=False)
    except ToolFailed as e:
        if e.exit_code == SOPS_ALREADY_ENCRYPTED:
            raise AlreadyEncrypted(f"{rel} is already encrypted with sops (sops exit {e.exit_code}); nothing to do.") from None
        if "no matching creation rules" in e.stderr:
            raise Blocked(f"no creation rule of .sops.yaml matches {rel}; run secrets.keys again (it writes the rule), "
                          "or add a rule for this path.") from None
        raise
    return res.stdout


def sops_decrypt(session, ciphertext: str, rel: str, key_path: Path, runner=None) -> str:
    """Decrypt through stdin; the output is plaintext: kept out of the audit log and returned."""
    try:
        res = (runner or session.runner).run(["sops", "decrypt", "--filename-override", rel, "--input-type", "yaml",
                                  "--output-type", "yaml", "/dev/stdin"], stdin=ciphertext, cwd=session.repo,
                                 env={"SOPS_AGE_KEY_FILE": str(key_path)}, timeout=60, log_output=False)
    except ToolFailed as e:
        if "sops metadata not found" in e.stderr or "metadata not found" in e.stdout:
            raise NotEncrypted(f"{rel} is not encrypted with sops (sops: metadata not found); encrypt it with "
                               "secrets.convert.") from None
        if e.exit_code == SOPS_NO_KEY or "Failed to get the data key" in e.stderr:
            raise KeyMissing(f"{rel} cannot be decrypted with the age key {key_path}: it was encrypted for another "
                             "key, or the key file is missing. Point SOPS_AGE_KEY_FILE at the right key.") from None
        raise
    return res.stdout


def sops_filestatus(session, rel: str) -> bool:
    res = session.runner.run(["sops", "filestatus", rel], cwd=session.repo, timeout=30)
    return bool(json.loads(res.stdout).get("encrypted"))


def sops_metadata_ok(text: str) -> list[str]:
    """Every document carries sops metadata with our encrypted_regex (kind/metadata stay readable)."""
    problems = []
    for i, (_, d) in enumerate(load_documents(text)):
        if d is None:
            continue
        md = d.get("sops") if isinstance(d, dict) else None
        if not isinstance(md, dict):
            problems.append(f"document {i + 1} has no sops metadata")
        elif md.get("encrypted_regex") != ENCRYPTED_REGEX:
            problems.append(f"document {i + 1} was encrypted with encrypted_regex {md.get('encrypted_regex')!r}")
    return problems


def _comparable(redactor, text: str) -> list:
    """Documents of `text` as `redactor` leaves them (its mask would read as a YAML alias)."""
    from ..redact import MASK

    masked = redactor.redact(text).replace(MASK, "homelab-wizard-masked")
    return [d for _, d in load_documents(masked) if d is not None]


def _round_trip_runner(session):
    """The session's runner with a fresh redactor for the round-trip decrypt: registered values
    (the whole plaintext was registered as secret stdin) would mask the very output to compare.
    Its output stays out of the audit log (log_output=False) and never leaves convert_file."""
    from dataclasses import replace

    from ..redact import Redactor

    return replace(session.runner, redactor=Redactor())


# -- kubeseal -------------------------------------------------------------------------------------------
def kubeseal(session, doc: dict, cert: Path, scope: str) -> str:
    """Seal one Secret offline with --cert (never the controller fetch through the service proxy)."""
    md = doc.get("metadata") or {}
    if scope != "cluster-wide" and not md.get("namespace"):
        raise Blocked(f"{_object(doc)} has no metadata.namespace; a {scope} SealedSecret is bound to one namespace. "
                      "Add the namespace to the Secret, or choose the answer sealed-scope=cluster-wide.")
    res = session.kubeseal.run("--cert", str(cert), "--scope", scope, "--format", "yaml",
                               stdin=json.dumps(doc), stdin_is_secret=True, timeout=60)
    out = res.stdout
    out = re.sub(r"\A---\s*\n", "", out)
    return out if out.endswith("\n") else out + "\n"


def check_sealed(text: str, doc: dict, scope: str) -> list[str]:
    sealed = yaml.safe_load(text)
    md, smd = doc.get("metadata") or {}, (sealed or {}).get("metadata") or {}
    problems = []
    if not isinstance(sealed, dict) or sealed.get("kind") != "SealedSecret":
        return ["kubeseal did not return a SealedSecret"]
    if smd.get("name") != md.get("name") or (scope != "cluster-wide" and smd.get("namespace") != md.get("namespace")):
        problems.append("the SealedSecret names another object")
    want = {k.split(".", 1)[1] for k in secret_values(doc)}
    have = set(((sealed.get("spec") or {}).get("encryptedData") or {}))
    if not want <= have:
        problems.append(f"keys missing from encryptedData: {', '.join(sorted(want - have))}")
    return problems


# -- one file ------------------------------------------------------------------------------------------------
def convert_file(session, fp: FilePlan, method: str, *, key_path: Path | None = None, cert: Path | None = None,
                 scope: str = "strict", progress=lambda s: None) -> list[str]:
    """Convert one file; returns the repo paths written. Raises before writing if a check fails."""
    repo = session.repo
    src = repo / fp.path
    text = read_manifest(src)
    docs = [d for _, d in load_documents(text)]
    sp = spans(text)
    lines = text.splitlines(True)
    secret_idx = [i for i, d in enumerate(docs) if is_plaintext_secret(d)]
    if not secret_idx:
        # Already converted (a resumed run). A split that was killed before it listed the new file in
        # the folder's kustomization.yaml is finished here, or Flux would never apply that Secret.
        if method == "sops" and fp.split and (repo / fp.target).is_file():
            return [fp.target, fp.path] + _list_in_kustomization(repo, fp)
        return []
    values = hidden_values(docs, secret_idx)
    # Before sops or kubeseal see them: an error that echoes a line is masked too.
    _register(session, [v for i in secret_idx for v in values_of(docs[i])])
    if method == "sealed-secrets":
        sealed, dropped = _seal(session, fp, docs, sp, lines, secret_idx, values, cert, scope)
        _write(src, sealed)
        written = [fp.path]
    else:
        plain, rest, dropped = sops_plaintext(lines, sp, docs, secret_idx, values, fp.split)
        enc = _sops_encrypt_checked(session, fp, plain, values, key_path)
        written = _write_sops(repo, fp, enc, rest)
    if dropped:
        progress(f"{fp.path}: dropped {dropped} comment line(s) that repeated a secret value")
    return written


def _seal(session, fp: FilePlan, docs: list, sp: list[Span], lines: list[str], secret_idx: list[int],
          values: list[str], cert: Path | None, scope: str) -> tuple[str, int]:
    """The file with each Secret document replaced by its checked SealedSecret (text, comments dropped)."""
    new = list(lines)
    for i in reversed(secret_idx):  # from the end, so the spans of earlier documents stay valid
        sealed = kubeseal(session, docs[i], cert, scope)
        problems = check_sealed(sealed, docs[i], scope)
        if problems or any(v in sealed for v in values):
            raise WizardError(f"sealing {_object(docs[i])} from {fp.path} failed its check: "
                              f"{'; '.join(problems) or 'a value appears in the output'}; the file was left untouched.")
        new[sp[i].node_start:sp[i].end] = [sealed]
    new, dropped = scrub_comments(new, values)
    return "".join(new), dropped


def _sops_encrypt_checked(session, fp: FilePlan, plain: str, values: list[str], key_path: Path | None) -> str:
    """sops output for `plain`, proven to decrypt back to the same documents; nothing is written yet."""
    enc = sops_encrypt(session, plain, fp.target)
    rt = _round_trip_runner(session)
    back = sops_decrypt(session, enc, fp.target, key_path, runner=rt)
    want = yaml.safe_dump_all([d for _, d in load_documents(plain) if d is not None], sort_keys=False)
    if _comparable(rt.redactor, back) != _comparable(rt.redactor, want):
        raise WizardError(f"sops decrypt of the encrypted {fp.path} does not give back the original; nothing was "
                          "written. Check the sops and age versions ('homelab-wizard doctor').")
    if shows_a_value(enc, values) or sops_metadata_ok(enc):
        raise WizardError(f"the encrypted form of {fp.path} still shows a value or lacks sops metadata; nothing was written.")
    return enc


def _write_sops(repo: Path, fp: FilePlan, enc: str, rest: list[str] | None) -> list[str]:
    src = repo / fp.path
    if not fp.split:
        _write(src, enc)
        return [fp.path]
    # Encrypted file first: a kill -9 in between leaves the plaintext where it was (found
    # again on resume), never a lost Secret.
    _write(repo / fp.target, enc)
    _write(src, "".join(rest))
    written = [fp.target, fp.path]
    if os.environ.get(PAUSE_IN_SPLIT) == fp.path:  # test hook: where a kill -9 used to leave a mess
        print(f"PAUSED split {fp.path}", flush=True)
        time.sleep(3600)
    return written + _list_in_kustomization(repo, fp)


def _register(session, values: list[str]) -> None:
    """From now on these values are masked in anything a tool prints (after the round trip,
    which must compare unmasked documents)."""
    for v in values:
        session.runner.redactor.add(v, found=True)


def _write(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    atomic_write(path, text, mode=mode)


def _list_in_kustomization(repo: Path, fp: FilePlan) -> list[str]:
    """Add the new file next to the original in the folder's kustomization.yaml, if it lists it."""
    from ..repo.yamledit import round_trip

    folder = PurePosixPath(fp.path).parent
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        k = repo / folder / name
        if not k.is_file():
            continue
        orig, new = PurePosixPath(fp.path).name, PurePosixPath(fp.target).name
        changed = []

        def mutate(docs):
            for d in docs:
                res = d.get("resources") if isinstance(d, dict) else None
                if isinstance(res, list):
                    names = [str(r).removeprefix("./") for r in res]
                    if orig in names and new not in names:
                        res.insert(names.index(orig) + 1, new)
                        changed.append(True)

        text = k.read_text()
        out = round_trip(text, mutate)
        if changed:
            _write(k, out)
            return [str(folder / name)]
    return []
