"""Find plaintext secrets in a repository: the one detector of the wizard.

Built on the Phase 2 scanner (wizard.repo.scan: per document, C-backed safe loader). Rules,
after gitleaks (`kubernetes-secret-yaml`, `age-secret-key`, `github-pat`/`github-fine-grained-pat`)
and detect-secrets (templated values are not secrets):

- plaintext-secret: a core `kind: Secret` with a non-empty, non-templated `data`/`stringData` value;
- credential: a password/token-like key with a literal value in a ConfigMap, a container `env`
  entry, Helm values, compose or other YAML;
- last-applied: a `kubectl.kubernetes.io/last-applied-configuration` annotation carrying one of the above;
- dockerconfigjson: a `.dockerconfigjson` value outside a Secret;
- token: an age private key (`AGE-SECRET-KEY-1…`), a GitHub token (`ghp_…`, `github_pat_…`) or a PEM
  private key anywhere in the text of a file.

Ignored: sops-encrypted files (a top-level `sops:` key), SealedSecrets, ExternalSecrets,
SopsSecrets (their kind is not Secret), `ENC[…]` values, empty values and `{{ … }}` templates.
A Finding holds the file, line, object and key names, never a value.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..repo.scan import SKIP_DIRS, ScanResult, _Loader, group_of, scan
# Rule names, Finding and the value rules live in wizard.secrets.rules; their names stay importable from here.
from .rules import (CRED_KEY, CRED_KEY_NOT, CREDENTIAL, DOCKERCONFIG, LAST_APPLIED, PLAINTEXT_SECRET, SECRET_GENERATOR,
                    SECRET_IN_LIST, TOKEN, UNREADABLE_SECRET, Finding, is_literal_secret, is_plaintext_secret,
                    looks_like_credential, plaintext_secrets, secret_values)

__all__ = ["CREDENTIAL", "CRED_KEY", "CRED_KEY_NOT", "DOCKERCONFIG", "Finding", "LAST_APPLIED", "LAST_APPLIED_KEY",
           "MAX_TEXT_BYTES", "PLAINTEXT_SECRET", "SECRET_GENERATOR", "SECRET_IN_LIST", "TOKEN", "TOKEN_PATTERNS",
           "UNREADABLE_SECRET", "find", "group_by_file", "is_literal_secret", "is_plaintext_secret", "key_lines",
           "looks_like_credential", "plaintext_secrets", "secret_values", "summary"]

LAST_APPLIED_KEY = "kubectl.kubernetes.io/last-applied-configuration"
# Token shapes (gitleaks rules age.go, github.go; the PEM header of private keys).
TOKEN_PATTERNS = [
    ("age private key", re.compile(r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b")),
    ("GitHub fine-grained token", re.compile(r"\bgithub_pat_\w{82}\b")),
    ("private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
]
MAX_TEXT_BYTES = 1024 * 1024


# -- line numbers of keys -----------------------------------------------------------------------------
def key_lines(text: str) -> list[dict[tuple, int]]:
    """Per document: {path of keys: line} for every mapping key (composed nodes, C loader)."""
    import yaml

    out: list[dict[tuple, int]] = []
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            lines: dict[tuple, int] = {}

            def walk(n, path):
                if isinstance(n, yaml.MappingNode):
                    for k, v in n.value:
                        p = (*path, getattr(k, "value", "?"))
                        lines[p] = k.start_mark.line + 1
                        walk(v, p)
                elif isinstance(n, yaml.SequenceNode):
                    for i, v in enumerate(n.value):
                        lines[(*path, i)] = v.start_mark.line + 1
                        walk(v, (*path, i))

            if node is not None:
                walk(node, ())
            out.append(lines)
    finally:
        loader.dispose()
    return out


# -- walking documents ------------------------------------------------------------------------------------
_SKIP_KINDS = {"SealedSecret", "ExternalSecret", "ClusterExternalSecret", "SopsSecret", "PushSecret"}


def _walk_credentials(obj, path=()):
    """Yield (key path, display key) of credential-looking literal values anywhere in `obj`."""
    if isinstance(obj, dict):
        # env entry: {name: DB_PASSWORD, value: "…"}
        if isinstance(obj.get("name"), str) and "value" in obj and looks_like_credential(obj["name"], obj.get("value")):
            yield (*path, "value"), obj["name"]
        for k, v in obj.items():
            if k == ".dockerconfigjson" and is_literal_secret(v):
                yield (*path, k), k
            elif isinstance(v, (dict, list)):
                yield from _walk_credentials(v, (*path, k))
            elif looks_like_credential(k, v):
                yield (*path, k), k
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk_credentials(v, (*path, i))


def _object_label(doc: dict) -> str:
    md = doc.get("metadata") or {}
    ns = md.get("namespace")
    return f"{doc.get('kind')} {ns + '/' if ns else ''}{md.get('name')}"


def _identity(doc: dict, md: dict) -> tuple[str, dict]:
    """(label naming the object, or "" when it has no kind and name; the Finding fields kind/name/namespace)."""
    label = _object_label(doc) if isinstance(doc.get("kind"), str) and md.get("name") else ""
    meta = dict(kind=str(doc.get("kind") or ""), name=str(md.get("name") or ""), namespace=str(md.get("namespace") or ""))
    return label, meta


def _doc_findings(doc, rel: str, line: int, index: int, lines: dict[tuple, int] | None) -> list[Finding]:
    def at(path):
        return (lines or {}).get(tuple(path), line)

    if not isinstance(doc, dict) or isinstance(doc.get("sops"), dict):
        return []
    md = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    label, meta = _identity(doc, md)
    out = _last_applied_findings(md, rel, line, index, at, label, meta)
    kind = doc.get("kind")
    if kind in _SKIP_KINDS:
        return out
    if isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list):
        return out + _list_findings(doc, rel, index, at)
    if kind in ("Kustomization", "Component") and str(doc.get("apiVersion", "")).startswith("kustomize.config.k8s.io"):
        return out + _generator_findings(doc, rel, at, index)
    if kind == "Secret" and group_of(str(doc.get("apiVersion", ""))) == "":
        return out + _secret_findings(doc, rel, index, at, label, meta)
    return out + _credential_findings(doc, rel, index, at, label, meta) + _config_file_findings(doc, rel, index, at,
                                                                                                 label, meta)


def _last_applied_findings(md: dict, rel: str, line: int, index: int, at, label: str, meta: dict) -> list[Finding]:
    ann = md.get("annotations") if isinstance(md.get("annotations"), dict) else {}
    la = ann.get(LAST_APPLIED_KEY)
    if not isinstance(la, str) or not la.strip():
        return []
    try:
        embedded = json.loads(la)
    except ValueError:
        embedded = None
    inner = _doc_findings(embedded, rel, line, index, None) if isinstance(embedded, dict) else []
    if not inner:
        return []
    keys = sorted({k for f in inner for k in f.keys})
    return [Finding(LAST_APPLIED, rel, at(("metadata", "annotations", LAST_APPLIED_KEY)), label, keys,
                    "the last-applied annotation holds a copy of the values; delete the annotation", index, **meta)]


def _list_findings(doc: dict, rel: str, index: int, at) -> list[Finding]:
    # kubectl applies a List's items one by one: each is looked at as a document of its own.
    out = []
    for i, item in enumerate(doc["items"]):
        for f in _doc_findings(item, rel, at(("items", i)), index, None):
            if f.rule == PLAINTEXT_SECRET:  # convert replaces whole documents: a List item is not one
                f.rule, f.detail = SECRET_IN_LIST, "a Secret inside a kind: List; move it to a document of its own " \
                                                   "so secrets.convert can encrypt it"
            out.append(f)
    return out


def _secret_findings(doc: dict, rel: str, index: int, at, label: str, meta: dict) -> list[Finding]:
    vals = secret_values(doc)
    if not vals:
        return []
    first = min(at(tuple(k.split(".", 1))) for k in vals)
    return [Finding(PLAINTEXT_SECRET, rel, first, label, sorted(vals), f"type {doc.get('type') or 'Opaque'}", index,
                    **meta)]


def secret_where(root: Path, m) -> str:
    """`path:line` of a plaintext Secret as the scan cites it: the line of its first value, the line a
    person edits (2.5's refusal and the Secrets screen name the same line). Falls back to the
    document's first line when the file cannot be read again."""
    import yaml

    from ..repo.file_text import Unreadable, read_manifest

    try:
        lines = key_lines(read_manifest(Path(root) / m.path))
    except (OSError, Unreadable, yaml.YAMLError):
        return m.where
    keys = lines[m.index] if m.index < len(lines) else {}
    vals = secret_values(m.doc)
    first = min((keys.get(tuple(k.split(".", 1)), m.line) for k in vals), default=m.line)
    return f"{m.path}:{first}"


def _credential_findings(doc: dict, rel: str, index: int, at, label: str, meta: dict) -> list[Finding]:
    out = []
    for path, key in _walk_credentials({k: v for k, v in doc.items() if k != "metadata"}):
        rule = DOCKERCONFIG if key == ".dockerconfigjson" else CREDENTIAL
        where = doc.get("kind") if label else "value"
        detail = ("a registry login outside a Secret; put it in a Secret and encrypt it" if rule == DOCKERCONFIG else
                  f"a literal credential in a {where}; move it into a Secret (referenced with secretKeyRef/secretRef) "
                  "and encrypt that")
        out.append(Finding(rule, rel, at(path), label, [str(key)], detail, index, **meta))
    return out


def _config_file_findings(doc: dict, rel: str, index: int, at, label: str, meta: dict) -> list[Finding]:
    kind = doc.get("kind")
    data = doc.get("data") if kind == "ConfigMap" and isinstance(doc.get("data"), dict) else {}
    out = []
    for k, v in data.items():
        # A config file inside a ConfigMap value: `password = …` lines in it are credentials too.
        if not isinstance(v, str) or "\n" not in v:
            continue
        for n, ln in enumerate(v.splitlines(), 1):
            m = _INLINE_CRED.match(ln)
            if m and looks_like_credential(m["key"], m["value"].strip().strip("'\"")):
                out.append(Finding(CREDENTIAL, rel, at(("data", k)) + n, label, [f"data.{k}: {m['key']}"],
                                   f"a literal credential in line {n} of a {kind} value; move it into a Secret "
                                   "and encrypt that", index, **meta))
    return out


# `key = value` / `key: value` lines of config files carried in ConfigMap values.
_INLINE_CRED = re.compile(r"^\s*(?P<key>[A-Za-z_][\w.-]*)\s*[=:]\s*(?P<value>\S.*?)\s*$")


def _generator_findings(doc: dict, rel: str, at, index: int) -> list[Finding]:
    """secretGenerator literals (and the env files it reads, when they sit in the repo) are plaintext."""
    out = []
    for i, g in enumerate(doc.get("secretGenerator") or []):
        if not isinstance(g, dict):
            continue
        lits = [x.split("=", 1)[0] for x in g.get("literals") or [] if isinstance(x, str) and "=" in x
                and is_literal_secret(x.split("=", 1)[1])]
        if lits:
            out.append(Finding(SECRET_GENERATOR, rel, at(("secretGenerator", i, "literals")), f"secretGenerator "
                               f"{g.get('name')}", sorted(lits), "literal values of a generated Secret; move them to a "
                               "Secret manifest (or an env file) and encrypt it with sops", index))
        envs = [x for x in (g.get("envs") or []) + ([g["env"]] if isinstance(g.get("env"), str) else [])
                if isinstance(x, str)]
        if envs:
            out.append(Finding(SECRET_GENERATOR, rel, at(("secretGenerator", i)), f"secretGenerator {g.get('name')}",
                               sorted(envs), "reads its values from env files in plaintext; encrypt them with sops "
                               "(or keep them out of git)", index))
    return out


def _token_findings(rel: str, text: str) -> list[Finding]:
    out = []
    for label, pat in TOKEN_PATTERNS:
        for m in pat.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            out.append(Finding(TOKEN, rel, line, "", [], f"{label} in the text of the file"))
    return out


def _iter_text_files(root: Path):
    """Files that may hold tokens: everything below `root` but VCS/vendor folders and big/binary files."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and d != ".git")
        for fn in sorted(filenames):
            yield Path(dirpath) / fn


def find(root: Path, result: ScanResult | None = None) -> list[Finding]:
    """Every plaintext secret under `root` (a repository work tree), in file order."""
    root = Path(root)
    result = result if result is not None else scan(root)
    findings: list[Finding] = []
    for rel, text in _read_texts(root, result).items():
        findings += _file_findings(rel, text, result.files[rel].cls, lambda r=rel: _why_unread(result, r))
    # Tokens: in any text file, YAML or not (not in sops files: their values are ENC[…]).
    findings += _tree_token_findings(root, result)
    findings.sort(key=lambda x: (x.path, x.line, x.rule))
    return findings


def _read_texts(root: Path, result: ScanResult) -> dict[str, str]:
    """{rel: text} of the scanned files that are not sops files or links out of the repo. A file the scan
    does not read (not UTF-8, too big) gives the start of its text, decoded leniently, so a Secret in it is
    still named (never read for values)."""
    from ..repo.file_text import Unreadable, peek, read_manifest
    from ..repo.scan import outside_link

    texts: dict[str, str] = {}
    for rel, info in result.files.items():
        if info.sops or outside_link(root, root / rel):
            continue
        try:
            if info.cls == "invalid":  # not read by the scan: named (as a Secret, when it holds one), never converted
                raise Unreadable("invalid", "")
            texts[rel] = read_manifest(root / rel)
        except Unreadable as e:
            if e.kind != "special":
                texts[rel] = peek(root / rel, 64 * 1024 * 1024)  # a Secret at the end of a big bundle too
        except OSError:
            continue
    return texts


def _why_unread(result: ScanResult, rel: str) -> str:
    err = next((e for e in result.errors if e.path == rel), None)
    if err is None or err.kind == "yaml":
        return "a Secret in a file that does not parse, so it cannot be encrypted; fix the YAML and scan again"
    return f"a Secret in a file the wizard does not read ({err.message.split(';')[0].removeprefix('is ')}), so it " \
           f"cannot be encrypted; {err.fix or 'fix the file'}"


def _file_findings(rel: str, text: str, cls: str, why_unread=lambda: "") -> list[Finding]:
    import yaml

    if cls == "invalid":
        m = re.search(r"(?m)^kind:\s*Secret\s*$", text)
        if m and re.search(r"(?m)^\s*(data|stringData):", text):
            return [Finding(UNREADABLE_SECRET, rel, text.count("\n", 0, m.start()) + 1, "", [], why_unread())]
        return []
    if cls in ("helm-template", "helm-chart"):
        return []
    try:
        from ..repo.scan import documents

        docs = documents(text)  # the parse the scan made of this text (read only)
    except yaml.YAMLError:
        return []
    per_file = []
    for index, (line, doc) in enumerate(docs):
        per_file += _doc_findings(doc, rel, line, index, None)
    if not per_file:
        return per_file
    # Key lines cost a second parse, so only files that hold something pay for them.
    lines = key_lines(text)
    per_file = []
    for index, (line, doc) in enumerate(docs):
        per_file += _doc_findings(doc, rel, line, index, lines[index] if index < len(lines) else None)
    return per_file


def _tree_token_findings(root: Path, result: ScanResult) -> list[Finding]:
    from ..repo.file_text import Unreadable, regular_size
    from ..repo.scan import outside_link

    findings: list[Finding] = []
    sops_files = {rel for rel, i in result.files.items() if i.sops}
    for f in _iter_text_files(root):
        rel = f.relative_to(root).as_posix()
        if rel in sops_files or outside_link(root, f):
            continue
        try:
            if regular_size(f) > MAX_TEXT_BYTES:
                continue
            data = f.read_bytes()
        except (OSError, Unreadable):  # a FIFO would block the read forever
            continue
        if b"\0" in data[:4096]:
            continue
        findings += _token_findings(rel, data.decode("utf-8", errors="replace"))
    return findings


def summary(findings: list[Finding]) -> str:
    secrets = [f for f in findings if f.convertible]
    other = [f for f in findings if not f.convertible]
    files = len({f.path for f in secrets})
    parts = [f"{len(secrets)} plaintext Secret(s) in {files} file(s)"]
    if other:
        parts.append(f"{len(other)} other credential(s) outside Secrets")
    return ", ".join(parts)


def group_by_file(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.path, []).append(f)
    return out


