"""API versions Kubernetes removed, and what replaces each (the official deprecation guide,
kubernetes.io/docs/reference/using-api/deprecation-guide/).

A manifest written years ago still says `extensions/v1beta1` or `rbac.authorization.k8s.io/v1beta1`.
The API server stopped serving those versions (1.16 to 1.32), so such an object is not a custom
resource waiting for its CRD: no CRD can ever provide it. `removal_for()` tells the two apart, from
this table and, when a cluster is connected, from what it serves (`Served`).

`rewrite` names the mechanical rewrite (wizard.repo.api_rewrite) when there is one; None means the
successor needs decisions only the owner can make (a CRD's structural schema, a webhook's side
effects), or there is no successor at all (PodSecurityPolicy).
"""
from __future__ import annotations

from dataclasses import dataclass

from .scan import group_of

VERSION, WORKLOAD, INGRESS, HPA, PDB = "version", "workload", "ingress", "hpa", "pdb"


@dataclass(frozen=True)
class Removal:
    api_version: str
    kind: str
    removed_in: str  # the Kubernetes minor that stopped serving it ("" when only the cluster says so)
    successor: str | None  # the apiVersion that replaces it; None: nothing does
    rewrite: str | None = None  # the mechanical rewrite to the successor (api_rewrite.REWRITES), if any
    hint: str = ""  # what to do instead when there is no mechanical rewrite

    @property
    def answers(self) -> str:
        """The answers api-upgrade.<…> takes for it (a mechanical rewrite may still need the owner: then 2.x says so)."""
        return "rewrite|exclude" if self.rewrite and self.successor else "exclude"

    @property
    def said(self) -> str:
        """How a message names it: `policy/v1beta1, which Kubernetes removed in 1.25`."""
        when = f"which Kubernetes removed in {self.removed_in}" if self.removed_in else "which the cluster does not serve"
        return f"{self.api_version}, {when}"


REMOVED: dict[tuple[str, str], Removal] = {}


def _add(versions: str, kinds: str, removed_in: str, successor: str | None, rewrite: str | None = None,
         hint: str = "") -> None:
    for av in versions.split():
        for kind in kinds.split():
            REMOVED[(av, kind)] = Removal(av, kind, removed_in, successor, rewrite, hint)


_PSA = ("nothing replaces it: Pod Security Admission does its job (label the namespace with "
        "pod-security.kubernetes.io/enforce=<level>)")
_add("extensions/v1beta1 apps/v1beta1 apps/v1beta2", "Deployment DaemonSet ReplicaSet StatefulSet", "1.16", "apps/v1",
     WORKLOAD)
_add("apps/v1beta1 apps/v1beta2", "ControllerRevision", "1.16", "apps/v1", VERSION)
_add("extensions/v1beta1", "NetworkPolicy", "1.16", "networking.k8s.io/v1", VERSION)
_add("extensions/v1beta1", "PodSecurityPolicy", "1.16", None, hint=_PSA)
_add("policy/v1beta1", "PodSecurityPolicy", "1.25", None, hint=_PSA)
_add("extensions/v1beta1 networking.k8s.io/v1beta1", "Ingress", "1.22", "networking.k8s.io/v1", INGRESS)
_add("networking.k8s.io/v1beta1", "IngressClass", "1.22", "networking.k8s.io/v1", VERSION)
_add("rbac.authorization.k8s.io/v1beta1", "ClusterRole ClusterRoleBinding Role RoleBinding", "1.22",
     "rbac.authorization.k8s.io/v1", VERSION)
_add("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration ValidatingWebhookConfiguration", "1.22",
     "admissionregistration.k8s.io/v1",
     hint="v1 needs sideEffects (None or NoneOnDryRun) and admissionReviewVersions on every webhook: take the v1 "
          "manifest from the project that ships the webhook")
_add("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "1.22", "apiextensions.k8s.io/v1",
     hint="v1 needs a structural schema for every version: take the v1 CRD from the project that ships it")
_add("apiregistration.k8s.io/v1beta1", "APIService", "1.22", "apiregistration.k8s.io/v1", VERSION)
_add("certificates.k8s.io/v1beta1", "CertificateSigningRequest", "1.22", "certificates.k8s.io/v1",
     hint="v1 needs spec.signerName: write it for the signer you use")
