"""Issue 13 part 2: hand-installed Helm releases, decoded from Helm's storage Secrets, and the Flux
objects that adopt them (wizard.cluster.helm_releases, wizard.repo.helm_adopt).

The release Secrets are built here with Helm's own encoding (pkg/storage/driver/util.go
encodeRelease: JSON, gzip, base64; the Secret's data adds the second base64), from a release JSON
shaped like what helm v4.2.4 stores (checked against a real `helm install` on the testbed, see
tests/e2e/test_helm_adoption.py). The kubectl in the find_releases tests is a fake at the process
boundary: it returns the JSON `kubectl get secrets -o json` would.
"""
from __future__ import annotations

import base64
import gzip
import json

import pytest
import yaml

from wizard.cluster import helm_releases as hr
from wizard.redact import default_redactor
from wizard.repo.helm_adopt import flux_objects, split_values
from wizard.session import NeedsAnswers

MANIFEST = """---
# Source: demo/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data: {GREETING: hi}
---
# Source: demo/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec: {}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: web-reader
"""
GH_TOKEN = "ghp_" + "a1B2" * 9


def release_json(name="web", ns="apps", version=1, status="deployed", config=None, manifest=MANIFEST) -> dict:
    return {"name": name, "namespace": ns, "version": version, "apply_method": "ssa",
            "info": {"status": status, "description": "Install complete"},
            "chart": {"metadata": {"name": "demo", "version": "1.2.3", "appVersion": "4.5"},
                      "values": {"greeting": "hello"}, "templates": []},
            "config": config if config is not None else {"greeting": "hi"}, "manifest": manifest}


def storage_secret(rel: dict, *, labels: dict | None = None, compress=True, ns=None) -> dict:
    raw = json.dumps(rel).encode()
    helm_encoded = base64.b64encode(gzip.compress(raw) if compress else raw)
    return {"apiVersion": "v1", "kind": "Secret", "type": hr.RELEASE_TYPE,
            "metadata": {"name": f"sh.helm.release.v1.{rel['name']}.v{rel['version']}", "namespace": ns or rel["namespace"],
                         "labels": {"owner": "helm", "name": rel["name"], "status": rel["info"]["status"],
                                    "version": str(rel["version"]), **(labels or {})}},
            "data": {"release": base64.b64encode(helm_encoded).decode()}}


# ---- decoding -------------------------------------------------------------------------------------
def test_a_storage_secret_decodes_to_the_release_with_its_chart_values_and_objects():
    r = hr.release_from_secret(storage_secret(release_json(config={"greeting": "hi", "auth": {"password": "pw-1234"}})))
    assert (r.name, r.namespace, r.storage_namespace, r.revision, r.status) == ("web", "apps", "apps", 1, "deployed")
    assert (r.chart, r.chart_version, r.app_version, r.apply_method) == ("demo", "1.2.3", "4.5", "ssa")
    assert r.config == {"greeting": "hi", "auth": {"password": "pw-1234"}}
    assert not r.flux_managed and r.problem is None and r.key == "apps/web"
    assert [str(k) for k in r.objects] == ["ConfigMap apps/web-config", "Deployment.apps apps/web",
                                           "ClusterRole.rbac.authorization.k8s.io web-reader"]


def test_the_values_and_the_manifest_are_not_in_a_release_repr():
    r = hr.release_from_secret(storage_secret(release_json(config={"auth": {"password": "pw-1234"}})))
    assert "pw-1234" not in repr(r) and "web-config" not in repr(r)


def test_an_uncompressed_release_from_an_old_helm_decodes_too():
    r = hr.release_from_secret(storage_secret(release_json(), compress=False))
    assert r.chart == "demo"


@pytest.mark.parametrize("data", ["not base64!", base64.b64encode(b"plain text").decode(),
                                  base64.b64encode(base64.b64encode(b"[1, 2]")).decode()])
def test_data_that_is_not_a_helm_release_is_refused_without_quoting_it(data):
    with pytest.raises(hr.UndecodableRelease) as e:
        hr.decode_release(data)
    assert "plain" not in str(e.value) and e.value.__cause__ is None


