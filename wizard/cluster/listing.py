"""List every listable object of the cluster, from kubectl's JSON output.

Shared by the backup (1.2) and the inventory (1.3), so both see the same set of objects
and apply the same skip rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..repo.scan import ObjectKey, group_of
from ..runner import Cancelled, ToolError
from ..tools.kubectl import Kubectl
from .clean import is_flux_owned, selectorless_services, should_skip


@dataclass
class Listing:
    objects: list[dict] = field(default_factory=list)  # raw objects that are kept (not cleaned)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    not_listable: dict[str, str] = field(default_factory=dict)  # resource -> error
    flux_owned: list[dict] = field(default_factory=list)
    namespaced: dict[str, bool] = field(default_factory=dict)  # "kind.group" -> namespaced


def resource_types(kubectl: Kubectl) -> list[tuple[str, bool]]:
    """(resource.group, namespaced) for every resource type that supports list: one `-o json` call (kubectl
    1.31 and later), else one `-o name` call per scope."""
    try:
        res = kubectl.run("api-resources", "--verbs=list", "-o", "json", timeout=60)
        return [(r["name"] + (f".{r['group']}" if r.get("group") else ""), bool(r["namespaced"]))
                for r in res.json()["resources"]]
    except (ToolError, ValueError, KeyError, TypeError):
        pass
    out = []
    for namespaced in (True, False):
        res = kubectl.run("api-resources", "--verbs=list", f"--namespaced={str(namespaced).lower()}", "-o", "name",
                          timeout=60)
        out += [(line.strip(), namespaced) for line in res.stdout.splitlines() if line.strip()]
    return out


def key_of(obj: dict) -> ObjectKey:
    md = obj.get("metadata", {})
    return ObjectKey(group_of(obj.get("apiVersion", "")), obj.get("kind", ""), md.get("namespace") or "", md.get("name", ""))


def _get(kubectl: Kubectl, resources: list[str], namespaced: bool, cancel) -> list[dict]:
    scope = ["--all-namespaces"] if namespaced else []
    # Output may hold Secret values: raw (byte-exact for the backup) and never in the audit log.
    res = kubectl.run("get", ",".join(resources), *scope, "--show-managed-fields", "-o", "json", timeout=180,
                      raw_stdout=True, cancel=cancel)
    return res.json().get("items", []) if res.stdout.strip() else []


def cluster_listing(session) -> Listing:
    """list_cluster for a check: the same listing serves every check of one verify run (wizard/cluster/memo.py).
    Read, never changed, by its users."""
    from .memo import remembered

    return remembered(session, "listing", lambda: list_cluster(session.kubectl))


def list_cluster(kubectl: Kubectl, cancel=None, progress=lambda line: None) -> Listing:
    listing = Listing()
    types = resource_types(kubectl)
    raw: list[dict] = []
    for namespaced in (True, False):
        names = [r for r, ns in types if ns == namespaced]
        if not names:
            continue
        batch = _list_types(kubectl, names, namespaced, cancel, listing)
        for it in batch:
            listing.namespaced[f"{it.get('kind')}.{group_of(it.get('apiVersion', ''))}"] = namespaced
        raw += batch
        progress(f"listed {len(batch)} {'namespaced' if namespaced else 'cluster-scoped'} objects of {len(names)} types")
    _classify(listing, raw)
    return listing


def _list_types(kubectl: Kubectl, names: list[str], namespaced: bool, cancel, listing: Listing) -> list[dict]:
    try:
        # One call for all types is several times faster than one call per type.
        return _get(kubectl, names, namespaced, cancel)
    except Cancelled:
        raise
    except ToolError:
        pass
    # Some type cannot be listed (an aggregated API that is down, say): find which,
    # one type at a time, and keep everything else.
    batch: list[dict] = []
    for name in names:
        try:
            batch += _get(kubectl, [name], namespaced, cancel)
        except Cancelled:
            raise
        except ToolError as e:
            listing.not_listable[name] = str(e).splitlines()[-1][:300]
    return batch


def _terminating_namespaces(raw: list[dict]) -> set[str]:
    return {o["metadata"]["name"] for o in raw if o.get("kind") == "Namespace"
            and ((o.get("status") or {}).get("phase") == "Terminating" or o["metadata"].get("deletionTimestamp"))}


def _classify(listing: Listing, raw: list[dict]) -> None:
    """File each listed object as skipped (counted by rule), Flux-owned, or kept."""
    # Endpoints of Services with a selector are recreated by Kubernetes; those without a
    # selector were written by someone and must be kept.
    selectorless = selectorless_services(o for o in raw if o.get("kind") == "Service")
    # Everything in a namespace that is being deleted goes with it.
    terminating = _terminating_namespaces(raw)
    seen: set[ObjectKey] = set()
    for obj in raw:
        k = key_of(obj)
        if k in seen:  # the same object served by two API groups or versions
            continue
        seen.add(k)
        reason = should_skip(obj, selectorless)
        if reason is None and k.namespace in terminating:
            reason = f"{k.kind}: in namespace {k.namespace}, which is being deleted"
        if reason:
            bucket = reason.split(":", 1)[0]  # reasons name the object; count them by rule
            listing.skipped[bucket] = listing.skipped.get(bucket, 0) + 1
        elif is_flux_owned(obj):
            listing.flux_owned.append(obj)
        else:
            listing.objects.append(obj)
