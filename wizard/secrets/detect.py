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
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..repo.scan import SKIP_DIRS, Manifest, ScanResult, _Loader, group_of, scan

PLAINTEXT_SECRET, CREDENTIAL, LAST_APPLIED, DOCKERCONFIG, TOKEN, SECRET_GENERATOR, UNREADABLE_SECRET = (
    "plaintext-secret", "credential", "last-applied", "dockerconfigjson", "token", "secret-generator",
    "unreadable-secret")
SECRET_IN_LIST = "secret-in-list"
LAST_APPLIED_KEY = "kubectl.kubernetes.io/last-applied-configuration"

# Token shapes (gitleaks rules age.go, github.go; the PEM header of private keys).
TOKEN_PATTERNS = [
    ("age private key", re.compile(r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b")),
    ("GitHub fine-grained token", re.compile(r"\bgithub_pat_\w{82}\b")),
    ("private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
]
# Key names whose literal values are credentials.
CRED_KEY = re.compile(r"(?i)(pass(word|wd|phrase)?$|passwd|password|secret|token|api[_-]?key|apikey|private[_-]?key|"
                      r"access[_-]?key|auth[_-]?key|encryption[_-]?key|master[_-]?key|client[_-]?secret|credentials?$)")
# ... unless the key names a reference, a file or a setting about the secret rather than the secret.
CRED_KEY_NOT = re.compile(r"(?i)(name|ref|_file|file|path|_dir|dir|enabled|enable|length|format|type|policy|"
                          r"secrets?_?store|existing_?secret|existingsecret|url|endpoint|header|field|kind|id|"
                          r"mode|ttl|expiry|expiration|timeout|size|method)$")
_TEMPLATE = re.compile(r"\{\{.*\}\}|\$\{[^}]*\}|^\$\(.*\)$|^\$[A-Z_][A-Z0-9_]*$", re.S)
_REFERENCE = re.compile(r"^(os\.environ/|env:|file:|vault:|ref\+|secretref|<.*>$|/)", re.I)
_NON_SECRET_LITERALS = {"true", "false", "yes", "no", "on", "off", "null", "none", "~", "changeme?", "required",
                        "optional", "redacted", "xxx", "xxxx", "***", "-", "placeholder"}
MAX_TEXT_BYTES = 1024 * 1024


@dataclass
class Finding:
    """One place that holds a secret in plaintext. No values, ever."""

    rule: str
    path: str
    line: int
    object: str  # "Secret homelab/n8n-auth", or "" for a non-Kubernetes file
    keys: list[str] = field(default_factory=list)
    detail: str = ""
    index: int = -1  # document index in the file (plaintext-secret: what convert replaces)
    kind: str = ""
    name: str = ""
    namespace: str = ""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def convertible(self) -> bool:
        return self.rule == PLAINTEXT_SECRET

    def describe(self) -> str:
        obj = f" {self.object}" if self.object else ""
        keys = f" keys {', '.join(self.keys)}" if self.keys else ""
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.where}{obj}{keys}: {self.rule}{extra}"

    def evidence(self) -> dict:
        d = asdict(self)
        for k in ("index", "kind", "name", "namespace"):
            d.pop(k)
        return d


def is_literal_secret(value) -> bool:
    """A value that holds a secret: not empty, not a template, not an encrypted sops value."""
    if value is None:
        return False
    if isinstance(value, (bool, int, float)):
        return False
    if isinstance(value, (dict, list)):
        return bool(value)
    s = str(value).strip()
    if not s or s in ('""', "''"):
        return False
    if s.startswith("ENC[") and s.endswith("]"):
        return False
    return not _TEMPLATE.search(s)


def looks_like_credential(key: str, value) -> bool:
    """A password/token-like key with a literal string value (ConfigMap, env, values files)."""
    if not isinstance(key, str) or not isinstance(value, str):
        return False
    if not CRED_KEY.search(key) or CRED_KEY_NOT.search(key):
        return False
    s = value.strip()
    if len(s) < 4 or s.lower() in _NON_SECRET_LITERALS or _REFERENCE.search(s) or not is_literal_secret(s):
        return False
    return not re.fullmatch(r"[0-9.]+|[a-z]+(-[a-z]+)*-(secret|credentials|token|password|key)s?", s)


def secret_values(doc: dict) -> dict[str, object]:
    """{field.key: value} of a core Secret's literal data/stringData values."""
    out = {}
    for f in ("data", "stringData"):
        block = doc.get(f)
        if isinstance(block, dict):
            for k, v in block.items():
                if is_literal_secret(v):
                    out[f"{f}.{k}"] = v
    return out


def is_plaintext_secret(doc) -> bool:
    return (isinstance(doc, dict) and doc.get("kind") == "Secret" and group_of(str(doc.get("apiVersion", ""))) == ""
            and not isinstance(doc.get("sops"), dict) and bool(secret_values(doc)))


def plaintext_secrets(manifests: list[Manifest]) -> list[Manifest]:
    """The manifests that are plaintext Secrets (what repo.commit-push refuses to commit)."""
    return [m for m in manifests if is_plaintext_secret(m.doc)]


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


def _doc_findings(doc, rel: str, line: int, index: int, lines: dict[tuple, int] | None) -> list[Finding]:
    def at(path):
        return (lines or {}).get(tuple(path), line)

    out: list[Finding] = []
    if not isinstance(doc, dict) or isinstance(doc.get("sops"), dict):
        return out
    md = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    label = _object_label(doc) if isinstance(doc.get("kind"), str) and md.get("name") else ""
    meta = dict(kind=str(doc.get("kind") or ""), name=str(md.get("name") or ""), namespace=str(md.get("namespace") or ""))
    ann = md.get("annotations") if isinstance(md.get("annotations"), dict) else {}
    la = ann.get(LAST_APPLIED_KEY)
    if isinstance(la, str) and la.strip():
        try:
            embedded = json.loads(la)
        except ValueError:
            embedded = None
        inner = _doc_findings(embedded, rel, line, index, None) if isinstance(embedded, dict) else []
        if inner:
            keys = sorted({k for f in inner for k in f.keys})
            out.append(Finding(LAST_APPLIED, rel, at(("metadata", "annotations", LAST_APPLIED_KEY)), label, keys,
                               "the last-applied annotation holds a copy of the values; delete the annotation",
                               index, **meta))
    kind = doc.get("kind")
    if kind in _SKIP_KINDS:
        return out
    if isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list):
        # kubectl applies a List's items one by one: each is looked at as a document of its own.
        for i, item in enumerate(doc["items"]):
            for f in _doc_findings(item, rel, at(("items", i)), index, None):
                if f.rule == PLAINTEXT_SECRET:  # convert replaces whole documents: a List item is not one
                    f.rule, f.detail = SECRET_IN_LIST, "a Secret inside a kind: List; move it to a document of its own " \
                                                       "so secrets.convert can encrypt it"
                out.append(f)
        return out
    if kind in ("Kustomization", "Component") and str(doc.get("apiVersion", "")).startswith("kustomize.config.k8s.io"):
        return out + _generator_findings(doc, rel, at, index)
    if kind == "Secret" and group_of(str(doc.get("apiVersion", ""))) == "":
        vals = secret_values(doc)
        if vals:
            first = min(at(tuple(k.split(".", 1))) for k in vals)
            out.append(Finding(PLAINTEXT_SECRET, rel, first, label, sorted(vals),
                               f"type {doc.get('type') or 'Opaque'}", index, **meta))
        return out
    for path, key in _walk_credentials({k: v for k, v in doc.items() if k != "metadata"}):
        rule = DOCKERCONFIG if key == ".dockerconfigjson" else CREDENTIAL
        where = kind if label else "value"
        detail = ("a registry login outside a Secret; put it in a Secret and encrypt it" if rule == DOCKERCONFIG else
                  f"a literal credential in a {where}; move it into a Secret (referenced with secretKeyRef/secretRef) "
                  "and encrypt that")
        out.append(Finding(rule, rel, at(path), label, [str(key)], detail, index, **meta))
    data = doc.get("data") if kind == "ConfigMap" and isinstance(doc.get("data"), dict) else {}
    for k, v in data.items():
        # A config file inside a ConfigMap value: `password = …` lines in it are credentials too.
        if isinstance(v, str) and "\n" in v:
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
    import yaml

    root = Path(root)
    result = result if result is not None else scan(root)
    findings: list[Finding] = []
    texts: dict[str, str] = {}
    from ..repo.scan import outside_link

    for rel, info in result.files.items():
        if info.sops or outside_link(root, root / rel):
            continue
        try:
            texts[rel] = (root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    for rel, text in texts.items():
        info = result.files[rel]
        if info.cls == "invalid":
            m = re.search(r"(?m)^kind:\s*Secret\s*$", text)
            if m and re.search(r"(?m)^\s*(data|stringData):", text):
                findings.append(Finding(UNREADABLE_SECRET, rel, text.count("\n", 0, m.start()) + 1, "", [],
                                        "a Secret in a file that does not parse, so it cannot be encrypted; fix the "
                                        "YAML and scan again"))
            continue
        if info.cls in ("helm-template", "helm-chart"):
            continue
        try:
            from ..repo.scan import load_documents

            docs = list(load_documents(text))
        except yaml.YAMLError:
            continue
        per_file = []
        for index, (line, doc) in enumerate(docs):
            per_file += _doc_findings(doc, rel, line, index, None)
        if per_file:
            lines = key_lines(text)
            per_file = []
            for index, (line, doc) in enumerate(docs):
                per_file += _doc_findings(doc, rel, line, index, lines[index] if index < len(lines) else None)
        findings += per_file
    # Tokens: in any text file, YAML or not (not in sops files: their values are ENC[…]).
    sops_files = {rel for rel, i in result.files.items() if i.sops}
    for f in _iter_text_files(root):
        rel = f.relative_to(root).as_posix()
        if rel in sops_files or outside_link(root, f):
            continue
        try:
            if f.stat().st_size > MAX_TEXT_BYTES:
                continue
            data = f.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:4096]:
            continue
        findings += _token_findings(rel, data.decode("utf-8", errors="replace"))
    findings.sort(key=lambda x: (x.path, x.line, x.rule))
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


