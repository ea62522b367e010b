"""4.1 validate.deployed: every object the repo defines is in a Flux inventory."""
from __future__ import annotations

from ...checklist import Item, Verdict
from ...cluster.adopt import HELM_RELEASE_ANNOTATION, left_to_cluster
from ...cluster.helm_releases import left_to_cluster as helm_left_to_cluster
from ...cluster.inventory import repo_key
from ...cluster.listing import cluster_listing, key_of
from ...flux.status import NS, inventory_keys
from .common import FLUX_MANAGER, KUBECTL_MANAGERS, kustomizations
from .settling import settled_failures, still_reconciling, wait_until_settled


HELM_LABEL = "helm.toolkit.fluxcd.io/name"  # helm-controller labels what a HelmRelease renders
HELM_RECORD = "helm.sh/release.v1"  # the type of Helm's storage Secrets (one per revision)


# -- 4.1 ----------------------------------------------------------------------------------------
def managers(obj: dict) -> set[str]:
    return {m.get("manager", "") for m in (obj.get("metadata", {}).get("managedFields") or [])}


def kubectl_only(obj: dict) -> bool:
    ms = managers(obj)
    return bool(ms) and all(m.startswith(KUBECTL_MANAGERS) for m in ms)


def _inventories(kss: list[dict]) -> dict:
    """key → the first Kustomization whose inventory lists it."""
    managed = {}
    for ks in kss:
        for key in inventory_keys(ks):
            managed.setdefault(key, f"{ks['metadata']['namespace']}/{ks['metadata']['name']}")
    return managed


def _repo_objects(ctx, namespaced) -> tuple[dict, dict]:
    """(meant, excluded): key → where in the repo, for the manifests under a Flux path and for the ones
    the user left out."""
    meant, excluded = {}, {}
    for u in ctx.layout.units:
        # A kustomize tree's objects as its root renders them (an overlay's namespace and name suffix), never
        # its base files as written: those are not what Flux applies.
        for m in u.objects:
            k = repo_key(m, namespaced)
            (excluded if m.path in ctx.layout.excluded_files else meant).setdefault(k, m.where)
    return meant, excluded


def _release_of(obj: dict) -> str:
    """`namespace/release` of an object a Helm release made (or of Helm's record of that release)."""
    md = obj.get("metadata") or {}
    name = ((md.get("labels") or {}).get("name", "") if obj.get("type") == HELM_RECORD
            else (md.get("annotations") or {}).get(HELM_RELEASE_ANNOTATION, ""))
    return f"{md.get('namespace', '')}/{name}"


