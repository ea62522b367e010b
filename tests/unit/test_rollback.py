"""Rollback planning logic without a cluster: object selection and order, comparison, prune risk, journal."""
from __future__ import annotations

import json

import yaml

from wizard.cluster.backup import BackupInfo
from wizard.rollback import ACTIONS, action
from wizard.rollback.base import set_pending
from wizard.rollback.fluxctl import choose, is_flux_own, prune_risk, revert_since_suspend
from wizard.rollback.restore import batches, kind_matches, mismatches, select_objects
from wizard.flux.status import parse_inventory_id
from wizard.session import UsageError
from wizard.state import State

import pytest


def backup(tmp_path) -> BackupInfo:
    files = {
        "objects/_cluster/Namespace.core.yaml": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},
                                                 {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}],
        "objects/_cluster/ClusterRole.rbac.authorization.k8s.io.yaml": [
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}],
        "objects/a/Deployment.apps.yaml": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                            "metadata": {"name": "web", "namespace": "a"}}],
        "objects/a/Secret.core.yaml": [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "a"}}],
        "objects/b/ConfigMap.core.yaml": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "b"}}],
        "flux-owned/a/ConfigMap.core.yaml": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f", "namespace": "a"}}],
    }
    entries = []
    for rel, docs in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(yaml.safe_dump_all(docs))
        entries.append({"path": rel, "count": len(docs)})
    index = {"complete": True, "files": entries, "objects": 6}
    (tmp_path / "index.json").write_text(json.dumps(index))
    return BackupInfo(tmp_path, index)


def names(objs):
    return [f"{o['kind']}/{o['metadata']['name']}" for o in objs]


def test_select_everything_in_reapply_order_without_flux_owned(tmp_path):
    objs = select_objects(backup(tmp_path), [], [])
    # CRDs, Namespaces, …, Secrets, ConfigMaps, …, then everything else (sorted by group, kind, namespace, name).
    assert names(objs) == ["Namespace/a", "Namespace/b", "Secret/s", "ConfigMap/c", "Deployment/web", "ClusterRole/r"]
    assert "ConfigMap/f" not in names(objs)  # Flux-owned objects are Flux's to restore


def test_select_by_namespace_keeps_its_namespace_object_only(tmp_path):
    assert names(select_objects(backup(tmp_path), ["a"], [])) == ["Namespace/a", "Secret/s", "Deployment/web"]


def test_select_by_kind_accepts_kind_group_and_plural(tmp_path):
    info = backup(tmp_path)
    assert names(select_objects(info, [], ["deployment"])) == ["Deployment/web"]
    assert names(select_objects(info, [], ["Deployment.apps"])) == ["Deployment/web"]
    assert names(select_objects(info, ["b"], ["configmaps"])) == ["ConfigMap/c"]
    assert kind_matches("Deployment", "apps", []) and not kind_matches("Deployment", "apps", ["Service"])


def test_batches_follow_apply_rank():
    objs = [{"kind": "Namespace"}, {"kind": "Namespace"}, {"kind": "Secret"}, {"kind": "Deployment"}, {"kind": "Service"}]
    assert [[o["kind"] for o in b] for b in batches(objs)] == [["Namespace", "Namespace"], ["Secret"], ["Deployment", "Service"]]


def test_mismatches_allow_server_defaults_and_name_paths_not_values():
    want = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1"}},
            "data": {"k": "v"}, "spec": {"ports": [{"port": 80}]}}
    have = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "uid": "x", "labels": {"a": "1"}},
            "data": {"k": "v"}, "spec": {"ports": [{"port": 80, "protocol": "TCP"}]}, "status": {}}
    assert mismatches(want, have) == []
    have["data"]["k"] = "secret-value"
    assert mismatches(want, have) == ["data.k"]


def ks(name, prune=True, suspend=False, inv=(), ns="flux-system"):
    return {"metadata": {"name": name, "namespace": ns}, "spec": {"prune": prune, "suspend": suspend},
            "status": {"inventory": {"entries": [{"id": i, "v": "v1"} for i in inv]}}}


def test_prune_risk_lists_inventories_of_active_prune_enabled_kustomizations():
    kss = [ks("apps", inv=["homelab_web_apps_Deployment", "homelab_web__Service"]),
           ks("paused", suspend=True, inv=["x_y__ConfigMap"]), ks("noprune", prune=False, inv=["x_z__ConfigMap"])]
    assert prune_risk(kss) == {"flux-system/apps": ["Deployment homelab/web", "Service homelab/web"]}


def test_choose_by_name_or_namespace_and_name():
    kss = [ks("apps"), ks("infra"), ks("apps", ns="other")]
    assert len(choose(kss, [])) == 3
    assert len(choose(kss, ["apps"])) == 2
    assert choose(kss, ["other/apps"]) == [kss[2]]
    with pytest.raises(UsageError, match="no Kustomization 'nope'"):
        choose(kss, ["nope"])


def test_flux_own_objects_are_not_counted_as_workloads():
    assert is_flux_own(parse_inventory_id("flux-system_source-controller_apps_Deployment"))
    assert is_flux_own(parse_inventory_id("_crd-controller-flux-system_rbac.authorization.k8s.io_ClusterRole"))
    assert is_flux_own(parse_inventory_id("_kustomizations.kustomize.toolkit.fluxcd.io_apiextensions.k8s.io_CustomResourceDefinition"))
    assert not is_flux_own(parse_inventory_id("homelab_web_apps_Deployment"))


class FakeSession:
    def __init__(self):
        self.state = State(repo="/r")


def test_resume_guard_after_revert_and_pending_items():
    s = FakeSession()
    assert not revert_since_suspend(s)
    s.state.record("rollback-suspend", phase="done")
    s.state.record("rollback-revert", phase="done")
    assert revert_since_suspend(s)
    s.state.record("rollback-resume", phase="done")
    assert not revert_since_suspend(s)
    s.state.item("repo.apps").status = "passed"
    assert set_pending(s, ["repo.apps", "repo.cluster-dir"], "revert") == ["repo.apps"]
    assert s.state.item("repo.apps").status == "pending" and "rollback" in s.state.item("repo.apps").message


def test_actions_and_aliases():
    assert list(ACTIONS) == ["restore", "revert", "discard", "suspend", "resume", "stop-gitops"]
    assert action("uninstall").name == "stop-gitops" and action("unstage").name == "discard"
    assert ACTIONS["stop-gitops"].destructive and ACTIONS["revert"].destructive and ACTIONS["discard"].destructive
    assert not ACTIONS["suspend"].destructive
    with pytest.raises(UsageError, match="no rollback action"):
        action("explode")
