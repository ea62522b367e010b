"""Phase 4 parsing of Flux status fields (flux-anchors §C), without a cluster."""
from __future__ import annotations

from wizard.flux.status import ObjState, parse_inventory_id, revision_hash
from wizard.phases.validate import _owned_by_flux, kubectl_only
from wizard.repo.scan import ObjectKey


def test_inventory_ids():
    assert parse_inventory_id("default_podinfo__Service") == ObjectKey("", "Service", "default", "podinfo")
    assert parse_inventory_id("homelab_web_apps_Deployment") == ObjectKey("apps", "Deployment", "homelab", "web")
    assert parse_inventory_id("_homelab__Namespace") == ObjectKey("", "Namespace", "", "homelab")
    assert parse_inventory_id("_system__controller_rbac.authorization.k8s.io_ClusterRole") == \
        ObjectKey("rbac.authorization.k8s.io", "ClusterRole", "", "system:controller")
    assert parse_inventory_id("flux-system_my_app_kustomize.toolkit.fluxcd.io_Kustomization").name == "my_app"


def test_revision_hashes():
    h = "a" * 40
    assert revision_hash(f"main@sha1:{h}") == h
    assert revision_hash(f"refs/heads/main@sha1:{h}") == h
    assert revision_hash(f"sha1:{h}") == h
    assert revision_hash(None) is None


def test_obj_state_reports_reason_and_suspension():
    ks = {"kind": "Kustomization", "metadata": {"namespace": "flux-system", "name": "apps", "generation": 2},
          "spec": {"suspend": True},
          "status": {"observedGeneration": 1, "lastAppliedRevision": "main@sha1:abc",
                     "conditions": [{"type": "Ready", "status": "False", "reason": "HealthCheckFailed",
                                     "message": "timeout waiting for: [Deployment/x/y status: 'InProgress']"}]}}
    st = ObjState.of(ks)
    assert (st.ready, st.suspended, st.current, st.reason) == (False, True, False, "HealthCheckFailed")
    assert "suspended" in st.line()


def test_field_managers():
    cm = {"metadata": {"managedFields": [{"manager": "kubectl-client-side-apply"}, {"manager": "kubectl-edit"}]}}
    assert kubectl_only(cm)
    cm["metadata"]["managedFields"].append({"manager": "kustomize-controller",
                                            "fieldsV1": {"f:data": {"f:maxmemory": {}}}})
    assert not kubectl_only(cm)
    assert _owned_by_flux(cm, ["data", "maxmemory"]) and not _owned_by_flux(cm, ["data", "other"])
    assert not _owned_by_flux(cm, ["labels", "app"])
