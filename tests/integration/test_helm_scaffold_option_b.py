"""The HelmRepository + HelmRelease scaffold with Option B (infrastructure/{base,sources}, apps/base and
overlays): real CLI, git and kubectl kustomize, on the Phase 2 fixture repo."""
from __future__ import annotations

import os
import subprocess
from collections import Counter

import pytest
import yaml

from tests.helpers import VENV_BIN, git, make_repo
from tests.integration.phase2_fixture import files, make_homelab
from tests.integration.test_helm_scaffold import HELM, MON, sets, verified_idempotent_and_committed
from tests.integration.test_phase2_e2e import ITEMS, run_all, setup, wiz
from wizard.repo.scan import scan

SERVICES = "infrastructure/kubernetes/services"
B_MON = "infrastructure/base/monitoring"
B_SERVICES = "apps/base/services"
CONTROLLERS = "infrastructure/overlays/homelab/controllers"


def flux_paths(repo) -> dict[str, str]:
    out = {}
    for name in ("infrastructure.yaml", "apps.yaml"):
        for d in yaml.safe_load_all((repo / "clusters/homelab" / name).read_text()):
            if d:
                assert "targetNamespace" not in d["spec"]
                out[d["metadata"]["name"]] = d["spec"]["path"].removeprefix("./")
    return out


def kustomize(repo, path) -> list[dict]:
    res = subprocess.run([str(VENV_BIN / "kubectl"), "kustomize", str(repo / path)], capture_output=True, text=True)
    assert res.returncode == 0, f"kubectl kustomize {path}: {res.stderr}"
    return [d for d in yaml.safe_load_all(res.stdout) if d]


def reached(repo, folder: str, seen: Counter) -> None:
    """Count every file the kustomization.yaml files below a Flux path list (each must exist)."""
    k = yaml.safe_load((repo / folder / "kustomization.yaml").read_text())
    for r in k.get("resources", []):
        p = os.path.normpath(f"{folder}/{r}")
        if (repo / p).is_dir():
            reached(repo, p, seen)
        else:
            assert (repo / p).is_file(), f"{folder}/kustomization.yaml lists {r}, which does not exist"
            seen[p] += 1


def check_layout(repo) -> dict[str, list[dict]]:
    """Every manifest under infrastructure/ and apps/ listed exactly once; every Flux path builds."""
    paths = flux_paths(repo)
    assert set(paths) == {"infra-controllers", "infra-configs", "apps"}
    seen: Counter = Counter()
    for p in paths.values():
        reached(repo, p, seen)
    manifests = {m.path for m in scan(repo).manifests if m.path.startswith(("infrastructure/", "apps/"))}
    assert set(seen) == manifests, (set(seen) ^ manifests)
    assert all(n == 1 for n in seen.values()), [p for p, n in seen.items() if n > 1]
    rendered = {name: kustomize(repo, p) for name, p in paths.items()}
    keys = Counter((d["kind"], (d["metadata"].get("namespace") or ""), d["metadata"]["name"])
                   for docs in rendered.values() for d in docs)
    assert all(n == 1 for n in keys.values()), [k for k, n in keys.items() if n > 1]
    return rendered


def names(docs, kind) -> set[str]:
    return {d["metadata"]["name"] for d in docs if d["kind"] == kind}


