"""A stand-in for the DNS addon every distribution installs, which the testbed lacks.

k3s and kubeadm both create CoreDNS in kube-system: its ServiceAccount `coredns`, its ConfigMap
`coredns` (the Corefile), and the ClusterRole and ClusterRoleBinding `system:coredns`. A homelab that
tunes its DNS keeps only its own copy of the Deployment (lisenet's coredns/coredns-deployment.yml
names serviceAccountName: coredns and mounts the ConfigMap coredns) and applies it over the
distribution's. On the testbed, with none of these, the ReplicaSet is refused every pod ("error
looking up service account kube-system/coredns"), the Deployment passes its progress deadline, and
Flux's health check calls it stalled: a red the owner's cluster would not show.

These objects are made as the testbed's other distribution objects are (tests/testbed/cluster.py's
StorageClass): with the label k3s deploys its bundled manifests with, and a field manager that is not
kubectl, so the wizard files them as the distribution's, as on k3s. The addon's Deployment and
Service are left out: a repo that runs its own CoreDNS brings them, and one that does not never
looks at them. Loopback only: kubectl against the testbed's API server.
"""
from __future__ import annotations

import json
import subprocess

K3S = {"objectset.rio.cattle.io/hash": "testbed", "k8s-app": "kube-dns"}
COREFILE = (".:53 {\n    errors\n    health\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n"
            "      pods insecure\n      fallthrough in-addr.arpa ip6.arpa\n    }\n    forward . /etc/resolv.conf\n"
            "    cache 30\n    loop\n    reload\n    loadbalance\n}\n")


def dns_addon() -> list[dict]:
    md = {"namespace": "kube-system", "labels": K3S}
    rule = [{"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"], "verbs": ["list", "watch"]},
            {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"]}]
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "coredns", **md}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", **md}, "data": {"Corefile": COREFILE}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": "system:coredns", "labels": K3S}, "rules": rule},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "system:coredns", "labels": K3S},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:coredns"},
         "subjects": [{"kind": "ServiceAccount", "name": "coredns", "namespace": "kube-system"}]},
    ]


def add_dns_addon(env: dict) -> None:
    items = {"apiVersion": "v1", "kind": "List", "items": dns_addon()}
    subprocess.run(["kubectl", "apply", "--server-side", "--field-manager=k3s", "-f", "-"], input=json.dumps(items),
                   env=env, capture_output=True, text=True, timeout=60, check=True)
