"""Read Flux state from `kubectl get -o json` only: conditions, revisions and inventories.

Field meanings: research/flux-anchors.md §C. Nothing here parses human text.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..repo.scan import ObjectKey
from ..runner import ToolFailed

NS = "flux-system"
KS_RESOURCE = "kustomizations.kustomize.toolkit.fluxcd.io"
GITREPO_RESOURCE = "gitrepositories.source.toolkit.fluxcd.io"
SOURCE_GROUP = "source.toolkit.fluxcd.io"
REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"
# Source kinds whose status reports a Ready condition and an artifact; listed only when installed.
SOURCE_PLURALS = ("gitrepositories", "ocirepositories", "helmrepositories", "buckets", "helmcharts")


def condition(obj: dict | None, ctype: str = "Ready") -> dict | None:
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def is_true(obj: dict | None, ctype: str = "Ready") -> bool:
    return (condition(obj, ctype) or {}).get("status") == "True"


def describe_condition(obj: dict | None, ctype: str = "Ready") -> str:
    c = condition(obj, ctype)
    if c is None:
        return f"no {ctype} condition yet"
    return f"{ctype}={c.get('status')} {c.get('reason', '')}: {c.get('message', '')}".strip()


def ref(obj: dict) -> str:
    md = obj.get("metadata", {})
    return f"{obj.get('kind')} {md.get('namespace', '')}/{md.get('name')}"


def revision_hash(revision: str | None) -> str | None:
    """'main@sha1:abc…' / 'refs/heads/main@sha1:abc…' / 'sha1:abc…' -> 'abc…' (pkg git ExtractHashFromRevision)."""
    if not revision:
        return None
    return revision.rsplit(":", 1)[-1] if ":" in revision else revision.rsplit("/", 1)[-1]


def parse_inventory_id(entry_id: str) -> ObjectKey:
    """`<namespace>_<name>_<group>_<kind>`; cluster-scoped ids start with '_'; ':' in names is '__'."""
    ns, rest = entry_id.split("_", 1)
    rest, kind = rest.rsplit("_", 1)
    name, group = rest.rsplit("_", 1)
    return ObjectKey(group, kind, ns, name.replace("__", ":"))


def inventory_keys(ks: dict) -> list[ObjectKey]:
    entries = (((ks.get("status") or {}).get("inventory") or {}).get("entries")) or []
    return [parse_inventory_id(e["id"]) for e in entries if e.get("id")]


def get_or_none(kubectl, *args: str, timeout: float = 30) -> dict | None:
    """One object, or None when it (or its resource type) does not exist."""
    res = kubectl.run("get", *args, "-o", "json", "--ignore-not-found", "--request-timeout=20s",
                      ok_codes=(0, 1), timeout=timeout)
    if res.exit_code == 1:
        err = res.stderr
        if "the server doesn't have a resource type" in err or "no matches for kind" in err:
            return None
        raise ToolFailed(f"'{res.command}' failed: {err.strip().splitlines()[-1] if err.strip() else '?'}",
                         res.argv, 1, res.stdout, res.stderr)
    return res.json() if res.stdout.strip() else None


def list_all(kubectl, resources: list[str], timeout: float = 60) -> list[dict]:
    if not resources:
        return []
    res = kubectl.run("get", ",".join(resources), "-A", "-o", "json", "--request-timeout=30s", timeout=timeout)
    return res.json().get("items", []) if res.stdout.strip() else []


def flux_crds(kubectl) -> list[dict]:
    res = kubectl.run("get", "crd", "-l", "app.kubernetes.io/part-of=flux", "-o", "json", "--request-timeout=20s",
                      timeout=40)
    return res.json().get("items", [])


def installed_sources(crds: list[dict]) -> list[str]:
    names = {c["metadata"]["name"] for c in crds}
    return [f"{p}.{SOURCE_GROUP}" for p in SOURCE_PLURALS if f"{p}.{SOURCE_GROUP}" in names]


# Ready=False reasons that mean "waiting for something else", never a verdict on this object.
WAITING_REASONS = frozenset({"DependencyNotReady", "Progressing", "ProgressingWithRetry"})


def reconcile_pending(obj: dict) -> bool:
    """Has someone asked Flux to reconcile `obj` (the requestedAt annotation) and Flux not handled it yet?
    Its conditions then still describe the attempt before the request."""
    asked = ((obj.get("metadata") or {}).get("annotations") or {}).get(REQUESTED_AT)
    return bool(asked) and asked != (obj.get("status") or {}).get("lastHandledReconcileAt")


def in_progress(obj: dict) -> bool:
    """Is Flux working on `obj` right now, or about to (a request it has not handled yet)? After a
    failure it keeps Reconciling=True with reason ProgressingWithRetry: it tries the same inputs again at
    retryInterval, which is not progress."""
    rec = condition(obj, "Reconciling")
    moving = bool(rec) and rec.get("status") == "True" and rec.get("reason") != "ProgressingWithRetry"
    return moving or reconcile_pending(obj)


def settled_failure(obj: dict, head: str, token: str | None) -> str | None:
    """Why Flux has finished with `obj` for the pushed commit `head` and failed, or None while it
    may still get Ready without anyone changing anything. From conditions and status fields only:
    Stalled=True (kstatus); or a failure (not a wait) that Flux reported after it handled our
    reconcile request (`token`) on `head`, or a build of `head` that failed (it fails the same
    way until the source changes)."""
    st = obj.get("status") or {}
    stalled = condition(obj, "Stalled")
    if stalled and stalled.get("status") == "True":
        return f"Stalled: {stalled.get('reason', '')}: {stalled.get('message', '')}"
    ready = condition(obj)
    if not ready or ready.get("status") != "False" or ready.get("reason") in WAITING_REASONS:
        return None
    if in_progress(obj):
        return None
    if obj.get("kind") == "Kustomization" and revision_hash(st.get("lastAttemptedRevision")) != head:
        return None
    if ready.get("reason") == "BuildFailed" or (token and st.get("lastHandledReconcileAt") == token):
        return f"{ready.get('reason', '')}: {ready.get('message', '')}"
    return None


@dataclass
class ObjState:
    """One Flux object's state as the wizard reports it."""

    ref: str
    ready: bool
    suspended: bool
    reason: str
    message: str
    revision: str | None
    last_reconcile: str | None
    current: bool  # observedGeneration == generation

    @classmethod
    def of(cls, obj: dict) -> "ObjState":
        st = obj.get("status") or {}
        c = condition(obj) or {}
        rev = st.get("lastAppliedRevision") if obj.get("kind") == "Kustomization" else (st.get("artifact") or {}).get("revision")
        return cls(ref(obj), c.get("status") == "True", bool((obj.get("spec") or {}).get("suspend")),
                   c.get("reason", ""), c.get("message", ""), rev, c.get("lastTransitionTime"),
                   st.get("observedGeneration") == obj.get("metadata", {}).get("generation"))

    def line(self) -> str:
        flag = "suspended" if self.suspended else ("Ready" if self.ready else "not Ready")
        return f"{self.ref}: {flag} {self.reason} at {self.revision or 'no revision'}" + (
            "" if self.ready else f" — {self.message}")


def flux_overview(session) -> list[ObjState]:
    """Every Kustomization and Flux source (GitRepository, ...) in the cluster, sources first.

    Only the kinds whose CRDs are installed are listed; no Flux at all gives an empty list.
    Read from the pinned cluster only: Blocked before preflight has pinned one (or when it is not
    reachable), Refused for another cluster; the runner's ToolError when a read fails.
    """
    from ..session import Blocked

    if session.state.cluster is None:
        raise Blocked("no cluster is pinned yet: run 1.0 prep.preflight first (Phase 1); it pins the cluster "
                      "this migration works on", needs=("prep.preflight",))
    session.ensure_same_cluster()
    crds = flux_crds(session.kubectl)
    names = {c["metadata"]["name"] for c in crds}
    resources = installed_sources(crds) + ([KS_RESOURCE] if KS_RESOURCE in names else [])
    objs = list_all(session.kubectl, resources)
    order = {"Kustomization": 1}
    objs.sort(key=lambda o: (order.get(o.get("kind"), 0), o.get("kind", ""),
                             o.get("metadata", {}).get("namespace", ""), o.get("metadata", {}).get("name", "")))
    return [ObjState.of(o) for o in objs]