_add("coordination.k8s.io/v1beta1", "Lease", "1.22", "coordination.k8s.io/v1", VERSION)
_add("scheduling.k8s.io/v1beta1", "PriorityClass", "1.22", "scheduling.k8s.io/v1", VERSION)
_add("storage.k8s.io/v1beta1", "CSIDriver CSINode StorageClass VolumeAttachment", "1.22", "storage.k8s.io/v1", VERSION)
_add("batch/v1beta1", "CronJob", "1.25", "batch/v1", VERSION)
_add("discovery.k8s.io/v1beta1", "EndpointSlice", "1.25", "discovery.k8s.io/v1",
     hint="v1 replaces endpoints[].topology with zone and nodeName: rewrite them by hand")
_add("events.k8s.io/v1beta1", "Event", "1.25", "events.k8s.io/v1",
     hint="events are written by controllers, not kept in git")
_add("autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.25", "autoscaling/v2", HPA)
_add("policy/v1beta1", "PodDisruptionBudget", "1.25", "policy/v1", PDB)
_add("node.k8s.io/v1beta1", "RuntimeClass", "1.25", "node.k8s.io/v1", VERSION)
_add("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26", "autoscaling/v2", VERSION)
_add("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.27", "storage.k8s.io/v1", VERSION)
_FLOW = "v1 renames assuredConcurrencyShares to nominalConcurrencyShares: rewrite the spec by hand"
_add("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema PriorityLevelConfiguration", "1.26",
     "flowcontrol.apiserver.k8s.io/v1", hint=_FLOW)
_add("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema PriorityLevelConfiguration", "1.29",
     "flowcontrol.apiserver.k8s.io/v1", hint=_FLOW)
_add("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema PriorityLevelConfiguration", "1.32",
     "flowcontrol.apiserver.k8s.io/v1", VERSION)

# The groups the API server serves itself: a version of one of these that the cluster does not
# serve is gone (or not enabled), never a CRD still to be installed. (gateway.networking.k8s.io,
# snapshot.storage.k8s.io and other *.k8s.io groups are CRDs, so they are not listed.)
CORE_GROUPS = frozenset({
    "", "apps", "batch", "policy", "autoscaling", "extensions", "networking.k8s.io", "rbac.authorization.k8s.io",
    "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io", "discovery.k8s.io", "events.k8s.io",
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io", "certificates.k8s.io",
    "flowcontrol.apiserver.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "resource.k8s.io",
    "internal.apiserver.k8s.io", "storagemigration.k8s.io"})


@dataclass(frozen=True)
class Served:
    """What the connected cluster serves: every group version, and the kinds of the served group
    versions this table lists (extensions/v1beta1 served Ingress until 1.22, Deployment only until 1.16)."""

    versions: frozenset[str]
    kinds: frozenset[tuple[str, str]] = frozenset()

    def serves(self, api_version: str, kind: str) -> bool:
        if api_version not in self.versions:
            return False
        return (api_version, kind) in self.kinds if (api_version, kind) in REMOVED else True


def removal_for(api_version: str, kind: str, served: Served | None = None) -> Removal | None:
    """Why `kind` in `api_version` cannot be applied: the table's entry (offline, or when the cluster
    does not serve it), or, for a core group's version the cluster does not serve, a removal with no
    known successor. None when it can be applied (or it is not a core API at all)."""
    known = REMOVED.get((api_version, kind))
    if served is None:
        return known
    if served.serves(api_version, kind):
        return None
    if known is not None:
        return known
    group = group_of(api_version)
    if group not in CORE_GROUPS:
        return None
    others = sorted(v for v in served.versions if group_of(v) == group and v != api_version)
    return Removal(api_version, kind, "", None,
                   hint=f"the cluster serves {', '.join(others)} instead" if others else "")


def table_versions_to_read(served_versions: set[str], api_versions: set[tuple[str, str]]) -> set[str]:
    """The served group versions whose kinds must be read to tell (apiVersion, kind) pairs of the table apart."""
    return {av for av, kind in api_versions if (av, kind) in REMOVED and av in served_versions}


def not_served(api_version: str, kind: str) -> Removal | None:
    """For an (apiVersion, kind) the cluster was found not to serve: why, when no CRD can ever provide it
    (a removed or core version), else None (a custom resource whose CRD is not installed yet)."""
    return removal_for(api_version, kind, Served(frozenset()))


def upgrade_key(doc: dict) -> str:
    """The question that settles an object in a removed version: api-upgrade.<Kind>/<namespace>/<name>."""
    md = doc.get("metadata") or {}
    return f"api-upgrade.{doc.get('kind')}/{md.get('namespace') or ''}/{md.get('name')}"
