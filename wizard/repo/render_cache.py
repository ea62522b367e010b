"""`kubectl kustomize` renders, remembered across the wizard's runs by the content of what they read.

A kustomize build is a function of its files: the folder built, every folder and file its kustomization
files reach (resources, components, patches, generators, …), and the kubectl that builds it. One
migration renders the same folders hundreds of times: every item's plan and check, every proof in a
scratch copy of the repo, every run of the CLI. Each render is a kubectl process (tens of milliseconds
of CPU before it reads a file), so a render whose inputs are byte for byte the same as before is read
back from here instead.

- The key is a SHA-256 of the repo-relative path, the kubectl binary (path, size, mtime), and the path
  and content of every file the build can read. Anything it cannot see (a remote base, an absolute
  path outside the repo) still goes into the key as written; a remote base is read once, as kustomize
  itself would on a machine without network changes.
- Only successful renders are kept. A render holding a Secret with plaintext values is never kept
  (the repo holds it before 2.5, but no copy of it goes anywhere else).
- Files are 0600 in a 0700 folder of the wizard's data directory; the oldest go beyond MAX_ENTRIES.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Callable

import yaml

from ..paths import data_home

MAX_ENTRIES = 600
_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KFILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Fields of a kustomization whose entries name files or folders the build reads.
_LISTS = ("resources", "bases", "components", "crds", "patchesStrategicMerge", "generators", "transformers",
          "validators", "configurations")
_DIGESTS: dict[tuple, str] = {}  # (path, inode, size, mtime_ns) -> sha256 of the content, for this process


def cache_dir() -> Path:
    return data_home() / "render-cache"


def _file_digest(p: Path) -> str:
    try:
        st = p.stat()
    except OSError:
        return "missing"
    if not stat.S_ISREG(st.st_mode):  # a FIFO or a device: opening it may block forever (kustomize reads none)
        return f"special:{stat.S_IFMT(st.st_mode)}"
    k = (str(p), st.st_ino, st.st_size, st.st_mtime_ns)
    got = _DIGESTS.get(k)
    if got is None:
        try:
            got = hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError:
            got = "unreadable"
        _DIGESTS[k] = got
    return got


def _kustomization_refs(kfile: Path) -> list[str]:
    """The file and folder entries of one kustomization file (strings, as written)."""
    try:
        doc = yaml.load(kfile.read_text(encoding="utf-8", errors="replace"), Loader=_SAFE)
    except (OSError, yaml.YAMLError):
        return []
    if not isinstance(doc, dict):
        return []
    out = [e for field in _LISTS for e in _paths(doc.get(field))]
    for field in ("patches", "patchesJson6902", "replacements"):
        out += [e for e in _paths(doc.get(field)) if e is not None]
    for field in ("configMapGenerator", "secretGenerator"):
        out += [f.split("=", 1)[-1] for g in _dicts(doc.get(field)) for f in _generator_files(g)]
    openapi = doc.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        out.append(openapi["path"])
    return out


def _dicts(entries) -> list[dict]:
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _paths(entries) -> list[str]:
    """The entries of a list field that name a path: a string, or a mapping's `path`."""
    if not isinstance(entries, list):
        return []
    return [e if isinstance(e, str) else e["path"] for e in entries
            if isinstance(e, str) or (isinstance(e, dict) and isinstance(e.get("path"), str))]


def _generator_files(g: dict) -> list[str]:
    files = [f for f in (g.get("files") or []) + (g.get("envs") or []) if isinstance(f, str)]
    return files + ([g["env"]] if isinstance(g.get("env"), str) else [])


def _closure(target: Path) -> list[tuple[str, str]] | None:
    """(path relative to `target`, content digest or the entry as written) of everything the build of
    `target` can read; None when it cannot be told (then nothing is remembered)."""
    target = target.resolve()
    seen_dirs: list[Path] = []
    parts: dict[str, str] = {}
    todo = [target]
    while todo:
        d = todo.pop()
        if any(d == s or s in d.parents for s in seen_dirs):
            continue
        seen_dirs.append(d)
        for dirpath, dirnames, filenames in os.walk(d):
            dirnames[:] = [n for n in dirnames if n != ".git"]
            for name in filenames:
                p = Path(dirpath) / name
                parts[os.path.relpath(p, target)] = _file_digest(p)
                if name not in _KFILES:
                    continue
                for ref in _kustomization_refs(p):
                    if "://" in ref or ref.startswith(("github.com/", "git@", "gitlab.com/", "bitbucket.org/")):
                        parts["remote:" + ref] = ref
                        continue
                    q = (p.parent / ref).resolve()
                    if any(q == s or s in q.parents for s in seen_dirs):
                        continue
                    if q.is_dir():
                        todo.append(q)
                    else:
                        parts[os.path.relpath(q, target)] = _file_digest(q)
        if len(parts) > 20000:  # a build that reaches most of a disk: not worth a key
            return None
    return sorted(parts.items())


def _key(session, kind: str, rel: str, target: Path) -> str | None:
    exe = session.runner.which("kubectl")
    if not exe:
        return None
    try:
        st = os.stat(exe)
    except OSError:
        return None
    closure = _closure(target)
    if closure is None:
        return None
    h = hashlib.sha256()
    h.update(json.dumps(["v1", kind, rel, os.path.realpath(exe), st.st_size, st.st_mtime_ns, closure]).encode())
    return h.hexdigest()


def holds_plaintext_secret(docs: list) -> bool:
    return any(isinstance(d, dict) and d.get("kind") == "Secret" and "sops" not in d
               and (d.get("data") or d.get("stringData")) for d in docs)


def remembered(session, kind: str, rel: str, target: Path,
               produce: Callable[[], tuple[dict, list]]) -> tuple[dict, list | None]:
    """(payload, docs) of a render of `target` (repo-relative `rel`): `produce()` gives both for a new
    one; a remembered one gives its payload and None for the docs (the caller parses the payload)."""
    try:
        key = _key(session, kind, rel, target)
    except (OSError, RuntimeError, ValueError):
        key = None
    if key is None:
        return produce()
    f = cache_dir() / key
    try:
        payload = json.loads(f.read_text(encoding="utf-8"))
        os.utime(f)  # the oldest unused go first
        return payload, None
    except (OSError, ValueError):
        pass
    payload, docs = produce()
    if not holds_plaintext_secret(docs):
        _store(f, payload)
    return payload, docs


def _store(f: Path, payload: dict) -> None:
    try:
        f.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = f.with_name(f".{f.name}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh)
        os.replace(tmp, f)
        _prune(f.parent)
    except OSError:
        pass  # remembering is only a saving: a full or read-only disk renders every time


def _prune(folder: Path) -> None:
    import time

    try:
        entries = [e for e in os.scandir(folder) if e.is_file()]
    except OSError:
        return
    for e in [e for e in entries if e.name.startswith(".")]:  # a write a kill -9 cut short
        try:
            if time.time() - e.stat().st_mtime > 3600:
                os.unlink(e.path)
        except OSError:
            pass
    entries = [e for e in entries if not e.name.startswith(".")]
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda e: e.stat().st_mtime_ns)
    for e in entries[:len(entries) - MAX_ENTRIES]:
        try:
            os.unlink(e.path)
        except OSError:
            pass
