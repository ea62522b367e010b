"""The vocabulary of the secret detector (wizard.secrets.detect): rule names, Finding, and which
keys and values count as secrets. Its names stay importable from wizard.secrets.detect.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from ..repo.scan import Manifest, group_of

PLAINTEXT_SECRET, CREDENTIAL, LAST_APPLIED, DOCKERCONFIG, TOKEN, SECRET_GENERATOR, UNREADABLE_SECRET = (
    "plaintext-secret", "credential", "last-applied", "dockerconfigjson", "token", "secret-generator",
    "unreadable-secret")
SECRET_IN_LIST = "secret-in-list"

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
        from ..repo.file_text import shown

        return f"{shown(self.path)}:{self.line}"

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
