"""Phase 4 parsing of Flux status fields (flux-anchors §C), without a cluster."""
from __future__ import annotations

from wizard.flux.status import ObjState, parse_inventory_id, revision_hash
from wizard.phases.validate.deployed import kubectl_only
from wizard.phases.validate.drift_target import _owned_by_flux
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


HEAD = "c" * 40


def _ks(reason, status="False", handled=None, attempted=HEAD, extra_conditions=(), gen=1):
    st = {"observedGeneration": gen, "lastAttemptedRevision": f"main@sha1:{attempted}",
          "conditions": [{"type": "Ready", "status": status, "reason": reason, "message": f"{reason} happened"},
                         *extra_conditions]}
    if handled:
        st["lastHandledReconcileAt"] = handled
    return {"kind": "Kustomization", "metadata": {"namespace": "flux-system", "name": "x", "generation": 1},
            "status": st}


def test_settled_failures_are_read_from_conditions_and_status_fields():
    """Issue 16: 4.2 stops waiting once Flux has settled on a failure for the pushed commit."""
    from wizard.flux.status import settled_failure
    assert settled_failure(_ks("BuildFailed"), HEAD, None).startswith("BuildFailed")
    assert settled_failure(_ks("BuildFailed", attempted="d" * 40), HEAD, None) is None  # an older commit
    assert settled_failure(_ks("ReconciliationFailed"), HEAD, None) is None  # not yet our request
    assert settled_failure(_ks("ReconciliationFailed", handled="t1"), HEAD, "t1").startswith("ReconciliationFailed")
    assert settled_failure(_ks("DependencyNotReady", handled="t1"), HEAD, "t1") is None  # a wait, not a verdict
    busy = ({"type": "Reconciling", "status": "True", "reason": "Progressing"},)
    assert settled_failure(_ks("HealthCheckFailed", handled="t1", extra_conditions=busy), HEAD, "t1") is None
    retry = ({"type": "Reconciling", "status": "True", "reason": "ProgressingWithRetry"},)
    assert settled_failure(_ks("BuildFailed", extra_conditions=retry), HEAD, None).startswith("BuildFailed")
    stalled = ({"type": "Stalled", "status": "True", "reason": "InvalidPath", "message": "no such path"},)
    assert settled_failure(_ks("InvalidPath", extra_conditions=stalled), HEAD, None).startswith("Stalled: InvalidPath")
    assert settled_failure(_ks("Succeeded", status="True"), HEAD, "t1") is None


def test_4_2_stops_only_when_nothing_is_still_moving():
    from wizard.phases.validate.reconciled import _settled
    failed = _ks("BuildFailed")
    waiting = {**_ks("DependencyNotReady"), "metadata": {"namespace": "flux-system", "name": "apps", "generation": 1}}
    applying = {**_ks("Progressing"), "metadata": {"namespace": "flux-system", "name": "other", "generation": 1}}
    assert _settled(([], [failed, waiting]), HEAD, {}) == ["Kustomization flux-system/x: BuildFailed: BuildFailed happened"]
    assert _settled(([], [failed, waiting, applying]), HEAD, {}) == []
    assert _settled(([], [waiting]), HEAD, {}) == []


def test_a_reconcile_asked_for_and_not_handled_yet_is_in_progress():
    """S.4 asks Flux to retry the decrypting Kustomizations: until Flux handles the request, their
    old BuildFailed is not a verdict (3.4 and 4.2 must not read it as one)."""
    from wizard.flux.status import in_progress

    ks = _ks("BuildFailed", handled="t1")
    assert not in_progress(ks)
    ks["metadata"]["annotations"] = {"reconcile.fluxcd.io/requestedAt": "t2"}
    assert in_progress(ks)
    ks["status"]["lastHandledReconcileAt"] = "t2"
    assert not in_progress(ks)
