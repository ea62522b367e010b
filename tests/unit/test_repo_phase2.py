"""Phase 2 building blocks: file classes, duplicates, classifier tiers, YAML edits, Flux schemas."""
from __future__ import annotations

import pytest

from tests.integration.phase2_fixture import CERT_MANAGER, NAMESPACES, POSTGRES, files
from wizard.repo.generate import flux_documents
from wizard.repo.layout import APPS, CONFIGS, CONTROLLERS, INFRA, SOURCES, build_layout, slug
from wizard.repo.scan import scan
from wizard.repo.validate import current_api_version, plaintext_secrets, validate_schema
from wizard.repo.yamledit import EditRefused, apply_transform, round_trip


def write_all(root, mapping):
    for rel, text in mapping.items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)


def test_every_file_gets_a_class(tmp_path):
    write_all(tmp_path, files())
    write_all(tmp_path, {"charts/vendored/values.yaml": "x: 1\n",
                         "deploy/chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
                         "deploy/chart/templates/deploy.yaml": "{{- if .Values.x }}\nkind: {{ .Values.kind }}\n{{- end }}\n",
                         "deploy/chart/values.yaml": "x: 1\n", "empty.yaml": "# nothing\n"})
    res = scan(tmp_path)
    cls = {p: f.cls for p, f in res.files.items()}
    assert cls["infrastructure/compute-node/docker-compose.yml"] == "compose"
    assert cls[".github/workflows/deploy.yml"] == "ci"
    assert cls["infrastructure/kubernetes/monitoring/values.yaml"] == "helm-values"
    assert cls["infrastructure/kubernetes/monitoring/dashboards/homelab.json"] == "other"
    assert cls["infrastructure/kubernetes/monitoring/kustomization.yaml"] == "kustomization"
    assert cls["infrastructure/kubernetes/databases/postgres.yaml"] == "k8s"
    assert cls["deploy/chart/templates/deploy.yaml"] == "helm-template"  # not parsed, so no error
    assert cls["deploy/chart/values.yaml"] == "helm-values" and cls["deploy/chart/Chart.yaml"] == "helm-chart"
    assert cls["empty.yaml"] == "empty"
    assert "charts/vendored/values.yaml" not in cls  # vendored charts are skipped
    assert res.errors == []
    assert res.files["infrastructure/kubernetes/databases/postgres.yaml"].objects == 3


def test_duplicate_key_is_an_error_not_last_one_wins(tmp_path):
    write_all(tmp_path, {"a/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n"})
    res = scan(tmp_path)
    assert res.manifests == [] and "a/x.yaml:5" in str(res.errors[0]) and "appears twice" in str(res.errors[0])


def test_merge_keys_are_not_duplicates(tmp_path):
    write_all(tmp_path, {"a/x.yaml": POSTGRES})
    res = scan(tmp_path)
    sts = next(m for m in res.manifests if m.kind == "StatefulSet")
    assert sts.doc["spec"]["template"]["metadata"]["labels"]["tier"] == "db" and res.errors == []


def test_duplicates_report_both_locations(tmp_path):
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: a\n"
    write_all(tmp_path, {"one/x.yaml": cm, "two/x.yaml": "# copy\n" + cm})
    dups = scan(tmp_path).duplicates()
    [(key, places)] = dups.items()
    assert key.ref == "ConfigMap/a/x" and [m.where for m in places] == ["one/x.yaml:1", "two/x.yaml:2"]


def test_classifier_splits_crd_providers_from_consumers(tmp_path):
    write_all(tmp_path, files())
    layout = build_layout(scan(tmp_path), "b", "homelab")
    units = {u.path.split("/")[-1]: u for u in layout.units}
    assert units["cert-manager"].role == INFRA and units["cert-manager"].tier == CONTROLLERS
    assert "cert-manager.io" in units["cert-manager"].provides
    assert units["certificates"].tier == CONFIGS and units["certificates"].consumes == {"cert-manager.io"}
    assert units["sources"].tier == SOURCES and units["sources"].target == "infrastructure/sources"
    assert units["services"].role == APPS and units["services"].target == "apps/base/services"
    assert units["k8s"].target == "apps/base/homelab-dashboard"
    assert units["base"].target == "infrastructure/base/namespaces"
    assert list(layout.flux_paths()) == ["infra-controllers", "infra-configs", "apps"]


def test_overrides_and_bad_override_values(tmp_path):
    write_all(tmp_path, files())
    layout = build_layout(scan(tmp_path), "a", "homelab", {"class.infrastructure/kubernetes/services": "infrastructure",
                                                            "class.services/homelab-dashboard/k8s": "exclude"})
    assert [u.path for u in layout.units if u.role == APPS] == []
    from wizard.session import UsageError
    with pytest.raises(UsageError, match="is not one of"):
        build_layout(scan(tmp_path), "a", "homelab", {"class.x": "frontend"})


