"""A stand-in for the owner's nodes on the testbed.

A homelab pins some workloads to one of its machines by name (shaman007's mail server and unifi run
on `m.k8s.my.lan`: `nodeSelector: {kubernetes.io/hostname: ...}`, or `nodeName:` outright). The
owner's cluster has that node; the testbed has one kwok node of its own, so such a pod stays
Unschedulable (or, bound by nodeName to a node that does not exist, is deleted and made again by
the pod garbage collector, every 40 s), its Deployment never gets Available, and a Flux health check
on it fails: a red the owner's cluster would not show.

Likewise a repo that keeps replicas apart (a required podAntiAffinity on kubernetes.io/hostname: lisenet's
httpd-healthcheck, two replicas; its pii-demo, three pods of app=httpd-server) ran on at least that many
machines (lisenet's README lists three workers); on one node the rest stay Unschedulable.

Before the owner applies the repo, this registers a kwok node for each machine the repo's pods are
pinned to, and plain workers up to the widest spread (kwok manages every node, --manage-all-nodes, so it makes them Ready like the testbed's
own), with the labels the pods select. Selectors the testbed's node already matches
(`kubernetes.io/os: linux`) need nothing. Loopback only: kubectl against the testbed's API server.
"""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tests.live.owner_apply import MANIFEST_SUFFIXES, _docs
from tests.testbed.cluster import NODE_NAME, Testbed

HOSTNAME = "kubernetes.io/hostname"
BASE_LABELS = {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "type": "kwok"}


def _pod_spec(doc: dict) -> dict | None:
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    kind = doc.get("kind")
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    tmpl = spec.get("template") if isinstance(spec.get("template"), dict) else None
    return tmpl.get("spec") if tmpl and isinstance(tmpl.get("spec"), dict) else None


def _affinity_hosts(spec: dict) -> list[str]:
    """Hostnames a required node affinity allows (`kubernetes.io/hostname In [...]`)."""
    req = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
           .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    out = []
    for term in req.get("nodeSelectorTerms") or []:
        for e in (term or {}).get("matchExpressions") or []:
            if e.get("key") == HOSTNAME and e.get("operator") == "In":
                out += [v for v in e.get("values") or [] if isinstance(v, str)]
    return out


def pinned_nodes(repo: Path) -> dict[str, dict[str, str]]:
    """{node name: labels} of every node the repo's pod templates name, beyond the testbed's own."""
    nodes: dict[str, dict[str, str]] = {}
    for f in sorted(repo.rglob("*")):
        if ".git" in f.relative_to(repo).parts or f.suffix not in MANIFEST_SUFFIXES or not f.is_file():
            continue
        for doc in _docs(f):
            spec = _pod_spec(doc)
            if not spec:
                continue
            selector = {k: str(v) for k, v in (spec.get("nodeSelector") or {}).items() if isinstance(k, str)}
            hosts = [spec["nodeName"]] if isinstance(spec.get("nodeName"), str) else []
            hosts += [selector[HOSTNAME]] if HOSTNAME in selector else []
            hosts += _affinity_hosts(spec)
            for host in hosts:
                if host and host != NODE_NAME:
                    nodes.setdefault(host, {}).update({**selector, HOSTNAME: host})
    return nodes


def _matches(selector: dict, labels: dict) -> bool:
    """A label selector (matchLabels, matchExpressions) against a pod template's labels."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        ok = {"In": labels.get(key) in values, "NotIn": labels.get(key) not in values,
              "Exists": key in labels, "DoesNotExist": key not in labels}.get(op, False)
        if not ok:
            return False
    return True


def _replicated(repo: Path) -> list[tuple[str, dict, int, dict]]:
    """(namespace, pod labels, replicas, pod spec) of each Deployment, StatefulSet and ReplicaSet."""
    out = []
    for f in sorted(repo.rglob("*")):
        if ".git" in f.relative_to(repo).parts or f.suffix not in MANIFEST_SUFFIXES or not f.is_file():
            continue
        for doc in _docs(f):
            if doc.get("kind") not in ("Deployment", "StatefulSet", "ReplicaSet") or not _pod_spec(doc):
                continue
            tmpl = doc["spec"]["template"]
            replicas = doc["spec"].get("replicas", 1)
            out.append(((doc.get("metadata") or {}).get("namespace") or "default",
                        (tmpl.get("metadata") or {}).get("labels") or {}, replicas if isinstance(replicas, int) else 1,
                        tmpl["spec"]))
    return out


def hosts_needed(repo: Path) -> int:
    """How many nodes the owner's cluster has at least: the most pods one required anti-affinity on
    kubernetes.io/hostname keeps apart (httpd-healthcheck's 2 replicas; pii-demo's httpd-server, -blue
    and -green, which all carry app=httpd-server)."""
    pods = _replicated(repo)
    most = 1
    for ns, _, _, spec in pods:
        terms = (((spec.get("affinity") or {}).get("podAntiAffinity") or {})
                 .get("requiredDuringSchedulingIgnoredDuringExecution") or [])
        for term in terms:
            if term.get("topologyKey") != HOSTNAME:
                continue
            spaces = term.get("namespaces") or [ns]
            apart = sum(n for pns, labels, n, _ in pods if pns in spaces
                        and _matches(term.get("labelSelector") or {}, labels))
            most = max(most, apart)
    return most


def _node(name: str, labels: dict[str, str]) -> dict:
    node = Testbed._node()
    node["metadata"].update(name=name, labels={**BASE_LABELS, **labels})
    return node


def add_owner_nodes(repo: Path, env: dict, timeout: float = 60) -> list[str]:
    """Register the repo's pinned nodes and wait until kwok has made each Ready; returns their names."""
    nodes = pinned_nodes(repo)
    # The testbed's own node is one of the owner's machines; the rest of the spread gets plain workers.
    nodes.update({f"owner-node-{i}": {HOSTNAME: f"owner-node-{i}"} for i in range(1, hosts_needed(repo))})
    if not nodes:
        return []
    items = {"apiVersion": "v1", "kind": "List", "items": [_node(n, labels) for n, labels in sorted(nodes.items())]}
    subprocess.run(["kubectl", "apply", "-f", "-"], input=json.dumps(items), env=env, capture_output=True,
                   text=True, timeout=60, check=True)
    deadline, last = time.monotonic() + timeout, {}
    while True:
        res = subprocess.run(["kubectl", "get", "nodes", "-o", "json"], env=env, capture_output=True, text=True,
                             timeout=30)
        if res.returncode == 0:
            last = {n["metadata"]["name"]: {c["type"]: c["status"] for c in (n.get("status") or {}).get("conditions") or []}
                    for n in json.loads(res.stdout).get("items", [])}
            if all(last.get(n, {}).get("Ready") == "True" for n in nodes):
                return sorted(nodes)
        if time.monotonic() > deadline:
            raise AssertionError(f"kwok did not make the owner's nodes Ready within {timeout:g}s: {last}")
        time.sleep(0.5)