def _outside_row(k, obj: dict, flux_releases: set[str], left: dict[str, str]) -> tuple[str, str]:
    """(row, text) of a live object no Kustomization inventory lists and the repo does not define."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    if labels.get(HELM_LABEL):  # rendered by helm-controller: its HelmRelease is in an inventory
        return "managed", f"{k} (HelmRelease {labels.get(HELM_LABEL + '-namespace', k.namespace)}/{labels[HELM_LABEL]})"
    release = _release_of(obj)
    if obj.get("type") == HELM_RECORD and release in flux_releases:  # Helm's record goes with its release
        return "managed", f"{k} (the record of the Helm release {release}, under a HelmRelease)"
    ref = f"{k.kind}/{k.namespace}/{k.name}"
    why = left.get(ref) if ref in left else left.get(f"helm:{release}")
    if why is not None:
        return "left_to_cluster", f"{k} (left to the cluster at 2.0: {why})"
    return "not_in_repo", str(k)


def _live_rows(rows: dict, live: dict, managed: dict, meant: dict, excluded: dict, left: dict[str, str]) -> None:
    """Sort the live objects into rows: inventoried ones that kubectl also (or only) manages, the ones
    a HelmRelease renders, the ones the owner left to the cluster at 2.0 (with their reason), and the
    ones the repo does not define (flux-system's own objects aside)."""
    flux_releases = {_release_of(o) for o in live.values()
                     if ((o.get("metadata") or {}).get("labels") or {}).get(HELM_LABEL)}
    for k, obj in sorted(live.items(), key=lambda kv: str(kv[0])):
        if k in managed:
            ms = managers(obj)
            if FLUX_MANAGER not in ms and kubectl_only(obj):
                rows["kubectl_only"].append(f"{k} (in an inventory, but only kubectl field managers: {', '.join(sorted(ms))})")
            elif any(m.startswith(KUBECTL_MANAGERS) for m in ms):
                rows["shared_with_kubectl"].append(f"{k} (also: {', '.join(sorted(m for m in ms if m.startswith(KUBECTL_MANAGERS)))})")
            continue
        if k in meant or k in excluded or k.namespace == NS:
            continue
        row, text = _outside_row(k, obj, flux_releases, left)
        rows[row].append(text)
        if row == "not_in_repo" and kubectl_only(obj):
            rows["kubectl_only"].append(f"{k} (not managed by Flux; owned only by kubectl)")


def coverage(session) -> dict:
    """Rows of what Flux manages and what it does not, from the API and the repo."""
    from ..repo.common import context  # the Phase 2 layout: which manifests sit under a Flux path

    kss = kustomizations(session)
    managed = _inventories(kss)
    listing = cluster_listing(session)
    live = {key_of(o): o for o in listing.objects + listing.flux_owned}
    ctx = context(session)
    meant, excluded = _repo_objects(ctx, listing.namespaced)
    rows = {"managed": [], "missing": [], "excluded": [], "left_to_cluster": [], "not_in_repo": [], "kubectl_only": [],
            "shared_with_kubectl": []}
    for k, where in sorted(meant.items(), key=lambda kv: str(kv[0])):
        if k in managed:
            rows["managed"].append(f"{k} (Kustomization {managed[k]})")
        else:
            rows["missing"].append(f"{k} ({where})" + ("" if k in live else "; not in the cluster either"))
    for k, where in sorted(excluded.items(), key=lambda kv: str(kv[0])):
        if k not in managed:
            rows["excluded"].append(f"{k} ({where}, left out by choice)")
    left = {**left_to_cluster(session.answers),
            **{f"helm:{k}": why for k, why in helm_left_to_cluster(session.answers).items()}}
    _live_rows(rows, live, managed, meant, excluded, left)
    rows["kustomizations"] = [f"{ks['metadata']['namespace']}/{ks['metadata']['name']}: "
                              f"{len(inventory_keys(ks))} objects" for ks in kss]
    return rows


class Deployed(Item):
    settles = ("first wait (up to reconcile-timeout seconds) until Flux has finished with the pushed commit: "
               "a Kustomization that waits on another (dependsOn) has not applied its objects yet")

    def settle(self, session, progress) -> None:
        wait_until_settled(session, progress)

    def verify(self, session) -> Verdict:
        session.ensure_same_cluster()
        rows = coverage(session)
        counts = {k: len(v) for k, v in rows.items() if k != "kustomizations"}
        ev = {"counts": counts, **{k: v[:100] for k, v in rows.items()}}
        kss = kustomizations(session) if rows["missing"] else []
        moving = still_reconciling(session, kss) if rows["missing"] else []
        if moving:
            ev["still_reconciling"] = moving
            return Verdict("pending", f"still reconciling: {'; '.join(moving[:4])}. {len(rows['missing'])} object(s) "
                                      "under a Flux path are not in an inventory yet; run validate.deployed to wait "
                                      "for Flux and check again", ev)
        if rows["missing"]:
            failed = settled_failures(kss)
            ev["settled_failures"] = failed
            why = f" Flux stopped there: {'; '.join(failed[:3])}." if failed else ""
            return Verdict("failed", f"{len(rows['missing'])} object(s) under a Flux path are in no Kustomization's "
                                     f"inventory: {'; '.join(rows['missing'][:8])}.{why} Check validate.reconciled for "
                                     "the Kustomization that failed to apply them.", ev)
        if not rows["managed"]:
            return Verdict("failed", "no object of the repo is in any Kustomization's inventory yet", ev)
        extra = []
        if rows["not_in_repo"]:
            extra.append(f"{len(rows['not_in_repo'])} live object(s) are not in the repo, so Flux does not manage them")
        if rows["kubectl_only"]:
            extra.append(f"{len(rows['kubectl_only'])} owned only by kubectl field managers")
        if rows["excluded"]:
            extra.append(f"{len(rows['excluded'])} left out by choice")
        if rows["left_to_cluster"]:
            extra.append(f"{len(rows['left_to_cluster'])} left to the cluster by choice (2.0)")
        return Verdict("passed", f"Flux manages all {len(rows['managed'])} objects of the repo"
                       + (" (" + "; ".join(extra) + ")" if extra else ""), ev)
