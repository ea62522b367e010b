"""Pitfall B.3: targetNamespace (and a kustomization's namespace:) over Namespace objects.

Real `kubectl kustomize` (from .venv/bin) renders every folder; the repos are real git repos in tmp.
"""
from __future__ import annotations

import pytest

from tests.helpers import git, make_repo
from tests.integration.phase2_fixture import files
from wizard.repo import helm
from wizard.repo.generate import aggregator, flux_documents, unit_kustomization
from wizard.repo.layout import APPS, CONFIGS, CONTROLLERS, SOURCES, build_layout
from wizard.repo.scan import scan
from wizard.repo.validate import build_with_origin, namespace_field_problems, target_namespace_problems
from wizard.session import Session

NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{ns}data:\n  a: b\n"
KUST = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n{extra}resources:\n{res}"


def flux_ks(name: str, path: str, target: str | None, source: str = "GitRepository") -> str:
    tn = f"  targetNamespace: {target}\n" if target else ""
    return (f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n"
            f"  namespace: flux-system\nspec:\n  interval: 10m\n  sourceRef:\n    kind: {source}\n"
            f"    name: flux-system\n  path: {path}\n  prune: true\n{tn}")


def kust(*resources: str, namespace: str | None = None) -> str:
    return KUST.format(extra=f"namespace: {namespace}\n" if namespace else "",
                       res="".join(f"  - {r}\n" for r in resources))


def session_on(tmp_path, mapping: dict[str, str]) -> Session:
    return Session.open(make_repo(tmp_path / "repo", mapping))


def tn_problems(s: Session, cluster: str = "homelab") -> list[str]:
    return target_namespace_problems(s, scan(s.repo), cluster)


# -- Flux targetNamespace ----------------------------------------------------------------------------
def test_target_namespace_over_namespaces_names_the_kustomization_the_namespaces_and_the_fix(tmp_path):
    s = session_on(tmp_path, {
        "apps/web/namespace.yaml": "# the web namespace\n---\n" + NS.format(name="web"),
        "apps/web/config.yaml": CM.format(name="web", ns=""),
        "apps/web/kustomization.yaml": kust("namespace.yaml", "config.yaml"),
        "clusters/homelab/apps.yaml": "# mine\n---\n" + flux_ks("other", "./apps/web", None)
                                      + "---\n" + flux_ks("web", "./apps/web", "homelab"),
    })
    probs = tn_problems(s)
    assert len(probs) == 1, probs
    p = probs[0]
    # The line where the second document of apps.yaml starts (after a comment, "---" and the first one).
    lines = (s.repo / "clusters/homelab/apps.yaml").read_text().splitlines()
    start = [i for i, line in enumerate(lines, 1) if line.startswith("apiVersion")][1]
    assert p.startswith(f"clusters/homelab/apps.yaml:{start}: Flux Kustomization web sets targetNamespace: homelab")
    assert "Namespace web (apps/web/namespace.yaml:3; renamed to homelab)" in p
    assert "drop targetNamespace and set metadata.namespace in the manifests" in p
    assert "move the Namespace objects to another Kustomization" in p
    assert "ConfigMap" not in p  # namespaceless objects are what targetNamespace is for


def test_a_namespace_already_named_like_the_target_is_still_flagged(tmp_path):
    s = session_on(tmp_path, {
        "apps/web/namespace.yaml": NS.format(name="homelab"),
        "apps/web/kustomization.yaml": kust("namespace.yaml"),
        "clusters/homelab/web.yaml": flux_ks("web", "./apps/web", "homelab"),
    })
    (p,) = tn_problems(s)
    assert "Namespace homelab (apps/web/namespace.yaml:1; already named so)" in p


def test_target_namespace_over_namespaceless_objects_is_fine(tmp_path):
    s = session_on(tmp_path, {
        "apps/web/config.yaml": CM.format(name="web", ns="") + "---\n" + CM.format(name="web2", ns="  namespace: homelab\n"),
        "apps/web/kustomization.yaml": kust("config.yaml"),
        "clusters/homelab/web.yaml": flux_ks("web", "./apps/web", "homelab"),
    })
    assert tn_problems(s) == []


def test_objects_in_other_namespaces_are_reported_as_moved(tmp_path):
    s = session_on(tmp_path, {
        "apps/web/config.yaml": CM.format(name="web", ns="  namespace: databases\n"),
        "apps/web/kustomization.yaml": kust("config.yaml"),
        "clusters/homelab/web.yaml": flux_ks("web", "./apps/web", "homelab"),
    })
    (p,) = tn_problems(s)
    assert p.startswith("clusters/homelab/web.yaml:1: Flux Kustomization web sets targetNamespace: homelab")
    assert "moves 1 object(s)" in p and "ConfigMap databases/web (apps/web/config.yaml:1)" in p


def test_namespaces_from_nested_folders_are_found_through_the_build(tmp_path):
    s = session_on(tmp_path, {
        "infra/base/ns/namespaces.yaml": NS.format(name="a") + "---\n" + NS.format(name="b"),
        "infra/base/ns/kustomization.yaml": kust("namespaces.yaml"),
        "infra/overlays/homelab/kustomization.yaml": kust("../../base/ns"),
        "clusters/homelab/infra.yaml": flux_ks("infra", "./infra/overlays/homelab", "homelab"),
    })
    (p,) = tn_problems(s)
    assert "Namespace a (infra/base/ns/namespaces.yaml:1; renamed to homelab)" in p
    assert "Namespace b (infra/base/ns/namespaces.yaml:6; renamed to homelab)" in p


