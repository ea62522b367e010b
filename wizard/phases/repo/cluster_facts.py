"""What Phase 2 asks the cluster about namespaces, once per session: whether a kind is namespaced
(discovery), where an object without a namespace lives now, which namespaces exist, and the
kubeconfig context's namespace (what `kubectl apply -f` used for an object without one).

Only with a pinned, reachable, same cluster (common.served_groups says so); a scratch copy of the
session (proof.py) makes no calls and reads what its parent found. Every answer is read from JSON.
"""
from __future__ import annotations

import hashlib
import re
import time

from ...cluster.served import discovery_document
from ...runner import ToolError
from ...repo.dry_run import FIELD_MANAGER
from ...repo.scan import group_of
from ...repo.ssa_repair import parse_typed_patch_error
from ...tools.manifest_stream import as_stream


FRESH_SECONDS = 60  # a long TUI session asks again after this (someone may have made a namespace by hand)


def _cached(session, key: str, compute):
    hit = session.cache.get(key)
    if hit is not None and (session.scratch_moves is not None or time.monotonic() - hit[0] < FRESH_SECONDS):
        return hit[1]
    if session.scratch_moves is not None:
        return None
    value = compute()
    session.cache[key] = (time.monotonic(), value)
    return value


def context_namespace(session) -> tuple[str, str]:
    """(namespace, where it comes from): the kubeconfig context's namespace, else `default`."""
    def read():
        try:
            ns = session.kubectl.context_namespace()
        except (ToolError, ValueError, KeyError, IndexError):
            ns = None
        if ns:
            return ns, f"the namespace of the kubeconfig context {session.kubectl.context!r}"
        return "default", "default (the kubeconfig context names no namespace)"

    got = _cached(session, "context_namespace", read)
    return tuple(got) if got else ("default", "default (the kubeconfig context names no namespace)")


def discovery(session, api_versions: set[str]) -> dict[tuple[str, str], tuple[str, bool]]:
    """(group, kind) -> (resource name, namespaced) for the served ones among `api_versions`."""
    found: dict[tuple[str, str], tuple[str, bool]] = {}
    for av in sorted(api_versions):
        def read(av=av):
            try:
                doc = discovery_document(session, av) or {}
                return [(r.get("kind"), r.get("name"), bool(r.get("namespaced")))
                        for r in doc.get("resources", []) if "/" not in str(r.get("name"))]
            except (ToolError, ValueError):
                return []  # not served: the kind's scope comes from the repo, the table, or the user
        for kind, name, namespaced in _cached(session, f"discovery:{av}", read) or []:
            found[(group_of(av), kind)] = (name, namespaced)
    return found


def where_it_lives(session, resource: str, group: str, name: str) -> list[str]:
    """The namespaces holding an object of this resource and name now (a field selector on the name)."""
    def read():
        what = f"{resource}.{group}" if group else resource
        try:
            # Secrets come back with their values: never into the audit log, parsed here only.
            res = session.kubectl.run("get", what, "--all-namespaces", f"--field-selector=metadata.name={name}",
                                      "-o", "json", "--request-timeout=20s", timeout=30, log_output=False,
                                      raw_stdout=True)
            return sorted({(i.get("metadata") or {}).get("namespace") for i in res.json().get("items", [])} - {None})
        except (ToolError, ValueError):
            return []

    return _cached(session, f"lives:{resource}.{group}/{name}", read) or []


def _namespaces_and_claims(session) -> dict | None:
    """{"namespaces": [...], "claims": [[ns, name], ...]} from one `kubectl get namespaces,persistentvolumeclaims`
    (Phase 2 asks both in every run); each is None when it cannot be read (then each is asked on its own, so
    a kubeconfig allowed to list only one of them still gets that one)."""
    def one(what: str, row) -> list | None:
        try:
            res = session.kubectl.run("get", what, "-A", "-o", "json", "--request-timeout=20s", timeout=30)
            return sorted(row(i) for i in res.json().get("items", []))
        except (ToolError, ValueError, KeyError):
            return None

    def read():
        try:
            res = session.kubectl.run("get", "namespaces,persistentvolumeclaims", "-A", "-o", "json",
                                      "--request-timeout=20s", timeout=30)
            items = res.json().get("items", [])
            return {"namespaces": sorted(i["metadata"]["name"] for i in items if i.get("kind") == "Namespace"),
                    "claims": sorted([i["metadata"]["namespace"], i["metadata"]["name"]] for i in items
                                     if i.get("kind") == "PersistentVolumeClaim")}
        except (ToolError, ValueError, KeyError):
            return {"namespaces": one("namespaces", lambda i: i["metadata"]["name"]),
                    "claims": one("persistentvolumeclaims",
                                  lambda i: [i["metadata"]["namespace"], i["metadata"]["name"]])}

    return _cached(session, "namespaces+claims", read)


