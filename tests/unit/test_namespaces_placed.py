"""Issue 21: objects without metadata.namespace get the one they live in; cluster-scoped kinds never get
one; an unknown kind is asked; namespaces made by hand are offered; objects the API server refuses are
found offline and asked about; every such question is declared, with its file:line."""
from __future__ import annotations

from types import SimpleNamespace

import yaml

from wizard.checklist import Question
from wizard.repo.layout_model import Layout, Unit
from wizard.repo.namespaces import Facts, made_by_hand, place
from wizard.repo.rejects import ask, find_rejected
from wizard.repo.scan import Manifest
from wizard.repo.yamledit import apply_transform


def manifest(kind: str, name: str, ns: str = "", api: str = "v1", path: str = "app/x.yaml", index: int = 0,
             **body) -> Manifest:
    md = {"name": name, **({"namespace": ns} if ns else {})}
    return Manifest(path, 1 + 10 * index, api, kind, name, ns, {"apiVersion": api, "kind": kind, "metadata": md,
                                                               **body}, index)


def placed(objs: list[Manifest], facts: Facts | None = None, answers: dict | None = None):
    u = Unit("app", ["app/x.yaml"], objs)
    msgs = {"needs": [], "blocks": []}
    p = place([u], [], facts or Facts(), answers or {}, msgs)
    return p, u, msgs


def test_an_object_without_namespace_gets_the_context_namespace():
    p, u, msgs = placed([manifest("ConfigMap", "nginx-http-cm")], Facts(default_ns="apps", default_why="context"))
    assert [m.namespace for m in u.manifests] == ["apps"]
    assert [(h.manifest.name, h.namespace) for h in p.homeless] == [("nginx-http-cm", "apps")]
    assert msgs["needs"] == []


def test_the_cluster_says_where_it_lives_now():
    facts = Facts(served={("apps", "Deployment"): ("deployments", True)},
                  lives=lambda resource, group, name: ["media"] if (resource, name) == ("deployments", "plex") else [])
    p, u, _ = placed([manifest("Deployment", "plex", api="apps/v1")], facts)
    assert u.manifests[0].namespace == "media"
    assert p.homeless[0].why == "where the cluster has it now"


def test_cluster_scoped_kinds_never_get_a_namespace():
    objs = [manifest("ClusterRole", "r", api="rbac.authorization.k8s.io/v1"), manifest("Namespace", "apps"),
            manifest("GatewayClass", "gw", api="gateway.networking.k8s.io/v1"),
            manifest("ConstraintTemplate", "t", api="templates.gatekeeper.sh/v1"),
            manifest("K8sRequiredLabels", "must", api="constraints.gatekeeper.sh/v1beta1"),
            manifest("ClusterIssuer", "le", api="cert-manager.io/v1"),
            manifest("PersistentVolume", "pv"), manifest("StorageClass", "sc", api="storage.k8s.io/v1")]
    p, u, msgs = placed(objs)
    assert p.homeless == [] and msgs["needs"] == []
    assert all(m.namespace == "" for m in u.manifests)


def test_the_cluster_discovery_wins_over_the_table():
    # A (made-up) cluster where ConfigMaps were cluster-scoped: what the cluster says is what counts.
    facts = Facts(served={("", "ConfigMap"): ("configmaps", False)})
    p, _, _ = placed([manifest("ConfigMap", "c")], facts)
    assert p.homeless == []


def test_an_unknown_kind_is_asked_not_guessed():
    p, u, msgs = placed([manifest("Widget", "w", api="example.com/v1")])
    assert [q.key for q in msgs["needs"]] == ["scope.Widget.example.com"]
    q = msgs["needs"][0]
    assert q.choices[0][0] == "namespaced" and q.where == "app/x.yaml:1"
    p, u, msgs = placed([manifest("Widget", "w", api="example.com/v1")],
                        answers={"scope.Widget.example.com": "namespaced"})
    assert msgs["needs"] == [] and u.manifests[0].namespace == "default"


def test_a_crd_in_the_repo_says_its_scope():
    crd = manifest("CustomResourceDefinition", "widgets.example.com", api="apiextensions.k8s.io/v1",
                   spec={"group": "example.com", "names": {"kind": "Widget"}, "scope": "Cluster"})
    u = Unit("app", [], [manifest("Widget", "w", api="example.com/v1")])
    msgs = {"needs": [], "blocks": []}
    p = place([u], [crd], Facts(), {}, msgs)
    assert msgs["needs"] == [] and p.homeless == []


def _layout(units) -> Layout:
    return Layout("a", "homelab", units, [], set())


