"""Whether a kind is namespaced or cluster-scoped, which decides whether an object without
`metadata.namespace` needs one.

The answer comes, in this order, from the cluster's discovery (`namespaced` of /api/v1 and
/apis/<group>/<version>, when a cluster is connected), from a CustomResourceDefinition in the repo
(`spec.scope`), from the table below (core kinds and the CRDs homelabs use most), or from the user
(`scope.<Kind>.<group>=namespaced|cluster`): an unknown kind is never guessed.
"""
from __future__ import annotations

from ..checklist import Question
from .scan import Manifest, group_of

_TRAEFIK = ("traefik.io", "traefik.containo.us")
_FLUX = ("source.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io",
         "notification.toolkit.fluxcd.io", "image.toolkit.fluxcd.io")


def _kinds(groups, kinds: str) -> set[tuple[str, str]]:
    groups = (groups,) if isinstance(groups, str) else groups
    return {(g, k) for g in groups for k in kinds.split()}


NAMESPACED = (
    _kinds("", "Pod Service ConfigMap Secret ServiceAccount PersistentVolumeClaim Endpoints LimitRange ResourceQuota "
               "Event ReplicationController PodTemplate")
    | _kinds(("apps", "extensions"), "Deployment StatefulSet DaemonSet ReplicaSet ControllerRevision")
    | _kinds("batch", "Job CronJob") | _kinds("autoscaling", "HorizontalPodAutoscaler")
    | _kinds("policy", "PodDisruptionBudget") | _kinds(("networking.k8s.io", "extensions"), "Ingress NetworkPolicy")
    | _kinds("rbac.authorization.k8s.io", "Role RoleBinding") | _kinds("coordination.k8s.io", "Lease")
    | _kinds("discovery.k8s.io", "EndpointSlice") | _kinds("events.k8s.io", "Event")
    | _kinds("storage.k8s.io", "CSIStorageCapacity")
    | _kinds(("cert-manager.io",), "Certificate Issuer CertificateRequest") | _kinds("acme.cert-manager.io", "Order Challenge")
    | _kinds(_TRAEFIK, "IngressRoute IngressRouteTCP IngressRouteUDP Middleware MiddlewareTCP TLSOption TLSStore "
                       "ServersTransport ServersTransportTCP TraefikService")
    | _kinds("monitoring.coreos.com", "ServiceMonitor PodMonitor PrometheusRule Prometheus Alertmanager "
                                      "AlertmanagerConfig Probe ThanosRuler PrometheusAgent ScrapeConfig")
    | _kinds(_FLUX, "GitRepository HelmRepository HelmChart OCIRepository Bucket Kustomization HelmRelease Alert "
                    "Provider Receiver ImageRepository ImagePolicy ImageUpdateAutomation")
    | _kinds("bitnami.com", "SealedSecret") | _kinds("external-secrets.io", "ExternalSecret SecretStore")
    | _kinds("metallb.io", "IPAddressPool L2Advertisement BGPAdvertisement BGPPeer Community BFDProfile")
    | _kinds("gateway.networking.k8s.io", "Gateway HTTPRoute GRPCRoute TCPRoute TLSRoute UDPRoute ReferenceGrant")
    | _kinds("networking.istio.io", "Gateway VirtualService DestinationRule ServiceEntry Sidecar EnvoyFilter")
    | _kinds("security.istio.io", "PeerAuthentication AuthorizationPolicy RequestAuthentication")
    | _kinds("secrets-store.csi.x-k8s.io", "SecretProviderClass") | _kinds("postgresql.cnpg.io", "Cluster Backup "
                                                                                                    "ScheduledBackup Pooler")
    | _kinds("kyverno.io", "Policy") | _kinds("longhorn.io", "Volume Engine Replica RecurringJob BackupTarget Setting")
    | _kinds("snapshot.storage.k8s.io", "VolumeSnapshot")
)

