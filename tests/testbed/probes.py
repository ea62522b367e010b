"""HTTP(S) readiness probes against the testbed's loopback endpoints.

The opener ignores proxy environment variables on purpose: an HTTP(S)_PROXY setting must never
send a probe for 127.0.0.1 anywhere else.
"""
from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Probe:
    url: str
    cafile: Path | None = None        # verify against this CA
    insecure: bool = False            # self-signed serving certs of kcm/scheduler (loopback only)
    token: str | None = None
    expect: bytes | None = None       # substring the body must contain
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://127.0.0.1:", "https://127.0.0.1:")):
            raise ValueError(f"testbed probes only dial 127.0.0.1, not {self.url}")

    def check(self, timeout: float = 2.0) -> str | None:
        """None when healthy, else a one-line reason."""
        ctx = None
        if self.url.startswith("https:"):
            if self.insecure:
                ctx = ssl._create_unverified_context()  # noqa: S323 (loopback, self-signed)
            else:
                ctx = ssl.create_default_context(cafile=str(self.cafile) if self.cafile else None)
        req = urllib.request.Request(self.url, headers=dict(self.headers))
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            handlers = [urllib.request.ProxyHandler({})]
            if ctx is not None:
                handlers.append(urllib.request.HTTPSHandler(context=ctx))
            with urllib.request.build_opener(*handlers).open(req, timeout=timeout) as r:
                body = r.read()
                if r.status != 200:
                    return f"{self.url} answered {r.status}"
        except urllib.error.HTTPError as e:
            return f"{self.url} answered {e.code}: {e.read()[:200]!r}"
        except (urllib.error.URLError, OSError) as e:
            return f"{self.url}: {getattr(e, 'reason', e)}"
        if self.expect is not None and self.expect not in body:
            return f"{self.url} answered {body[:200]!r}"
        return None


def http_get(url: str, timeout: float = 5.0) -> bytes:
    """GET a loopback URL without any proxy; raises on errors."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"testbed only dials 127.0.0.1, not {url}")
    with _OPENER.open(url, timeout=timeout) as r:
        return r.read()
