"""Redaction of secret values from everything the wizard shows or stores.

Two layers: exact values the wizard knows are secret (tokens from the environment, values
passed through stdin) and patterns that look like credentials wherever they come from
(GitHub tokens, age private keys, passwords in URLs).
"""
from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Mapping

MASK = "***"

# Environment variables whose values are secrets wherever they appear.
SECRET_ENV_NAMES = re.compile(r"(TOKEN|PASSWORD|PASSWD|SECRET|AGE_KEY|PRIVATE_KEY|API_KEY)", re.I)

_PATTERNS = [
    re.compile(r"AGE-SECRET-KEY-1[0-9A-Z]{20,}"),
    re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"github_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"glpat-[A-Za-z0-9_\-]{20,}"),
]
# user:password@ in URLs (git remotes leak these through stderr).
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.\-]*://)(?P<user>[^:/@\s]+):(?P<pw>[^@/\s]+)@")
# --token=..., --password ..., Authorization: Bearer ...
_FLAG_VALUES = re.compile(r"(?P<flag>--(?:token|password|client-key-data)[= ])(?P<value>\S+)")
_BEARER = re.compile(r"(?P<p>[Bb]earer\s+)(?P<v>[A-Za-z0-9._\-]{8,})")

# Values shorter than this are not redacted by exact match: masking "a" or "1" everywhere
# would destroy output without protecting anything.
_MIN_SECRET_LEN = 6


def worth_masking(value: str) -> bool:
    """The rule for values the wizard finds (Secret values in the repo, secret-named env vars):
    at least 8 characters and not an everyday word: 16 or more characters, or two kinds of
    characters (lower, upper, digits, symbols) with at least 5 different ones. `homelab`, `admin`,
    `postgres`, `changeme` stay readable; `s3cr3t-Passw0rd`, tokens and keys are masked."""
    v = value.strip()
    if len(v) < 8:
        return False
    if len(v) >= 16:
        return True
    kinds = sum((any(c.islower() for c in v), any(c.isupper() for c in v), any(c.isdigit() for c in v),
                 any(not c.isalnum() for c in v)))
    return kinds >= 2 and len(set(v)) >= 5


class Redactor:
    """Masks known secret values and credential-shaped strings. Thread-safe."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, value: str | None, *, found: bool = False) -> None:
        """Remember a secret value so it is masked from now on.

        `found`: a value read from the repo or the environment (a Secret's key, DB_PASSWORD=…),
        not a credential the user handed the wizard; it is masked only when it looks like one
        (worth_masking), so an everyday word such as `homelab` or `admin` that also names a
        namespace or a folder is never turned into *** there."""
        if found and not worth_masking(value or ""):
            return
        if value and len(value) >= _MIN_SECRET_LEN:
            with self._lock:
                self._secrets.add(value)
                # Secrets also travel base64-encoded (Secret.data, basic auth headers).
                import base64

                self._secrets.add(base64.b64encode(value.encode()).decode())

    def add_from_env(self, env: Mapping[str, str] | None = None) -> None:
        """Register the values of secret-looking environment variables."""
        for name, value in (env if env is not None else os.environ).items():
            if SECRET_ENV_NAMES.search(name):
                self.add(value, found=True)

    def __call__(self, text: str) -> str:
        return self.redact(text)

    def redact(self, text: str) -> str:
        if not text:
            return text
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for s in secrets:
            if s in text:
                text = text.replace(s, MASK)
        for pat in _PATTERNS:
            text = pat.sub(MASK, text)
        text = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
        text = _FLAG_VALUES.sub(lambda m: f"{m['flag']}{MASK}", text)
        text = _BEARER.sub(lambda m: f"{m['p']}{MASK}", text)
        return text

    def redact_obj(self, obj):
        """Redact every string inside a JSON-like structure."""
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, list):
            return [self.redact_obj(x) for x in obj]
        if isinstance(obj, tuple):
            return tuple(self.redact_obj(x) for x in obj)
        if isinstance(obj, dict):
            if obj.get("kind") == "Secret" and any(isinstance(obj.get(f), dict) for f in ("data", "stringData")):
                # Structured: a Secret in evidence keeps its keys, never its values (whatever they look like).
                obj = {**obj, **{f: {k: MASK for k in obj[f]} for f in ("data", "stringData")
                                 if isinstance(obj.get(f), dict)}}
            return {k: self.redact_obj(v) for k, v in obj.items()}
        return obj


def default_redactor() -> Redactor:
    """A redactor primed with the secret-looking environment variables of this process.

    A new one each time: a session's registered secrets stay with that session (tests open
    many sessions in one process and must not mask each other's text).
    """
    r = Redactor()
    r.add_from_env()
    return r