def test_option_b_scaffold_lands_in_sources_base_and_overlays(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    # helm-values names the values file where it is now; 2.3 moves it to infrastructure/base/monitoring.
    setup(repo, env, "b", *sets(*HELM))
    run_all(repo, env, ITEMS[:3])
    assert (repo / B_MON / "grafana.yaml").is_file() and (repo / B_SERVICES / "n8n.yaml").is_file()
    index = git(repo, "write-tree")

    # The preview: new source in infrastructure/sources, the releases in the moved folders, git rm of each file.
    res = wiz(repo, "run", "repo.flux-manifests", "--dry-run", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    for step in ("write infrastructure/sources/grafana.yaml", "rewrite infrastructure/sources/kustomization.yaml",
                 f"write {B_MON}/helm-release.yaml", f"rewrite {B_MON}/kustomization.yaml", f"git rm {B_MON}/grafana.yaml",
                 f"write {B_SERVICES}/helm-release.yaml", f"git rm {B_SERVICES}/n8n.yaml"):
        assert step in out, step
    assert "+  - grafana.yaml" in out  # the sources kustomization diff
    # Nothing is removed before the plan is confirmed: not by the preview, not by a run without --yes.
    res = wiz(repo, "run", "repo.flux-manifests", env=env)
    assert res.returncode == 4, res.stdout + res.stderr
    for _ in range(2):
        assert (repo / B_MON / "grafana.yaml").is_file() and (repo / B_SERVICES / "n8n.yaml").is_file()
        assert not (repo / B_MON / "helm-release.yaml").exists() and not (repo / "infrastructure/sources/grafana.yaml").exists()
        assert git(repo, "write-tree") == index
        res = wiz(repo, "run", "repo.flux-manifests", "--dry-run", env=env)

    run_all(repo, env, ITEMS[3:])
    # HelmRepository grafana in infrastructure/sources (listed once), jetstack's reused.
    src = yaml.safe_load((repo / "infrastructure/sources/grafana.yaml").read_text())
    assert (src["kind"], src["metadata"], src["spec"]["url"]) == (
        "HelmRepository", {"name": "grafana", "namespace": "flux-system"}, "https://grafana.github.io/helm-charts")
    assert yaml.safe_load((repo / "infrastructure/sources/kustomization.yaml").read_text())["resources"] == [
        "grafana.yaml", "jetstack.yaml"]
    assert sorted(p.name for p in (repo / "infrastructure/sources").iterdir()) == [
        "grafana.yaml", "jetstack.yaml", "kustomization.yaml"]
    # The HelmReleases in the base folders, with the values of the (moved) values file.
    hr = yaml.safe_load((repo / B_MON / "helm-release.yaml").read_text())
    assert hr["metadata"] == {"name": "monitoring", "namespace": "homelab"}
    assert hr["spec"]["chart"]["spec"]["sourceRef"] == {"kind": "HelmRepository", "name": "grafana",
                                                        "namespace": "flux-system"}
    assert hr["spec"]["values"]["persistence"]["size"] == "5Gi"
    assert yaml.safe_load((repo / B_MON / "kustomization.yaml").read_text())["resources"] == ["helm-release.yaml"]
    hr2 = yaml.safe_load((repo / B_SERVICES / "helm-release.yaml").read_text())
    assert hr2["spec"]["chart"]["spec"]["sourceRef"]["name"] == "jetstack" and hr2["metadata"]["name"] == "services"
    assert not (repo / B_MON / "grafana.yaml").exists() and not (repo / B_SERVICES / "n8n.yaml").exists()
    assert (repo / B_MON / "values.yaml").is_file()
    staged = git(repo, "diff", "--cached", "--name-status", "HEAD")
    assert f"D\t{MON}/grafana.yaml" in staged and f"D\t{SERVICES}/n8n.yaml" in staged, staged
    assert "grafana.yaml" not in git(repo, "ls-files", B_MON) and "n8n.yaml" not in git(repo, "ls-files", B_SERVICES)

    # Each manifest once; every Flux path builds; each object in the right Flux path.
    rendered = check_layout(repo)
    assert names(rendered["infra-controllers"], "HelmRepository") == {"grafana", "jetstack"}
    assert names(rendered["infra-controllers"], "HelmRelease") == {"cert-manager", "monitoring"}
    assert names(rendered["apps"], "HelmRelease") == {"services"}
    assert names(rendered["infra-configs"], "ClusterIssuer") == {"letsencrypt-prod"}
    everything = [d for docs in rendered.values() for d in docs]
    assert not {"grafana", "n8n"} & names(everything, "Deployment")
    overlay = yaml.safe_load((repo / CONTROLLERS / "kustomization.yaml").read_text())["resources"]
    assert overlay.count("../../../sources") == 1 and "../../../base/monitoring" in overlay
    assert yaml.safe_load((repo / "apps/overlays/homelab/kustomization.yaml").read_text())["resources"] == [
        "../../base/homelab-dashboard", "../../base/services", "homelab-wizard-drift-canary.yaml"]

    verified_idempotent_and_committed(repo, env)


def test_option_b_scaffold_creates_infrastructure_sources_when_there_is_none(tmp_path, env):
    mapping = files()
    del mapping["infrastructure/kubernetes/sources/jetstack.yaml"]
    repo = make_repo(tmp_path / "repo", mapping)
    setup(repo, env, "b", *sets(*HELM[:2], HELM[3], HELM[4]))
    run_all(repo, env, ITEMS[:3])
    assert not (repo / "infrastructure/sources").exists()
    res = wiz(repo, "run", "repo.flux-manifests", "--dry-run", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    # Two new HelmRepositories in the new folder: its kustomization.yaml is written once, listing both.
    assert res.stdout.count("write infrastructure/sources/kustomization.yaml") == 1, res.stdout
    run_all(repo, env, ITEMS[3:])
    assert yaml.safe_load((repo / "infrastructure/sources/kustomization.yaml").read_text())["resources"] == [
        "grafana.yaml", "jetstack.yaml"]
    rendered = check_layout(repo)
    assert names(rendered["infra-controllers"], "HelmRepository") == {"grafana", "jetstack"}
    assert names(rendered["apps"], "HelmRelease") == {"services"}
    res = wiz(repo, "run", "repo.flux-manifests", "--dry-run", env=env)
    assert res.returncode == 0 and "Nothing to change" in res.stdout, res.stdout


@pytest.mark.parametrize("given", [f"{MON}/values.yaml", f"{B_MON}/values.yaml"])
def test_values_file_is_found_before_and_after_the_move(tmp_path, env, given):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "b", *sets(*HELM[:2], f"helm-values.{MON}={given}"))
    run_all(repo, env)
    hr = yaml.safe_load((repo / B_MON / "helm-release.yaml").read_text())
    assert hr["spec"]["values"] == {"replicas": 1, "persistence": {"enabled": True, "size": "5Gi"}}
