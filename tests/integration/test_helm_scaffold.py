"""Phase 2 with a HelmRepository + HelmRelease scaffold (issue #4, item 4): real CLI, git, kubectl kustomize."""
from __future__ import annotations

import yaml

from tests.helpers import git, item_status, status_json
from tests.integration.phase2_fixture import make_homelab
from tests.integration.test_phase2_e2e import ITEMS, run_all, setup, wiz

MON = "infrastructure/kubernetes/monitoring"
HELM = [f"helm.{MON}=grafana@8.5.2", f"helm-repo.{MON}=https://grafana.github.io/helm-charts",
        f"helm-values.{MON}={MON}/values.yaml",
        "helm.infrastructure/kubernetes/services=n8n@1.0.x",
        "helm-repo.infrastructure/kubernetes/services=https://charts.jetstack.io"]


def sets(*answers):
    return [x for a in answers for x in ("--set", a)]


def test_scaffold_replaces_the_hand_written_manifests(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a", *sets(*HELM))
    run_all(repo, env, ITEMS[:3])
    # The preview shows the new files, the rewritten kustomization (diff) and the git rm of each replaced file.
    res = wiz(repo, "run", "repo.flux-manifests", "--dry-run", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert f"git rm {MON}/grafana.yaml" in out and "git rm apps/services/n8n.yaml" in out
    assert f"write {MON}/helm-release.yaml" in out and f"rewrite {MON}/kustomization.yaml" in out
    assert "+  - helm-release.yaml" in out  # the kustomization diff
    assert not (repo / MON / "helm-release.yaml").exists()  # a preview changes nothing
    run_all(repo, env, ITEMS[3:])
    # The HelmRepository for grafana is new (in the existing sources folder); jetstack's is reused.
    src = yaml.safe_load((repo / "infrastructure/kubernetes/sources/grafana.yaml").read_text())
    assert src["apiVersion"] == "source.toolkit.fluxcd.io/v1" and src["kind"] == "HelmRepository"
    assert src["metadata"] == {"name": "grafana", "namespace": "flux-system"}
    assert src["spec"] == {"interval": "1h", "url": "https://grafana.github.io/helm-charts"}
    assert "grafana.yaml" in (repo / "infrastructure/kubernetes/sources/kustomization.yaml").read_text()
    assert not (repo / "infrastructure/kubernetes/sources/jetstack-1.yaml").exists()
    # The monitoring HelmRelease, with the values file's values; grafana.yaml removed with git rm.
    hr = yaml.safe_load((repo / MON / "helm-release.yaml").read_text())
    assert hr["apiVersion"] == "helm.toolkit.fluxcd.io/v2" and hr["metadata"]["namespace"] == "homelab"
    cs = hr["spec"]["chart"]["spec"]
    assert (cs["chart"], cs["version"]) == ("grafana", "8.5.2")
    assert cs["sourceRef"] == {"kind": "HelmRepository", "name": "grafana", "namespace": "flux-system"}
    assert hr["spec"]["values"]["persistence"]["size"] == "5Gi"
    assert not (repo / MON / "grafana.yaml").exists() and (repo / MON / "values.yaml").is_file()
    assert yaml.safe_load((repo / MON / "kustomization.yaml").read_text())["resources"] == ["helm-release.yaml"]
    staged = git(repo, "diff", "--cached", "--name-status", "HEAD")
    assert f"D\t{MON}/grafana.yaml" in staged and "D\tinfrastructure/kubernetes/services/n8n.yaml" in staged
    # The app folder (moved to apps/ by 2.3) is a HelmRelease on jetstack's existing HelmRepository.
    hr2 = yaml.safe_load((repo / "apps/services/helm-release.yaml").read_text())
    assert hr2["spec"]["chart"]["spec"]["sourceRef"]["name"] == "jetstack"
    assert not (repo / "apps/services/n8n.yaml").exists()
    verified_idempotent_and_committed(repo, env)


def verified_idempotent_and_committed(repo, env) -> None:
    """After the scaffold: 2.1–2.4 pass with the replaced objects accounted for (not lost), planning
    again changes nothing, and 2.5 commits and pushes, leaving a clean tree."""
    st = status_json(repo, env)
    for item in ITEMS:
        assert item_status(st, item)["status"] == "passed", item_status(st, item)
    res = wiz(repo, "verify", "repo.flux-manifests", "--json", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "replaced by HelmRelease homelab/monitoring" in res.stdout
    assert "replaced by HelmRelease homelab/services" in res.stdout
    res = wiz(repo, "run", "repo.flux-manifests", "--dry-run", env=env)
    assert res.returncode == 0 and "Nothing to change" in res.stdout, res.stdout
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert git(repo, "status", "--porcelain") == ""


def test_without_answers_nothing_is_scaffolded_and_bad_answers_are_usage_errors(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    run_all(repo, env)
    assert not list(repo.rglob("helm-release.yaml"))
    assert (repo / MON / "grafana.yaml").is_file() and (repo / "apps/services/n8n.yaml").is_file()
    assert not (repo / "infrastructure/kubernetes/sources/grafana.yaml").exists()
    for bad, word in ((f"helm.{MON}=grafana", "<chart>@<version>"), ("helm.nope=grafana@1.0.0", "no manifest folder")):
        res = wiz(repo, "run", "repo.flux-manifests", "--dry-run", "--set", bad,
                  "--set", f"helm-repo.{bad.split('=')[0][5:]}=https://grafana.github.io/helm-charts", env=env)
        assert res.returncode == 2, res.stdout + res.stderr
        assert word in res.stderr + res.stdout
        key = bad.split("=")[0]
        res = wiz(repo, "run", "repo.flux-manifests", "--dry-run", "--set", f"{key}=", "--set", f"helm-repo.{key[5:]}=",
                  env=env)  # an empty answer drops the scaffold again
        assert res.returncode == 0 and "Nothing to change" in res.stdout, res.stdout + res.stderr
    res = wiz(repo, "run", "repo.flux-manifests", "--dry-run", "--set", f"helm.{MON}=grafana@8.5.2", env=env)
    assert res.returncode == 3 and f"helm-repo.{MON}" in res.stderr + res.stdout  # a question to answer
