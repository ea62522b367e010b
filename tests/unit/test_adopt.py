"""2.0 repo.adopt's core (wizard/cluster/adopt.py): which objects are offered, the per-object
questions, the decisions they give, the cleaned manifest and where it goes."""
from __future__ import annotations

from wizard.cluster import adopt as ad
from wizard.cluster.inventory import InventoryRow
from wizard.repo.layout_model import Unit
from wizard.repo.scan import Manifest, ObjectKey


def obj(kind, name, ns="homelab", api="v1", **extra):
    md = {"name": name, "uid": "u-1", "resourceVersion": "7", "creationTimestamp": "2026-01-01T00:00:00Z",
          "managedFields": [{"manager": "kubectl-create", "operation": "Update"}]}
    if ns:
        md["namespace"] = ns
    md.update(extra.pop("metadata", {}))
    return {"apiVersion": api, "kind": kind, "metadata": md, **extra}


def key(o):
    g = o["apiVersion"].split("/")[0] if "/" in o["apiVersion"] else ""
    return ObjectKey(g, o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])


def test_only_objects_nobody_else_makes_are_offered():
    cm = obj("ConfigMap", "settings", data={"a": "1"})
    helm = obj("ConfigMap", "chart-cm", metadata={"annotations": {"meta.helm.sh/release-name": "demo"}})
    owned = obj("ConfigMap", "child", metadata={"ownerReferences": [{"kind": "Foo", "name": "x", "controller": True}]})
    in_repo = obj("ConfigMap", "tracked")
    live = {key(o): o for o in (cm, helm, owned, in_repo)}
    rows = [InventoryRow(key(cm), "only in cluster", []), InventoryRow(key(helm), "only in cluster", []),
            InventoryRow(key(owned), "only in cluster", []), InventoryRow(key(in_repo), "in repo", ["a.yaml:1"])]
    cands, skipped = ad.candidates(rows, live)
    assert [c.ref for c in cands] == ["ConfigMap/homelab/settings"]
    assert "Helm release homelab/demo" in skipped["ConfigMap homelab/chart-cm"]
    assert "made by its controller" in skipped["ConfigMap homelab/child"]


def test_each_object_is_a_question_and_leave_needs_a_reason():
    c = ad.Candidate(key(obj("ConfigMap", "settings")), obj("ConfigMap", "settings"))
    qs = {q.key: q for q in ad.questions([c])}
    assert set(qs) == {"adopt.ConfigMap/homelab/settings", "adopt-why.ConfigMap/homelab/settings"}
    assert [v for v, _ in qs["adopt.ConfigMap/homelab/settings"].choices] == ["adopt", "leave", "later"]
    why = qs["adopt-why.ConfigMap/homelab/settings"]
    assert not why.applies({"adopt.ConfigMap/homelab/settings": "adopt"})
    assert why.applies({"adopt.ConfigMap/homelab/settings": "leave"})

    by, open_qs = ad.decisions([c], {})
    assert [q.key for q in open_qs] == ["adopt.ConfigMap/homelab/settings", "adopt-why.ConfigMap/homelab/settings"]
    by, open_qs = ad.decisions([c], {"adopt.ConfigMap/homelab/settings": "leave"})
    assert [q.key for q in open_qs] == ["adopt-why.ConfigMap/homelab/settings"]
    answers = {"adopt.ConfigMap/homelab/settings": "leave", "adopt-why.ConfigMap/homelab/settings": "made by hand, on purpose"}
    by, open_qs = ad.decisions([c], answers)
    assert open_qs == [] and by["leave"] == [c]
    assert ad.left_to_cluster(answers) == {"ConfigMap/homelab/settings": "made by hand, on purpose"}


def test_the_manifest_has_no_server_set_fields_and_no_last_applied():
    o = obj("ConfigMap", "settings", data={"a": "1"}, status={"x": 1},
            metadata={"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}})
    from wizard.cluster.clean import clean  # what 2.0 writes: the backup's cleaning, nothing more

    m = clean(o)
    assert m == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "homelab"},
                 "data": {"a": "1"}}
    assert "uid" in o["metadata"]  # the live object is not changed


def _unit(path, manifests, kustomization=None):
    return Unit(path, [m.path for m in manifests], manifests, kustomization=kustomization)


def test_it_goes_where_its_namespace_lives_else_under_adopted():
    web = Manifest("apps/web/deploy.yaml", 1, "apps/v1", "Deployment", "web", "homelab", {})
    other = Manifest("infra/dns/cm.yaml", 1, "v1", "ConfigMap", "dns", "dns", {})
    units = [_unit("apps/web", [web], "apps/web/kustomization.yaml"), _unit("infra/dns", [other])]
    c = ad.Candidate(key(obj("ConfigMap", "settings")), {})
    assert ad.folder_for(c, units) == ("apps/web", "apps/web/kustomization.yaml")
    ns = ad.Candidate(ObjectKey("", "Namespace", "", "dns"), {})
    assert ad.folder_for(ns, units) == ("infra/dns", None)
    lonely = ad.Candidate(key(obj("ConfigMap", "x", ns="media")), {})
    assert ad.folder_for(lonely, units) == ("adopted/media", None)
    cluster_scoped = ad.Candidate(ObjectKey("rbac.authorization.k8s.io", "ClusterRole", "", "reader"), {})
    assert ad.folder_for(cluster_scoped, units) == ("adopted/cluster-scoped", None)
    taken = {"configmap-settings.yaml"}
    assert ad.file_name(c, taken) == "configmap-settings-2.yaml"


def test_add_resource_lists_the_new_file_once_and_keeps_comments():
    from wizard.repo.yamledit import apply_transform

    text = "# mine\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deploy.yaml  # web\n"
    out = apply_transform(text, "add-resource", {"name": "configmap-settings.yaml"}, "k.yaml")
    assert out.endswith("  - deploy.yaml  # web\n  - configmap-settings.yaml\n") and out.startswith("# mine\n")
    assert apply_transform(out, "add-resource", {"name": "configmap-settings.yaml"}, "k.yaml") == out


def test_flux_crds_are_bootstraps_not_offered():
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "kustomizations.kustomize.toolkit.fluxcd.io"}}
    assert "flux bootstrap" in ad.made_by_someone_else(crd)
    other = {**crd, "metadata": {"name": "sealedsecrets.bitnami.com"}}
    assert ad.made_by_someone_else(other) is None


def test_a_statefulsets_claims_are_its_own_not_offered():
    sts = obj("StatefulSet", "qdrant", ns="databases", api="apps/v1",
              spec={"volumeClaimTemplates": [{"metadata": {"name": "storage"}}]})
    pvc = obj("PersistentVolumeClaim", "storage-qdrant-0", ns="databases")
    other = obj("PersistentVolumeClaim", "storage-qdrant-extra", ns="databases")
    live = {key(o): o for o in (sts, pvc, other)}
    rows = [InventoryRow(key(o), "only in cluster", []) for o in (pvc, other)]
    cands, skipped = ad.candidates(rows, live)
    assert [c.ref for c in cands] == ["PersistentVolumeClaim/databases/storage-qdrant-extra"]
    assert "StatefulSet databases/qdrant" in skipped["PersistentVolumeClaim databases/storage-qdrant-0"]


def test_flux_system_is_flux_and_the_wizards_not_offered():
    s = obj("Secret", "sops-age", ns="flux-system", type="Opaque")
    assert "flux bootstrap and the wizard" in ad.made_by_someone_else(s)
