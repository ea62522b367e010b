"""What the wizard read from unchanged kubeconfig files, kept between its runs (a context's server URL and
namespace).

The key names the files with their inode, size and mtime, so an edited, replaced or switched kubeconfig
is read again by kubectl. Nothing secret: `config view --minify` omits credentials, and only the server
URL and the context's namespace are kept, in a 0600 file of the wizard's data directory.
"""
from __future__ import annotations

import hashlib
import json
import os

from ..paths import data_home


def _file(key: str):
    return data_home() / "cluster-facts" / ("kubeconfig-" + hashlib.sha256(key.encode()).hexdigest()[:32])


def recall(key: str) -> dict | None:
    """{"server": URL, "namespace": the context's namespace or None} read earlier from the same files."""
    try:
        got = json.loads(_file(key).read_text())
    except (OSError, ValueError):
        return None
    if not (isinstance(got, dict) and got.get("key") == key and isinstance(got.get("server"), str)):
        return None
    return {"server": got["server"], "namespace": got.get("namespace")}


def remember(key: str, server: str, namespace: str | None) -> None:
    f = _file(key)
    try:
        f.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = f.with_name(f".{f.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"key": key, "server": server, "namespace": namespace}, fh)
        os.replace(tmp, f)
    except OSError:
        pass  # only a saving