def test_new_folder_names_are_lowercase_with_hyphens():
    assert slug("Cert_Manager") == "cert-manager" and slug("My  App!") == "my-app"


def test_round_trip_is_byte_identical_and_edits_touch_only_their_line():
    for text in (NAMESPACES, POSTGRES, CERT_MANAGER):
        assert round_trip(text, lambda docs: None) == text
    new = apply_transform(CERT_MANAGER, "api-version", {"index": 0, "from": "helm.toolkit.fluxcd.io/v2beta1",
                                                        "to": "helm.toolkit.fluxcd.io/v2"})
    assert new == CERT_MANAGER.replace("v2beta1", "v2")
    assert apply_transform(new, "api-version", {"index": 0, "from": "helm.toolkit.fluxcd.io/v2beta1",
                                                "to": "helm.toolkit.fluxcd.io/v2"}) == new  # idempotent


def test_bases_become_resources_keeping_comments():
    text = ("# stack\n---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nbases:\n"
            "  - ../base   # shared\n  - ../extra\nnamespace: x\n")
    new = apply_transform(text, "bases-to-resources", {})
    assert new == text.replace("bases:", "resources:")


def test_sops_files_are_never_rewritten():
    text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: ENC[AES256_GCM,data:x]\nsops:\n  mac: y\n"
    with pytest.raises(EditRefused, match="encrypted with SOPS"):
        apply_transform(text, "api-version", {"index": 0, "from": "v1", "to": "v2"})


def test_plaintext_secret_detection(tmp_path):
    write_all(tmp_path, {
        "a/plain.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: p\nstringData:\n  k: v\n",
        "a/empty.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: e\ndata: {}\n",
        "a/sops.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: ENC[x]\nsops:\n  mac: y\n",
        "a/sealed.yaml": "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: q\nspec:\n"
                         "  encryptedData:\n    k: AgB\n"})
    assert [m.name for m in plaintext_secrets(scan(tmp_path).manifests)] == ["p"]


def test_generated_flux_manifests_are_valid_and_bad_ones_are_caught(tmp_path):
    write_all(tmp_path, files())
    docs = flux_documents(build_layout(scan(tmp_path), "a", "homelab"))
    for name, ds in docs.items():
        for d in ds:
            assert validate_schema(d) == [], (name, d)
    bad = {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "x"},
           "spec": {"interval": 10, "prune": "yes", "path": "./x", "dependOn": []}}
    errs = validate_schema(bad)
    assert any("spec.sourceRef: required" in e for e in errs)
    assert any("spec.interval" in e for e in errs) and any("spec.prune: must be a boolean" in e for e in errs)
    assert any("spec.dependOn: unknown field" in e for e in errs)


def test_current_flux_api_versions():
    assert current_api_version("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease") == "helm.toolkit.fluxcd.io/v2"
    assert current_api_version("source.toolkit.fluxcd.io/v1beta2", "HelmRepository") == "source.toolkit.fluxcd.io/v1"
    assert current_api_version("notification.toolkit.fluxcd.io/v1beta1", "Alert") == "notification.toolkit.fluxcd.io/v1beta3"
    assert current_api_version("kustomize.toolkit.fluxcd.io/v1", "Kustomization") is None
    assert current_api_version("apps/v1", "Deployment") is None


def test_a_custom_resource_nothing_provides_is_asked_before_anything_changes(tmp_path):
    """Issue 16: the demo's ClusterIssuer without cert-manager (no CRD in the cluster, none in the repo)."""
    from wizard.repo.layout import ask_unprovided
    write_all(tmp_path, {
        "infrastructure/kubernetes/certificates/issuer.yaml":
            "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: le\nspec:\n  selfSigned: {}\n",
        "infrastructure/kubernetes/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    lay = build_layout(scan(tmp_path), "a", "homelab")
    ask_unprovided(lay, {"", "apps"}, {})
    assert [q.key for q in lay.needs] == ["class.infrastructure/kubernetes/certificates"]
    assert "ClusterIssuer le (infrastructure/kubernetes/certificates/issuer.yaml:1)" in lay.blocks[0]
    assert "class.infrastructure/kubernetes/certificates=exclude" in lay.blocks[0]
    lay = build_layout(scan(tmp_path), "a", "homelab")
    ask_unprovided(lay, {"", "apps", "cert-manager.io"}, {})  # the cluster serves it: nothing to ask
    assert lay.needs == [] and lay.blocks == []
    answers = {"class.infrastructure/kubernetes/certificates": "exclude"}
    lay = build_layout(scan(tmp_path), "a", "homelab", answers)
    ask_unprovided(lay, {"", "apps"}, answers)
    assert lay.needs == [] and all(u.path != "infrastructure/kubernetes/certificates" for u in lay.units)