def test_a_release_rendered_by_helm_controller_counts_as_flux_managed():
    managed = MANIFEST.replace("  name: web\n", "  name: web\n  labels: {helm.toolkit.fluxcd.io/name: web}\n")
    assert hr.release_from_secret(storage_secret(release_json(manifest=managed))).flux_managed


@pytest.mark.parametrize("status,word", [("pending-upgrade", "interrupted"), ("failed", "not deployed")])
def test_a_release_that_is_not_deployed_says_why_it_cannot_be_adopted_and_gets_no_question(status, word):
    r = hr.release_from_secret(storage_secret(release_json(status=status)))
    assert word in r.problem and "apps/web" in r.problem
    assert hr.questions_for([r]) == []
    with pytest.raises(ValueError):
        flux_objects(r, "https://charts.example.org")


# ---- finding them (fake kubectl at the process boundary) ------------------------------------------
class _Result:
    def __init__(self, out):
        self.stdout = json.dumps(out)

    def json(self):
        return json.loads(self.stdout)


class FakeKubectl:
    def __init__(self, items):
        self.items, self.calls = items, []

    def run(self, *args, **kw):
        self.calls.append((args, kw))
        return _Result({"items": self.items})


class FakeSession:
    def __init__(self, items):
        self.kubectl = FakeKubectl(items)
        self.runner = type("R", (), {"redactor": default_redactor()})()


def test_find_releases_takes_each_releases_latest_revision_and_skips_flux_managed_ones_fake_kubectl():
    managed = MANIFEST.replace("  name: web\n", "  name: web\n  labels: {helm.toolkit.fluxcd.io/name: web}\n")
    items = [storage_secret(release_json(version=1, status="superseded")),
             storage_secret(release_json(version=3, config={"db": {"password": "s3cr3t-pw"}})),
             storage_secret(release_json(version=2, status="superseded")),
             storage_secret(release_json(name="flux", manifest=managed)),
             {"type": "Opaque", "metadata": {"name": "x", "namespace": "apps", "labels": {"owner": "helm"}}}]
    s = FakeSession(items)
    found = hr.find_releases(s)
    assert [(r.key, r.revision) for r in found] == [("apps/web", 3)]
    args, kw = s.kubectl.calls[0]
    assert args[:2] == ("get", "secrets,configmaps") and "owner=helm" in args
    # the listing holds values: never in the audit log; the credential is masked from then on
    assert kw["raw_stdout"] is True and kw["log_output"] is False
    assert "s3cr3t-pw" not in s.runner.redactor.redact("error: s3cr3t-pw")
    assert [r.key for r in hr.find_releases(FakeSession(items), include_flux_managed=True)] == ["apps/flux", "apps/web"]


def test_an_unreadable_storage_secret_is_listed_with_a_problem_not_a_crash_fake_kubectl():
    bad = storage_secret(release_json())
    bad["data"]["release"] = "%%%"
    [r] = hr.find_releases(FakeSession([bad]))
    assert r.key == "apps/web" and "unreadable" in r.problem


# ---- questions ----------------------------------------------------------------------------------
def test_each_release_gets_a_choice_and_a_repository_question_asked_only_when_adopting():
    r = hr.release_from_secret(storage_secret(release_json()))
    choice, url, why = hr.questions_for([r])
    assert why.key == "helm-adopt-why.apps/web" and why.applies({choice.key: "leave"})
    assert not why.applies({choice.key: "adopt"})
    assert choice.key == "helm-adopt.apps/web" and [c[0] for c in choice.choices] == ["adopt", "leave", "later"]
    assert choice.default == "later"
    assert url.key == "helm-adopt-repo.apps/web"
    assert not url.applies({choice.key: "leave"}) and url.applies({choice.key: "adopt"})
    for good in ("https://charts.example.org", "http://127.0.0.1:8080", "oci://ghcr.io/org/charts"):
        assert url.validate(good) == good
    with pytest.raises(ValueError, match="chart repository"):
        url.validate("charts.example.org")
    assert hr.choices([r], {choice.key: "adopt"}) == {"apps/web": "adopt"}
    assert hr.choices([r], {}) == {"apps/web": "later"}