def test_a_path_without_kustomization_yaml_is_checked_like_flux_generates_it(tmp_path):
    s = session_on(tmp_path, {
        "apps/plain/sub/ns.yaml": NS.format(name="plain"),
        "apps/plain/config.yaml": CM.format(name="c", ns=""),
        "clusters/homelab/plain.yaml": flux_ks("plain", "./apps/plain", "homelab"),
    })
    (p,) = tn_problems(s)
    assert "Namespace plain (apps/plain/sub/ns.yaml:1; renamed to homelab)" in p


def test_other_clusters_and_non_git_sources_are_not_checked(tmp_path):
    s = session_on(tmp_path, {
        "apps/web/namespace.yaml": NS.format(name="web"),
        "apps/web/kustomization.yaml": kust("namespace.yaml"),
        "clusters/other/web.yaml": flux_ks("web", "./apps/web", "homelab"),
        "clusters/homelab/oci.yaml": flux_ks("oci", "./apps/web", "homelab", source="OCIRepository"),
    })
    assert tn_problems(s) == []
    assert len(tn_problems(s, "other")) == 1


def test_a_path_that_does_not_build_is_reported(tmp_path):
    s = session_on(tmp_path, {
        "apps/web/kustomization.yaml": kust("missing.yaml"),
        "apps/web/config.yaml": CM.format(name="c", ns=""),
        "clusters/homelab/web.yaml": flux_ks("web", "./apps/web", "homelab"),
    })
    (p,) = tn_problems(s)
    assert "does not build" in p and "missing.yaml" in p


# -- kustomization.yaml namespace: -------------------------------------------------------------------
def test_namespace_field_renaming_a_namespace_is_flagged_and_the_usual_idiom_is_not(tmp_path):
    s = session_on(tmp_path, {
        "apps/web/namespace.yaml": NS.format(name="web"),
        "apps/web/kustomization.yaml": "# web\n" + kust("namespace.yaml", namespace="apps"),
        "apps/ok/namespace.yaml": NS.format(name="ok"),
        "apps/ok/config.yaml": CM.format(name="c", ns=""),
        "apps/ok/kustomization.yaml": kust("namespace.yaml", "config.yaml", namespace="ok"),
        "apps/none/config.yaml": CM.format(name="c", ns=""),
        "apps/none/kustomization.yaml": kust("config.yaml", namespace="none"),
    })
    (p,) = namespace_field_problems(s, scan(s.repo))
    assert p.startswith("apps/web/kustomization.yaml:4: namespace: apps renames Namespace web "
                        "(apps/web/namespace.yaml:1) to apps")
    assert "drop the namespace: field" in p
    assert git(s.repo, "status", "--porcelain") == ""  # rendering wrote nothing into the repo


def test_namespace_field_over_two_namespaces_does_not_build_and_says_why(tmp_path):
    s = session_on(tmp_path, {
        "infra/ns/namespaces.yaml": NS.format(name="a") + "---\n" + NS.format(name="b"),
        "infra/ns/kustomization.yaml": kust("namespaces.yaml", namespace="a"),
    })
    (p,) = namespace_field_problems(s, scan(s.repo))
    assert p.startswith("infra/ns/kustomization.yaml:3: namespace: a renames every Namespace object it builds")
    assert "Namespace a (infra/ns/namespaces.yaml:1)" in p and "Namespace b (infra/ns/namespaces.yaml:6)" in p
    assert "does not build" in p


def test_build_with_origin_maps_documents_to_repo_files(tmp_path):
    s = session_on(tmp_path, {
        "infra/base/ns/namespaces.yaml": NS.format(name="a"),
        "infra/base/ns/kustomization.yaml": kust("namespaces.yaml"),
        "infra/overlays/x/config.yaml": CM.format(name="c", ns="  namespace: x\n"),
        "infra/overlays/x/kustomization.yaml": kust("../../base/ns", "config.yaml"),
    })
    got = {(d["kind"], d["metadata"]["name"]): o for d, o in build_with_origin(s, "infra/overlays/x")}
    assert got == {("Namespace", "a"): "infra/base/ns/namespaces.yaml", ("ConfigMap", "c"): "infra/overlays/x/config.yaml"}
    assert all("annotations" not in d["metadata"] for d, _ in build_with_origin(s, "infra/overlays/x"))


# -- the wizard's own files never set targetNamespace or namespace: ---------------------------------
@pytest.mark.parametrize("option", ["a", "b"])
def test_generated_flux_manifests_never_set_target_namespace(tmp_path, option):
    repo = make_repo(tmp_path / "repo", files())
    lay = build_layout(scan(repo), option, "homelab")
    docs = [d for ds in flux_documents(lay).values() for d in ds]
    assert {d["metadata"]["name"] for d in docs} == {"infra-controllers", "infra-configs", "apps"}
    assert all("targetNamespace" not in d["spec"] for d in docs)
    import yaml

    texts = [aggregator(lay, t) for t in (CONTROLLERS, CONFIGS, APPS) if lay.by_tier(t) or t == CONTROLLERS]
    texts += [unit_kustomization(u, set()) for u in lay.units] + [helm.folder_kustomization()]
    for t in texts:
        assert "namespace" not in yaml.safe_load(t), t
    # The Namespaces themselves land in the infra-controllers path, which has no targetNamespace either.
    ns_units = [u for u in lay.units if "Namespace" in u.kinds]
    assert ns_units and all(u in lay.by_tier(CONTROLLERS) + lay.by_tier(SOURCES) for u in ns_units)