def test_a_namespace_made_by_hand_is_offered_and_asked_where_the_cluster_lacks_it():
    objs = [manifest("ConfigMap", "a", ns="apps"), manifest("Deployment", "b", ns="apps", api="apps/v1", index=1)]
    lay = _layout([Unit("app", ["app/x.yaml"], objs)])
    p, _, _ = placed([])
    made_by_hand(lay, p, Facts(), {})  # offline: offered in the preview, not asked
    assert lay.needs == [] and "the namespace apps is used by ConfigMap a (app/x.yaml:1), Deployment b" in p.notes[0]
    lay = _layout([Unit("app", ["app/x.yaml"], objs)])
    made_by_hand(lay, p, Facts(existing={"default", "kube-system"}), {})
    assert [(q.key, q.choices[0][0], q.default) for q in lay.needs] == [("create-namespace.apps", "write", "write")]
    lay = _layout([Unit("app", ["app/x.yaml"], objs)])
    made_by_hand(lay, p, Facts(existing=set()), {"create-namespace.apps": "write"})
    assert lay.needs == [] and [k.name for k in p.namespace_keys()] == ["apps"]


def test_a_secret_whose_data_is_not_base64_is_found_offline_with_its_file_and_line():
    bad = manifest("Secret", "db", ns="apps", path="app/secret.yaml", data={"password": "CHANGEME!"})
    good = manifest("Secret", "ok", ns="apps", path="app/ok.yaml", data={"password": "aGVsbG8="})
    sealed = manifest("Secret", "enc", ns="apps", path="app/enc.yaml", data={"password": "ENC[AES256_GCM,data:x]"},
                      sops={"mac": "x"})
    cm = manifest("ConfigMap", "cfg", ns="apps", path="app/cm.yaml", data={"enabled": True, "name": "x"})
    lay = _layout([Unit("app", [], [bad, good, sealed, cm])])
    found = find_rejected(lay, lambda k: k)
    assert [(r.ref, r.field, r.keys) for r in found] == [("Secret/apps/db", "data", ["password"]),
                                                          ("ConfigMap/apps/cfg", "data", ["enabled"])]
    ask(lay, found, {})
    q = lay.needs[0]
    assert q.key == "reject.Secret/apps/db" and [c[0] for c in q.choices] == ["exclude", "fix"]
    assert q.where == "app/secret.yaml:1" and "your own apply never created it either" in q.prompt
    assert "app/secret.yaml:1" in lay.blocks[0] and "not base64" in lay.blocks[0]


def test_set_namespace_keeps_comments_and_touches_only_that_object():
    text = ("# the web app\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a  # keep me\ndata:\n  k: v\n"
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n")
    out = apply_transform(text, "set-namespace", {"index": 1, "kind": "ConfigMap", "name": "b", "namespace": "apps"})
    assert out.startswith("# the web app\n---\n") and "name: a  # keep me" in out
    docs = list(yaml.safe_load_all(out))
    assert [d["metadata"].get("namespace") for d in docs] == [None, "apps"]


def test_a_refused_secret_is_fixed_by_moving_its_value_to_string_data():
    text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: CHANGEME!  # placeholder\n"
    out = apply_transform(text, "data-to-stringdata", {"index": 0, "kind": "Secret", "name": "db",
                                                        "keys": ["password"]})
    assert yaml.safe_load(out)["stringData"] == {"password": "CHANGEME!"} and "data" not in yaml.safe_load(out)
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  enabled: true\n  port: 5432\n"
    out = apply_transform(cm, "quote-values", {"index": 0, "kind": "ConfigMap", "name": "c", "field": "data",
                                               "keys": ["enabled", "port"]})
    assert yaml.safe_load(out)["data"] == {"enabled": "true", "port": "5432"}


def test_a_question_prints_as_json_with_its_file_and_line():
    q = Question("reject.Secret/apps/db", "leave it out?", [("exclude", "leave it out"), ("fix", "fix it")],
                 where="app/secret.yaml:4")
    assert q.as_json() == {"key": "reject.Secret/apps/db", "prompt": "leave it out?", "default": None,
                           "where": "app/secret.yaml:4", "optional": False, "conditional": False,
                           "choices": [{"value": "exclude", "label": "leave it out"}, {"value": "fix", "label": "fix it"}]}


def test_a_question_asked_only_after_another_answer_says_so_in_json():
    q = Question("adopt-why.ConfigMap/a/b", "Why it stays outside git", when=lambda a: a.get("adopt.ConfigMap/a/b") == "leave")
    assert q.as_json()["conditional"] is True


def test_the_inventory_matches_a_namespaceless_manifest_to_where_the_cluster_has_it():
    """Applied with -n apps: 1.3 says "in repo", and 2.0 does not offer it for adoption as "only in cluster"."""
    from wizard.cluster.inventory import build_inventory
    from wizard.cluster.listing import Listing
    from wizard.repo.scan import ScanResult

    live = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nginx-http-cm", "namespace": "apps"}}
    rows = build_inventory(Listing(objects=[live]), ScanResult(manifests=[manifest("ConfigMap", "nginx-http-cm")]))
    assert [(str(r.key), r.status) for r in rows] == [("ConfigMap apps/nginx-http-cm", "in repo")]


def test_an_object_the_api_server_refuses_as_invalid_is_asked_with_leave_out_only():
    from wizard.phases.repo.cluster_facts import _INVALID
    from wizard.repo import rejects as rj


    line = ('Error from server (Invalid): error when creating "STDIN": Deployment.apps "chartdb" is invalid: '
            'spec.template.spec.containers[0].resources.requests: Invalid value: "250m": must be less than or equal '
            'to cpu limit of 200m')
    m = _INVALID.search(line)
    assert (m.group(1), m.group(2)) == ("Deployment", "chartdb") and "cpu limit" in m.group(3)
    alone = _INVALID.search('The Deployment "chartdb" is invalid: spec.replicas: Invalid value: -1')  # one object refused
    assert (alone.group(1), alone.group(2)) == ("Deployment", "chartdb")
    dep = Manifest("apps/chartdb/deploy.yaml", 3, "apps/v1", "Deployment", "chartdb", "apps",
                   {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "chartdb"}})
    unit = SimpleNamespace(objects=[dep], tree=False)
    layout = SimpleNamespace(units=[unit], needs=[], blocks=[])
    found = rj.server_rejected(layout, lambda k: k, {("Deployment", "", "chartdb"): (m.group(3), None)}, [])
    assert [r.ref for r in found] == ["Deployment/apps/chartdb"] and not found[0].fixable
    rj.ask(layout, found, {})
    q = layout.needs[0]
    assert q.key == "reject.Deployment/apps/chartdb" and [v for v, _ in q.choices] == ["exclude"]
    assert q.where == "apps/chartdb/deploy.yaml:3" and "cpu limit" in layout.blocks[0]