def claims(session) -> set[tuple[str, str]] | None:
    """(namespace, name) of every PersistentVolumeClaim in the cluster (None when that cannot be read)."""
    got = (_namespaces_and_claims(session) or {}).get("claims")
    return {tuple(x) for x in got} if got is not None else None


def namespaces(session) -> set[str] | None:
    """The namespaces that exist in the cluster now (None when that cannot be read)."""
    got = (_namespaces_and_claims(session) or {}).get("namespaces")
    return set(got) if got is not None else None


# `Error from server (Invalid): … Deployment.apps "chartdb" is invalid: spec…`, or with one object refused
# `The Deployment "chartdb" is invalid: spec…`
_INVALID = re.compile(r'(?:\(Invalid\): .*?|^The )(\w+)(?:\.[\w.-]+)? "([^"]+)" is invalid: (.+)$')


def server_refusals(session, docs: list[dict]) -> dict[tuple[str, str, str], tuple[str, dict | None]]:
    """{(kind, namespace or "" when the answer does not say, name): (the API server's reason, the mechanical repair or None)} for the objects that
    kustomize-controller's server-side apply would refuse: a dry-run as it applies (server-side, its
    field manager). `is invalid` (the owner's apply failed too) has no repair; the typed-patch refusals
    that client-side `kubectl apply` let through (an undeclared field, a repeated list entry) have one.
    A missing namespace or CRD is ordering, 2.4's business, never a refusal."""
    if not docs:
        return {}
    text = as_stream(docs)

    def read():
        try:
            res = session.kubectl.run("apply", "--server-side", "--dry-run=server", f"--field-manager={FIELD_MANAGER}",
                                      "--force-conflicts", "-f", "-", "-o", "name", "--request-timeout=60s",
                                      stdin=text, stdin_is_secret=any(d.get("kind") == "Secret" for d in docs),
                                      ok_codes=(0, 1), timeout=120, log_output=False)
        except ToolError:
            return None
        out = {}
        for line in res.stderr.splitlines():
            typed = parse_typed_patch_error(line)
            if typed is not None:  # names the namespace: two objects of one name in two namespaces are told apart
                out[f"{typed[0]}/{typed[2]['namespace']}/{typed[1]}"] = (typed[2]["why"], typed[2])
                continue
            m = _INVALID.search(line)
            if m:
                out[f"{m.group(1)}//{m.group(2)}"] = (m.group(3).strip(), None)
        return out

    if session.scratch_moves is not None:
        # A scratch copy (a proof) makes no calls: it judges with what its parent found for the repo as it
        # is, so the objects left out or repaired by answer are the same ones there.
        got = (session.cache.get("refusals-last") or (0, {}))[1]
    else:
        # The API server judges each object on its own: the same objects in another order (2.3 moved their
        # folders) are the same question, so the key is the set, not the stream.
        key = "refusals:" + _set_digest(docs)
        got = _cached(session, key, lambda: _nothing_refused_lately(session, key, read)) or {}
        session.cache["refusals-last"] = (time.monotonic(), got)
    return {tuple(k.split("/", 2)): v for k, v in got.items()}


def _set_digest(docs: list[dict]) -> str:
    import json

    each = sorted(hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest() for d in docs)
    return hashlib.sha256("\n".join(each).encode()).hexdigest()


def _nothing_refused_lately(session, key: str, read):
    """`read()`, unless another run of the wizard found in the last FRESH_SECONDS that this cluster refuses
    none of these very objects. A Phase 2 run re-plans from a new process each time, and this dry-run of
    every object of the repo is the slowest thing it asks the cluster. An answer about a Secret, or with a
    value the wizard knows to be secret in the server's words, is never written to disk (_storable)."""
    import json
    import os

    from ...paths import data_home

    pinned = session.state.cluster if session.state else None
    if pinned is None:
        return read()
    name = hashlib.sha256(f"{pinned.server}|{pinned.uid}|{key}".encode()).hexdigest()
    f = data_home() / "cluster-facts" / name
    try:
        if time.time() - f.stat().st_mtime < FRESH_SECONDS:
            return {k: tuple(v) for k, v in json.loads(f.read_text()).items()}
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    got = read()
    if got is not None and _storable(session, got):
        try:
            f.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = f.with_name(f".{name}.{os.getpid()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(got, fh)
            os.replace(tmp, f)
            for e in os.scandir(f.parent):  # the old ones: each is worth a minute
                if time.time() - e.stat().st_mtime > 10 * FRESH_SECONDS:
                    os.unlink(e.path)
        except OSError:
            pass
    return got


def _storable(session, got: dict) -> bool:
    """Whether the refusals may go to a file (0600): none about a Secret, no known secret value in them."""
    if any(k.split("/", 1)[0] == "Secret" for k in got):
        return False
    import json

    text = json.dumps(got)
    return session.runner.redactor.redact(text) == text
