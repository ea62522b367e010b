"""The bundled demo homelab repo (assets/demo/repo) is valid, realistic and shaped like the seed.

No cluster here, so `kubectl apply --dry-run` (which needs API discovery) is replaced by
structural checks: every reference between objects resolves, and the real `kubectl kustomize`
accepts every manifest.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from wizard.demo_content import DEMO_SECRET_MARKER, demo_repo_dir

REPO = demo_repo_dir()
K8S = REPO / "infrastructure" / "kubernetes"
KUBECTL = shutil.which("kubectl", path=str(Path(__file__).resolve().parents[2] / ".venv" / "bin")) \
    or shutil.which("kubectl")
KUSTOMIZE_API = "kustomize.config.k8s.io"
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "ClusterIssuer", "PersistentVolume",
    "StorageClass", "CustomResourceDefinition", "IngressClass", "PriorityClass",
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}


def _files(*suffixes: str) -> list[Path]:
    return sorted(p for p in REPO.rglob("*") if p.is_file() and p.suffix in suffixes)


def _docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _objects() -> list[tuple[Path, dict]]:
    """Every Kubernetes object in the repo (kustomization.yaml and non-K8s YAML excluded)."""
    out = []
    for path in _files(".yaml", ".yml"):
        for doc in _docs(path):
            if isinstance(doc, dict) and "kind" in doc and not str(doc.get("apiVersion", "")).startswith(KUSTOMIZE_API):
                out.append((path, doc))
    return out


def _index() -> dict[tuple[str, str, str], dict]:
    return {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for _, o in _objects()}


def _kubectl(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    if not KUBECTL:
        pytest.skip("kubectl not installed")
    return subprocess.run([KUBECTL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_demo_repo_has_the_seed_layout():
    for rel in [
        "README.md", "Makefile", ".gitignore", ".github/workflows/deploy.yml",
        "docs/README.md", "scripts/deploy.sh", "scripts/backup-postgres.sh",
        "infrastructure/compute-node/docker-compose.yml", "infrastructure/service-node",
        "services/llm-router/config.yaml", "services/homelab-dashboard/k8s",
        "services/mem0/server.py", "services/n8n-workflows",
    ]:
        assert (REPO / rel).exists(), rel
    for area in ["base", "databases", "monitoring", "services", "flowise", "ingress",
                 "certificates", "dns", "registry"]:
        assert list((K8S / area).glob("*.yaml")), area
    assert 25 <= sum(1 for p in REPO.rglob("*") if p.is_file()) <= 45


def test_every_yaml_document_parses():
    paths = _files(".yaml", ".yml")
    assert len(paths) > 20
    for path in paths:
        _docs(path)  # raises on bad YAML
    multi = [p for p in paths if len(_docs(p)) > 1]
    assert len(multi) >= 5, "the demo should exercise multi-document files"


def test_json_workflow_exports_parse():
    exports = _files(".json")
    assert exports
    for path in exports:
        assert json.loads(path.read_text())["nodes"]


def test_every_kubernetes_object_has_apiversion_kind_name_and_namespace_when_namespaced():
    objs = _objects()
    assert len(objs) >= 40
    for path, obj in objs:
        where = f"{path.relative_to(REPO)}: {obj.get('kind')}"
        assert obj.get("apiVersion") and obj.get("kind"), where
        assert obj.get("metadata", {}).get("name"), where
        if obj["kind"] in CLUSTER_SCOPED:
            assert "namespace" not in obj["metadata"], where
        else:
            assert obj["metadata"].get("namespace"), where


def test_object_ids_are_unique():
    ids = [(o["apiVersion"].split("/")[0], o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
           for _, o in _objects()]
    assert len(ids) == len(set(ids))


def test_namespaces_used_are_declared_in_base():
    declared = {o["metadata"]["name"] for o in _docs(K8S / "base" / "namespace.yaml")}
    assert {"homelab", "databases", "monitoring"} <= declared
    used = {o["metadata"]["namespace"] for _, o in _objects() if "namespace" in o["metadata"]}
    assert used - declared == {"kube-system"}  # only the k3s coredns-custom override


def test_non_kubernetes_yaml_has_no_kind():
    for rel in ["infrastructure/compute-node/docker-compose.yml", "infrastructure/compute-node/ollama-models.yaml",
                "infrastructure/service-node/k3s-config.yaml", "infrastructure/service-node/registries.yaml",
                "services/llm-router/config.yaml", ".github/workflows/deploy.yml"]:
        for doc in _docs(REPO / rel):
            assert "kind" not in doc and "apiVersion" not in doc, rel


def _pod_specs():
    for _, o in _objects():
        if o["kind"] in WORKLOADS:
            yield o, o["spec"]["template"]["spec"]


def test_every_image_has_an_explicit_tag():
    images = [c["image"] for _, spec in _pod_specs()
              for c in spec.get("containers", []) + spec.get("initContainers", [])]
    compose = yaml.safe_load((REPO / "infrastructure/compute-node/docker-compose.yml").read_text())
    images += [s["image"] for s in compose["services"].values()]
    assert len(images) >= 12
    for image in images:
        name, _, tag = image.rpartition(":")
        assert name and "/" not in tag and tag not in ("", "latest"), image


def test_workload_selectors_match_their_pod_labels():
    for obj, _ in _pod_specs():
        sel = obj["spec"]["selector"]["matchLabels"]
        labels = obj["spec"]["template"]["metadata"]["labels"]
        assert sel.items() <= labels.items(), obj["metadata"]["name"]


def test_references_between_objects_resolve():
    idx = _index()
    for obj, spec in _pod_specs():
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        pvcs = {t["metadata"]["name"] for t in obj["spec"].get("volumeClaimTemplates", [])}
        vols = {v["name"] for v in spec.get("volumes", [])} | pvcs
        if "serviceAccountName" in spec:
            assert ("ServiceAccount", ns, spec["serviceAccountName"]) in idx, name
        if obj["kind"] == "StatefulSet":
            assert ("Service", ns, obj["spec"]["serviceName"]) in idx, name
        for v in spec.get("volumes", []):
            if "persistentVolumeClaim" in v:
                assert ("PersistentVolumeClaim", ns, v["persistentVolumeClaim"]["claimName"]) in idx, name
            if "configMap" in v:
                assert ("ConfigMap", ns, v["configMap"]["name"]) in idx, name
        for c in spec["containers"]:
            for m in c.get("volumeMounts", []):
                assert m["name"] in vols, (name, m["name"])
            for ref in c.get("envFrom", []):
                assert ("Secret", ns, ref["secretRef"]["name"]) in idx, name
            for e in c.get("env", []):
                if "secretKeyRef" in e.get("valueFrom", {}):
                    key_ref = e["valueFrom"]["secretKeyRef"]
                    secret = idx[("Secret", ns, key_ref["name"])]
                    assert key_ref["key"] in {**secret.get("data", {}), **secret.get("stringData", {})}


def _pods_in(ns: str):
    for obj, spec in _pod_specs():
        if obj["metadata"]["namespace"] == ns:
            yield obj["spec"]["template"]["metadata"]["labels"], spec


def test_services_select_pods_and_ingresses_reach_service_ports():
    idx = _index()
    for (kind, ns, name), obj in idx.items():
        if kind == "Service":
            matches = [spec for labels, spec in _pods_in(ns) if obj["spec"]["selector"].items() <= labels.items()]
            assert matches, f"Service {ns}/{name} selects no pods"
            port_names = {p["name"] for spec in matches for c in spec["containers"] for p in c.get("ports", [])}
            for port in obj["spec"]["ports"]:
                assert not isinstance(port["targetPort"], str) or port["targetPort"] in port_names, name
        if kind == "Ingress":
            for rule in obj["spec"]["rules"]:
                for p in rule["http"]["paths"]:
                    backend = p["backend"]["service"]
                    svc = idx[("Service", ns, backend["name"])]
                    wanted = backend["port"]
                    assert any(sp.get("name") == wanted.get("name") or sp["port"] == wanted.get("number")
                               for sp in svc["spec"]["ports"]), f"Ingress {ns}/{name}"


def test_cluster_issuer_needs_the_cert_manager_crd_that_the_repo_lacks():
    path = K8S / "certificates" / "cluster-issuer.yaml"
    assert {o["kind"] for o in _docs(path)} == {"ClusterIssuer"}
    assert "CRD" in path.read_text()
    assert not [o for _, o in _objects() if o["kind"] == "CustomResourceDefinition"]


def test_exactly_one_folder_already_has_a_kustomization_and_it_lists_its_manifests():
    found = list(REPO.rglob("kustomization.yaml"))
    assert [p.parent.name for p in found] == ["monitoring"]
    listed = set(yaml.safe_load(found[0].read_text())["resources"])
    assert listed == {p.name for p in found[0].parent.glob("*.yaml")} - {"kustomization.yaml"}


def test_kubectl_kustomize_builds_the_existing_kustomization():
    res = _kubectl("kustomize", str(K8S / "monitoring"))
    assert res.returncode == 0, res.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(res.stdout)]
    assert {"Deployment", "DaemonSet", "ConfigMap", "Secret", "Service"} <= set(kinds)


def test_kubectl_kustomize_accepts_every_manifest(tmp_path):
    """kustomize parses each object into its resource model: a stand-in for client validation."""
    shutil.copytree(REPO, tmp_path / "repo")
    root = tmp_path / "repo"
    (root / "infrastructure/kubernetes/monitoring/kustomization.yaml").unlink()
    manifests = sorted({str(p.relative_to(REPO)) for p, _ in _objects()})
    (root / "kustomization.yaml").write_text(yaml.safe_dump({"resources": manifests}))
    res = _kubectl("kustomize", str(root))
    assert res.returncode == 0, res.stderr
    assert len([d for d in yaml.safe_load_all(res.stdout) if d]) == len(_objects())


def _plaintext_secrets() -> list[tuple[Path, dict]]:
    return [(p, o) for p, o in _objects() if o["kind"] == "Secret"]


def test_demo_has_plaintext_secrets_with_only_fake_values():
    secrets = _plaintext_secrets()
    names = {o["metadata"]["name"] for _, o in secrets}
    assert {"postgres-credentials", "grafana-admin", "n8n-auth"} <= names
    assert any("data" in o for _, o in secrets) and any("stringData" in o for _, o in secrets)
    for path, obj in secrets:
        values = dict(obj.get("stringData", {}))
        values |= {k: base64.b64decode(v).decode() for k, v in obj.get("data", {}).items()}
        assert any(DEMO_SECRET_MARKER in v for v in values.values()), path
        for key, value in values.items():
            if re.search("pass|key|token|secret", key, re.I):
                assert DEMO_SECRET_MARKER in value, (path, key)


def test_repo_still_applies_by_hand_in_scripts_makefile_and_ci():
    for rel in ["scripts/deploy.sh", "Makefile", ".github/workflows/deploy.yml"]:
        assert "kubectl apply" in (REPO / rel).read_text(), rel
    assert "\napply:" in (REPO / "Makefile").read_text()
    assert os.access(REPO / "scripts/deploy.sh", os.X_OK)