CLUSTER = (
    _kinds("", "Namespace Node PersistentVolume ComponentStatus")
    | _kinds("rbac.authorization.k8s.io", "ClusterRole ClusterRoleBinding")
    | _kinds("storage.k8s.io", "StorageClass CSIDriver CSINode VolumeAttachment")
    | _kinds("apiextensions.k8s.io", "CustomResourceDefinition") | _kinds("apiregistration.k8s.io", "APIService")
    | _kinds("admissionregistration.k8s.io", "ValidatingWebhookConfiguration MutatingWebhookConfiguration "
                                             "ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding")
    | _kinds("networking.k8s.io", "IngressClass IPAddress ServiceCIDR") | _kinds("scheduling.k8s.io", "PriorityClass")
    | _kinds("node.k8s.io", "RuntimeClass") | _kinds("policy", "PodSecurityPolicy")
    | _kinds("extensions", "PodSecurityPolicy") | _kinds("certificates.k8s.io", "CertificateSigningRequest")
    | _kinds("flowcontrol.apiserver.k8s.io", "FlowSchema PriorityLevelConfiguration")
    | _kinds("cert-manager.io", "ClusterIssuer") | _kinds("external-secrets.io", "ClusterSecretStore ClusterExternalSecret")
    | _kinds("gateway.networking.k8s.io", "GatewayClass") | _kinds("templates.gatekeeper.sh", "ConstraintTemplate")
    | _kinds("kyverno.io", "ClusterPolicy") | _kinds("snapshot.storage.k8s.io", "VolumeSnapshotClass VolumeSnapshotContent")
)
# Groups whose every kind is cluster-scoped (Gatekeeper makes one CRD per ConstraintTemplate, all cluster-wide).
CLUSTER_GROUPS = {"constraints.gatekeeper.sh"}

NAMESPACED_ANSWER, CLUSTER_ANSWER = "namespaced", "cluster"


def scope_key(group: str, kind: str) -> str:
    return f"scope.{kind}.{group}" if group else f"scope.{kind}"


def repo_crd_scopes(manifests: list[Manifest]) -> dict[tuple[str, str], bool]:
    """(group, kind) -> namespaced, from the CustomResourceDefinitions the repo holds."""
    out = {}
    for m in manifests:
        if m.kind != "CustomResourceDefinition" or not isinstance(m.doc.get("spec"), dict):
            continue
        spec = m.doc["spec"]
        kind = (spec.get("names") or {}).get("kind") if isinstance(spec.get("names"), dict) else None
        if isinstance(spec.get("group"), str) and isinstance(kind, str) and spec.get("scope") in ("Namespaced", "Cluster"):
            out[(spec["group"], kind)] = spec["scope"] == "Namespaced"
    return out


class Scopes:
    """Answers "is this kind namespaced?" from what is known; None when nobody knows yet."""

    def __init__(self, served: dict[tuple[str, str], bool] | None, repo_crds: dict[tuple[str, str], bool],
                 answers: dict) -> None:
        self.served = served or {}
        self.repo_crds = repo_crds
        self.answers = answers

    def namespaced(self, api_version: str, kind: str) -> bool | None:
        group = group_of(api_version)
        key = (group, kind)
        for known in (self.served, self.repo_crds):
            if key in known:
                return known[key]
        if key in NAMESPACED:
            return True
        if key in CLUSTER or group in CLUSTER_GROUPS:
            return False
        answer = self.answers.get(scope_key(group, kind))
        if answer in (NAMESPACED_ANSWER, CLUSTER_ANSWER):
            return answer == NAMESPACED_ANSWER
        return None


def scope_question(group: str, kind: str, examples: list[Manifest]) -> Question:
    names = ", ".join(f"{m.kind} {m.name} ({m.where})" for m in examples[:3]) + (" …" if len(examples) > 3 else "")
    return Question(
        scope_key(group, kind),
        f"{names} has no namespace, and neither the cluster nor the repo says whether {kind} ({group or 'core'}) is "
        "namespaced: is it?",
        [(NAMESPACED_ANSWER, "namespaced: give it the namespace it lives in now"),
         (CLUSTER_ANSWER, "cluster-scoped: it has no namespace")],
        default=None, where=examples[0].where if examples else "",
        help="kustomize-controller refuses a namespaced object without a namespace ('namespace not specified'); "
             "its CRD's spec.scope says which it is.")