def test_a_typed_patch_refusal_goes_to_the_object_in_its_namespace_not_a_namesake():
    """Issue 21 (lisenet): two Deployments named grafana; the repeated port was in istio-system's."""
    from wizard.repo import rejects as rj
    from wizard.repo.ssa_repair import parse_typed_patch_error

    line = ('Error from server: failed to create typed patch object (istio-system/grafana; apps/v1, Kind=Deployment): '
            '.spec.template.spec.containers[name="grafana"].ports: duplicate entries for key [containerPort=3000,protocol="TCP"]')
    kind, name, fix = parse_typed_patch_error(line)

    def dep(path, ns):
        return Manifest(path, 1, "apps/v1", "Deployment", "grafana", ns,
                        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "grafana", "namespace": ns}})

    unit = SimpleNamespace(objects=[dep("grafana/deploy.yml", "monitoring"), dep("istio/grafana.yml", "istio-system")],
                           tree=False)
    layout = SimpleNamespace(units=[unit], needs=[], blocks=[])
    found = rj.server_rejected(layout, lambda k: k, {(kind, fix["namespace"], name): (fix["why"], fix)}, [])
    assert [r.manifest.path for r in found] == ["istio/grafana.yml"] and found[0].repair["op"] == "dedupe"
    rj.ask(layout, found, {})
    assert [v for v, _ in layout.needs[0].choices] == ["fix", "exclude"]


def test_a_pod_mounting_a_claim_defined_nowhere_is_asked_before_flux_waits_on_it_for_ever():
    """Issue 21 (shaman007): mysql/migrate.yaml's Pod mounts mysql-pv-claim, which no file and no cluster has; the
    owner's stayed Pending, and Flux's health check failed infra-controllers at 3.4."""
    from wizard.repo import rejects as rj

    def doc(kind, name, **spec):
        return Manifest(f"mysql/{name}.yaml", 1, "v1", kind, name, "db",
                        {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "db"}, "spec": spec})

    pod = doc("Pod", "migrate", volumes=[{"name": "a", "persistentVolumeClaim": {"claimName": "mysql-pv-claim"}},
                                         {"name": "b", "persistentVolumeClaim": {"claimName": "mysql-lh"}}])
    pvc = doc("PersistentVolumeClaim", "mysql-lh")
    layout = SimpleNamespace(units=[SimpleNamespace(objects=[pod, pvc], tree=False)], needs=[], blocks=[])
    found = rj.dangling_claims(layout, lambda k: k, set())
    assert [(r.ref, r.keys) for r in found] == [("Pod/db/migrate", ["mysql-pv-claim"])]
    assert rj.dangling_claims(layout, lambda k: k, {("db", "mysql-pv-claim")}) == []
    rj.ask(layout, found, {})
    assert layout.needs[0].key == "reject.Pod/db/migrate" and [v for v, _ in layout.needs[0].choices] == ["exclude"]
    assert "mysql-pv-claim" in layout.needs[0].prompt and layout.needs[0].where == "mysql/migrate.yaml:1"
