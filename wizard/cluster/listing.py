"""List every listable object of the cluster, from kubectl's JSON output.

Shared by the backup (1.2) and the inventory (1.3), so both see the same set of objects
and apply the same skip rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..repo.scan import ObjectKey, group_of
from ..runner import ToolError
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
    """(resource.group, namespaced) for every resource type that supports list."""
    out = []
    for namespaced in (True, False):
        res = kubectl.run("api-resources", "--verbs=list", f"--namespaced={str(namespaced).lower()}", "-o", "name",
                          timeout=60)
        out += [(line.strip(), namespaced) for line in res.stdout.splitlines() if line.strip()]
    return out


def key_of(obj: dict) -> ObjectKey:
    md = obj.get("metadata", {})
    return ObjectKey(group_of(obj.get("apiVersion", "")), obj.get("kind", ""), md.get("namespace") or "", md.get("name", ""))


def list_cluster(kubectl: Kubectl, cancel=None, progress=lambda line: None) -> Listing:
    listing = Listing()
    types = resource_types(kubectl)
    raw: list[dict] = []
    for resource, namespaced in types:
        try:
            # Output may hold Secret values: keep it out of the audit log.
            res = kubectl.run("get", resource, "--all-namespaces" if namespaced else "--ignore-not-found", "--show-managed-fields",
                              "-o", "json", timeout=120, log_output=False, cancel=cancel)
        except ToolError as e:
            if type(e).__name__ == "Cancelled":
                raise
            listing.not_listable[resource] = str(e).splitlines()[-1][:300]
            continue
        items = res.json().get("items", [])
        for it in items:
            kg = f"{it.get('kind')}.{group_of(it.get('apiVersion', ''))}"
            listing.namespaced[kg] = namespaced
        raw += items
        if items:
            progress(f"listed {len(items)} {resource}")
    # Endpoints of Services with a selector are recreated by Kubernetes; those without a
    # selector were written by someone and must be kept.
    selectorless = selectorless_services(o for o in raw if o.get("kind") == "Service")
    seen: set[ObjectKey] = set()
    for obj in raw:
        k = key_of(obj)
        if k in seen:  # the same object served by two API groups or versions
            continue
        seen.add(k)
        reason = should_skip(obj, selectorless)
        if reason:
            bucket = reason.split(":", 1)[0]  # reasons name the object; count them by rule
            listing.skipped[bucket] = listing.skipped.get(bucket, 0) + 1
        elif is_flux_owned(obj):
            listing.flux_owned.append(obj)
        else:
            listing.objects.append(obj)
    return listing
