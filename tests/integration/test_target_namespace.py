"""Pitfall B.3 through the real CLI: a user-edited Flux Kustomization with targetNamespace over the
Namespaces, and a kustomization.yaml whose namespace: renames one (real git, kubectl kustomize)."""
from __future__ import annotations

import json

import pytest
import yaml

from tests.helpers import git
from tests.integration.phase2_fixture import make_homelab
from tests.integration.test_phase2_e2e import run_all, setup, wiz

NS_FILE = {"a": "infrastructure/kubernetes/base/namespace.yaml", "b": "infrastructure/base/namespaces/namespace.yaml"}


def verify(repo, env, item):
    res = wiz(repo, "verify", item, "--json", env=env)
    (r,) = json.loads(res.stdout)["results"]
    return res.returncode, r


def doc_line(text: str, name: str) -> int:
    """The line the Flux Kustomization document `name` starts on (its apiVersion line)."""
    lines = text.splitlines()
    at = lines.index(f"  name: {name}")
    return max(i for i, line in enumerate(lines[:at], 1) if line.startswith("apiVersion:"))


@pytest.mark.parametrize("option", ["a", "b"])
def test_generated_manifests_have_no_target_namespace_and_a_user_edit_is_flagged(tmp_path, env, option):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, option)
    run_all(repo, env)
    for f in (repo / "clusters/homelab").rglob("*.yaml"):
        assert "targetNamespace" not in f.read_text(), f
    for f in repo.rglob("kustomization.yaml"):
        assert "namespace" not in (yaml.safe_load(f.read_text()) or {}), f
    assert verify(repo, env, "repo.flux-manifests")[0] == 0

    # The user adds targetNamespace to infra-controllers, whose path holds the three Namespaces.
    infra = repo / "clusters/homelab/infrastructure.yaml"
    text = infra.read_text()
    infra.write_text(text.replace("  path: ./infrastructure/", "  targetNamespace: homelab\n  path: ./infrastructure/", 1))
    assert infra.read_text() != text
    code, r = verify(repo, env, "repo.flux-manifests")
    assert code == 1 and r["status"] == "failed", r
    msg = r["message"]
    where = f"clusters/homelab/infrastructure.yaml:{doc_line(text, 'infra-controllers')}"
    assert f"{where}: Flux Kustomization infra-controllers sets targetNamespace: homelab" in msg, msg
    ns = NS_FILE[option]
    for name, line in (("homelab", 4), ("databases", 10), ("cert-manager", 15)):
        assert f"Namespace {name} ({ns}:{line};" in msg, msg
    assert "drop targetNamespace and set metadata.namespace in the manifests" in msg
    assert "move the Namespace objects to another Kustomization" in msg
    # The databases (explicit namespace) would be moved into homelab too.
    assert "StatefulSet databases/postgres" in msg

    # Back to the generated file: passes again.
    infra.write_text(text)
    assert verify(repo, env, "repo.flux-manifests")[0] == 0


def test_a_user_flux_kustomization_next_to_the_generated_ones_is_checked(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    run_all(repo, env)
    extra = repo / "clusters/homelab/extra"
    extra.mkdir()
    (extra / "config.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: b\n")
    (repo / "clusters/homelab/extra.yaml").write_text(
        "# added by hand\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: extra\n"
        "  namespace: flux-system\nspec:\n  interval: 10m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
        "  path: ./clusters/homelab/extra\n  prune: true\n  targetNamespace: tools\n")
    assert verify(repo, env, "repo.flux-manifests")[0] == 0  # namespaceless objects: what targetNamespace is for
    (extra / "namespace.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n")
    code, r = verify(repo, env, "repo.flux-manifests")
    assert code == 1, r
    assert ("clusters/homelab/extra.yaml:2: Flux Kustomization extra sets targetNamespace: tools over "
            "./clusters/homelab/extra") in r["message"]
    assert "Namespace extra (clusters/homelab/extra/namespace.yaml:1; renamed to tools)" in r["message"]


def test_a_kustomization_namespace_field_that_renames_a_namespace_fails_2_2_and_2_4(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    run_all(repo, env)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "phase 2")
    # One Namespace of its own, renamed by the folder's namespace: field.
    k = repo / "infrastructure/kubernetes/databases/kustomization.yaml"
    (k.parent / "namespace.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: db\n")
    body = yaml.safe_load(k.read_text())
    k.write_text(yaml.safe_dump({"apiVersion": body["apiVersion"], "kind": body["kind"], "namespace": "databases",
                                 "resources": body["resources"] + ["namespace.yaml"]}, sort_keys=False))
    for item in ("repo.kustomizations", "repo.flux-manifests"):
        code, r = verify(repo, env, item)
        assert code == 1, r
        assert ("infrastructure/kubernetes/databases/kustomization.yaml:3: namespace: databases renames Namespace db "
                "(infrastructure/kubernetes/databases/namespace.yaml:1) to databases") in r["message"], r["message"]
        assert "drop the namespace: field" in r["message"]
    # The usual idiom (namespace: databases over the Namespace databases) is fine for this check.
    (k.parent / "namespace.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: databases\n")
    code, r = verify(repo, env, "repo.kustomizations")
    assert "renames" not in r["message"], r["message"]