def test_adopting_without_the_repository_url_asks_for_it():
    r = hr.release_from_secret(storage_secret(release_json()))
    with pytest.raises(NeedsAnswers) as e:
        hr.repo_url(r, {"helm-adopt.apps/web": "adopt"})
    assert [q.key for q in e.value.questions] == ["helm-adopt-repo.apps/web"]
    assert hr.repo_url(r, {"helm-adopt-repo.apps/web": "https://x.example/charts/"}) == "https://x.example/charts"


# ---- the generator ------------------------------------------------------------------------------
def _merge(base: dict, over: dict) -> dict:
    """helm-controller's values merge: valuesFrom first, inline values over them, maps deep-merged."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


CONFIG = {"greeting": "hi", "replicaCount": 2,
          "auth": {"password": "hunter2-pw", "user": "admin", "existingSecret": "web-auth"},
          "env": [{"name": "API_TOKEN", "value": "x"}, {"name": "GITHUB", "value": GH_TOKEN}],
          "notes": GH_TOKEN, "db": {"postgres": {"password": "pg-pass-77"}}}


def test_values_are_split_so_that_the_merge_gives_back_the_release_values():
    s = split_values(CONFIG)
    assert s.paths == ["auth.password", "env", "notes", "db.postgres.password"]
    assert s.plain == {"greeting": "hi", "replicaCount": 2, "auth": {"user": "admin", "existingSecret": "web-auth"}}
    assert _merge(s.secret, s.plain) == CONFIG
    assert "hunter2-pw" not in repr(s)


def test_the_helm_release_names_the_release_exactly_and_carries_no_credential_in_plaintext():
    r = hr.release_from_secret(storage_secret(release_json(config=CONFIG)))
    a = flux_objects(r, "https://charts.example.org/stable/")
    assert a.folder == "apps/web" and a.secret_plaintext
    assert set(a.files) == {"apps/web/helm-release.yaml", "apps/web/helm-repository-example.yaml",
                            "apps/web/web-helm-values.yaml"}
    assert a.resources == ["helm-release.yaml", "helm-repository-example.yaml", "web-helm-values.yaml"]
    doc = yaml.safe_load(a.files["apps/web/helm-release.yaml"])
    spec = doc["spec"]
    assert doc["metadata"] == {"name": "web", "namespace": "apps"}
    assert (spec["releaseName"], spec["targetNamespace"], spec["storageNamespace"]) == ("web", "apps", "apps")
    assert spec["chart"]["spec"]["chart"] == "demo" and spec["chart"]["spec"]["version"] == "1.2.3"
    assert spec["chart"]["spec"]["sourceRef"] == {"kind": "HelmRepository", "name": "example", "namespace": "flux-system"}
    assert spec["valuesFrom"] == [{"kind": "Secret", "name": "web-helm-values", "valuesKey": "values.yaml"}]
    for secret in ("hunter2-pw", "pg-pass-77", GH_TOKEN):
        assert all(secret not in text for p, text in a.files.items() if p != a.secret_file), secret
        assert secret not in " ".join(a.notes)
    values_secret = yaml.safe_load(a.files[a.secret_file])
    assert values_secret["kind"] == "Secret" and values_secret["metadata"]["namespace"] == "apps"
    assert _merge(yaml.safe_load(values_secret["stringData"]["values.yaml"]), spec["values"]) == CONFIG
    repo = yaml.safe_load(a.files["apps/web/helm-repository-example.yaml"])
    assert repo["spec"]["url"] == "https://charts.example.org/stable"


def test_seal_converts_the_values_secret_before_it_is_written():
    r = hr.release_from_secret(storage_secret(release_json(config=CONFIG)))
    seen = []

    def seal(path, text):
        seen.append(path)
        return "ENCRYPTED\n"

    a = flux_objects(r, "https://charts.example.org", folder="infra/web/", seal=seal)
    assert seen == ["infra/web/web-helm-values.yaml"] and a.files[a.secret_file] == "ENCRYPTED\n"
    assert not a.secret_plaintext


def test_values_without_credentials_need_no_secret_and_an_ip_repository_gets_a_chart_name():
    r = hr.release_from_secret(storage_secret(release_json(config={})))
    a = flux_objects(r, "http://127.0.0.1:8080", source_folder="infrastructure/sources", source_namespace="apps")
    assert a.secret_file is None and a.notes == [] and a.resources == ["helm-release.yaml"]
    spec = yaml.safe_load(a.files["apps/web/helm-release.yaml"])["spec"]
    assert "values" not in spec and "valuesFrom" not in spec
    assert spec["chart"]["spec"]["sourceRef"] == {"kind": "HelmRepository", "name": "demo-charts", "namespace": "apps"}
    assert "infrastructure/sources/helm-repository-demo-charts.yaml" in a.files


def test_an_oci_chart_gets_an_oci_repository_at_the_installed_version_and_a_chart_ref():
    r = hr.release_from_secret(storage_secret(release_json()))
    a = flux_objects(r, "oci://ghcr.io/org/charts")
    src = yaml.safe_load(a.files["apps/web/oci-repository-demo.yaml"])
    assert src["kind"] == "OCIRepository" and src["spec"]["url"] == "oci://ghcr.io/org/charts/demo"
    assert src["spec"]["ref"] == {"tag": "1.2.3"}
    spec = yaml.safe_load(a.files["apps/web/helm-release.yaml"])["spec"]
    assert spec["chartRef"] == {"kind": "OCIRepository", "name": "demo", "namespace": "flux-system"}
    assert "chart" not in spec


def test_the_sources_pass_the_flux_crd_schemas_and_the_release_the_scaffold_check():
    from wizard.repo.helm import release_problems
    from wizard.repo.schema import validate_schema

    r = hr.release_from_secret(storage_secret(release_json(config=CONFIG)))
    for url, source_file in (("https://charts.example.org", "helm-repository-example.yaml"),
                             ("oci://ghcr.io/org/charts", "oci-repository-demo.yaml")):
        a = flux_objects(r, url)
        assert validate_schema(yaml.safe_load(a.files[f"apps/web/{source_file}"])) == []
    a = flux_objects(r, "https://charts.example.org")
    assert release_problems(yaml.safe_load(a.files["apps/web/helm-release.yaml"])) == []


def test_a_release_kept_in_configmaps_is_found_but_not_offered_helm_controller_reads_secrets_only_fake_kubectl():
    rel = release_json(name="old")
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "old.v1", "namespace": "apps",
                       "labels": {"owner": "helm", "name": "old", "status": "deployed", "version": "1"}},
          "data": {"release": base64.b64encode(gzip.compress(json.dumps(rel).encode())).decode()}}
    [r] = hr.find_releases(FakeSession([cm]))
    assert (r.key, r.storage, r.chart) == ("apps/old", "ConfigMap", "demo")
    assert "Secrets" in r.problem and hr.questions_for([r]) == []


def test_decisions_group_the_releases_and_name_what_is_still_open():
    web = hr.release_from_secret(storage_secret(release_json()))
    db = hr.release_from_secret(storage_secret(release_json(name="db")))
    cache = hr.release_from_secret(storage_secret(release_json(name="cache")))
    stuck = hr.release_from_secret(storage_secret(release_json(name="stuck", status="pending-install")))
    rels = [web, db, cache, stuck]
    by, open_qs = hr.decisions(rels, {})
    # Each unanswered release brings its follow-ups too (a form shows them once the choice needs them).
    assert [q.key for q in open_qs] == [f"{p}.apps/{r}" for r in ("web", "db", "cache")
                                        for p in ("helm-adopt", "helm-adopt-repo", "helm-adopt-why")]
    answers = {"helm-adopt.apps/web": "adopt", "helm-adopt.apps/db": "leave", "helm-adopt.apps/cache": "later"}
    by, open_qs = hr.decisions(rels, answers)
    assert [q.key for q in open_qs] == ["helm-adopt-repo.apps/web", "helm-adopt-why.apps/db"]
    answers.update({"helm-adopt-repo.apps/web": "https://charts.example.org", "helm-adopt-why.apps/db": "operator"})
    by, open_qs = hr.decisions(rels, answers)
    assert open_qs == [] and {k: [r.name for r in v] for k, v in by.items()} == {
        "adopt": ["web"], "leave": ["db"], "later": ["cache"]}
    assert hr.left_to_cluster(answers) == {"apps/db": "operator"}
