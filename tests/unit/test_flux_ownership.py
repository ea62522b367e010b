"""The ownership preview's comparison (issue 13), on (git, live, dry-run) triples written as dicts.

The dicts follow what the API server returns: managedFields entries with fieldsV1 sets. No cluster here;
tests/e2e/test_ownership_preview.py runs the same comparison against the testbed.
"""
from __future__ import annotations

from wizard.flux.ownership import (FIELD_MANAGER, compare, leaves, prune_findings, show, taken_over, value_at)

GIT = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "home"},
       "data": {"a": "1"}}


def entry(manager, fields, op="Update", sub=None):
    e = {"manager": manager, "operation": op, "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": fields}
    if sub:
        e["subresource"] = sub
    return e


CSA = entry("kubectl-client-side-apply", {"f:data": {".": {}, "f:a": {}}, "f:metadata": {"f:annotations": {
    ".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}}}})
GIT_SET = entry(FIELD_MANAGER, {"f:data": {"f:a": {}}, "f:metadata": {"f:labels": {"f:kustomize.toolkit.fluxcd.io/name": {}}}},
                op="Apply")


def obj(data, managers, **md):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg", "namespace": "home", "managedFields": managers, **md}, "data": data}


def test_fields_v1_leaves_and_values():
    fields = {"f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"web"}': {".": {}, "f:image": {}}}}}},
              "f:metadata": {"f:labels": {".": {}, "f:app": {}}}}
    got = {show(p) for p in leaves(fields)}
    assert got == {"spec.template.spec.containers[name=web].image", "metadata.labels.app"}
    o = {"spec": {"template": {"spec": {"containers": [{"name": "x"}, {"name": "web", "image": "nginx"}]}}}}
    (p,) = [p for p in leaves(fields) if p[0] == "spec"]
    assert value_at(o, p) == "nginx"


def test_the_takeover_rule_is_a_prefix_on_kubectl_and_before_first_apply_without_subresource():
    assert taken_over({"manager": "kubectl-edit", "operation": "Update"})
    assert taken_over({"manager": "kubectl", "operation": "Apply"})
    assert taken_over({"manager": "before-first-apply", "operation": "Update"})
    assert not taken_over({"manager": "before-first-apply", "operation": "Apply"})
    assert not taken_over({"manager": "kubectl-scale", "operation": "Update", "subresource": "scale"})
    assert not taken_over({"manager": "helm", "operation": "Update"})
    assert taken_over({"manager": "ops-script", "operation": "Update"}, override=("ops-",))


def test_nothing_to_say_when_the_cluster_has_what_git_has():
    live = obj({"a": "1"}, [CSA])
    dry = obj({"a": "1"}, [CSA, GIT_SET])
    assert compare(GIT, live, dry) == []
    assert compare(GIT, None, None) == []  # Flux creates it


def test_a_kubectl_edit_is_taken_over_and_undone():
    edit = entry("kubectl-edit", {"f:data": {"f:a": {}, "f:extra": {}}})
    live = obj({"a": "hand-value", "extra": "extra-value"}, [CSA, edit])
    dry = obj({"a": "1", "extra": "extra-value"}, [CSA, edit, GIT_SET])
    (f,) = compare(GIT, live, dry, path="apps")
    assert f.kind == "hand-edit" and f.manager == "kubectl-edit" and f.object == "ConfigMap/home/cfg"
    assert f.fields == ["data.a", "data.extra"] and f.key == "keep-field.ConfigMap/home/cfg"
    assert "1 go back to git's value" in f.why and "1 git does not have are removed" in f.why
    assert "ssa: Merge" in f.fix and "git" in f.fix and f.path == "apps"
    assert "hand-value" not in f.line() + str(f.as_dict()) and "extra-value" not in str(f.as_dict())  # paths only


def test_another_managers_fields_that_git_lacks_stay():
    other = entry("ops-script", {"f:metadata": {"f:annotations": {"f:team": {}}}})
    live = obj({"a": "1"}, [CSA, other], annotations={"team": "blue"})
    dry = obj({"a": "1"}, [CSA, other, GIT_SET], annotations={"team": "blue"})
    (f,) = compare(GIT, live, dry)
    assert f.kind == "stays" and f.fields == ["metadata.annotations.team"]
    assert "--override-manager=ops-script" in f.fix
    # With ssa: Merge no manager is taken over: a kubectl edit stays too.
    merged = {**GIT, "metadata": {**GIT["metadata"], "annotations": {"kustomize.toolkit.fluxcd.io/ssa": "Merge"}}}
    edit = entry("kubectl-edit", {"f:data": {"f:extra": {}}})
    (f,) = compare(merged, obj({"a": "1", "extra": "x"}, [CSA, edit]), obj({"a": "1", "extra": "x"}, [CSA, edit, GIT_SET]))
    assert f.kind == "stays" and "Merge" in f.why


def test_system_managers_and_subresources_are_not_findings():
    status = entry("kube-controller-manager", {"f:status": {"f:replicas": {}}}, sub="status")
    rev = entry("kube-controller-manager", {"f:metadata": {"f:annotations": {"f:deployment.kubernetes.io/revision": {}}}})
    live = obj({"a": "1"}, [CSA, status, rev])
    assert compare(GIT, live, obj({"a": "1"}, [CSA, status, rev, GIT_SET])) == []


def test_a_field_another_manager_set_differently_is_overwritten():
    other = entry("my-operator", {"f:data": {"f:a": {}}})
    (f,) = compare(GIT, obj({"a": "9"}, [other]), obj({"a": "1"}, [GIT_SET]))
    assert f.kind == "overwritten" and f.fields == ["data.a"]


def test_immutable_fields_fail_or_recreate_with_force():
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "home"}}
    err = ('The Deployment "web" is invalid: spec.selector: Invalid value: {"matchLabels":{"app":"x"}}: '
           "field is immutable")
    (f,) = compare(dep, {"metadata": {}}, None, err)
    assert f.kind == "immutable" and f.blocking and "force: enabled" in f.fix
    forced = {**dep, "metadata": {**dep["metadata"], "annotations": {"kustomize.toolkit.fluxcd.io/force": "enabled"}}}
    (f,) = compare(forced, {"metadata": {}}, None, err)
    assert f.kind == "recreate" and not f.blocking and "new UID" in f.why


def test_owned_by_helm_or_another_controller():
    live = obj({"a": "1"}, [CSA], labels={"app.kubernetes.io/managed-by": "Helm"},
               annotations={"meta.helm.sh/release-name": "web", "meta.helm.sh/release-namespace": "home"},
               ownerReferences=[{"kind": "MyApp", "name": "web", "controller": True}])
    got = compare(GIT, live, obj({"a": "1"}, [CSA, GIT_SET]))
    assert [f.kind for f in got] == ["owned", "owned"]
    assert "adopt the Helm release home/web first" in got[0].fix and "MyApp web" in got[1].why


def test_ignored_and_if_not_present_objects_are_left_alone():
    for mode in ("Ignore", "IfNotPresent"):
        doc = {**GIT, "metadata": {**GIT["metadata"], "annotations": {"kustomize.toolkit.fluxcd.io/ssa": mode}}}
        assert compare(doc, obj({"b": "2"}, [entry("x", {"f:data": {"f:b": {}}})]), None, "anything") == []


def test_prune_deletes_what_a_live_kustomization_applied_and_its_path_no_longer_renders():
    ks = {"metadata": {"name": "apps"}, "spec": {"prune": True}, "status": {"inventory": {"entries": [
        {"id": "home_web_apps_Deployment", "v": "v1"}, {"id": "home_old_apps_Deployment", "v": "v1"},
        {"id": "_home__Namespace", "v": "v1"}]}}}
    rendered = [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "home"}},
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "home"}}]
    (f,) = prune_findings(ks, rendered)
    assert f.kind == "prune" and f.object == "Deployment/home/old"
    assert prune_findings({**ks, "spec": {"prune": False}}, rendered) == []


def test_3_0s_summary_says_what_each_count_means():
    """Issue 24 (point 10): 3.0 did not explain its counts."""
    from wizard.flux.ownership import ORDER, Finding
    from wizard.flux.ownership_cluster import Preview
    from wizard.phases.bootstrap.ownership import MEANS, _summary

    assert set(MEANS) == set(ORDER)  # every kind of finding has its words
    pv = Preview(findings=[Finding("owned", "ConfigMap/a/b", "why", "fix"), Finding("stays", "ConfigMap/a/c", "w", "f")],
                 objects=250, existing=146, new=70)
    text = _summary(pv)
    assert "146 that exist" in text and "70 that Flux will create" in text
    assert "1 that Helm or a controller owns (owned)" in text and "which Flux leaves as it is (stays)" in text
