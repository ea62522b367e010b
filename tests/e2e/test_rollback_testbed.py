"""Rollback on the testbed: restore from the Phase 1 backup; suspend/resume, revert and stop GitOps
after a real `flux bootstrap git` over the wizard's Phase 2 commits (a private testbed).

Loopback only; Flux state read from -o json.
"""
from __future__ import annotations

import json

import pytest

from tests.e2e.homelab import kubectl, manifests, names, phase1
from tests.helpers import git, item_status, make_repo, run_cli, status_json

pytestmark = pytest.mark.testbed


def wiz(repo, *args, env):
    return run_cli("--repo", str(repo), *args, env=env)


def test_restore_brings_back_deleted_objects_of_a_namespace(testbed, tmp_path, env):
    ns = "rb-restore"
    repo = make_repo(tmp_path / "repo", manifests(ns))
    kubectl(env, "apply", "-R", "-f", str(repo / "infrastructure"))
    try:
        phase1(repo, env)
        kubectl(env, "delete", "deployment,service,configmap", "-n", ns, "--all", "--wait=true")
        assert names(env, "deployments", ns) == set()

        dry = wiz(repo, "rollback", "restore", "--namespace", ns, "--dry-run", env=env)
        assert dry.returncode == 0, dry.stderr
        assert "restore 4 object(s)" in dry.stdout and "server-side diff" in dry.stdout
        assert "Namespace" in dry.stdout and "exist and are skipped" in dry.stdout  # the namespace is still there

        res = wiz(repo, "rollback", "restore", "--namespace", ns, "--yes", env=env)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "rollback restore: passed" in res.stdout
        assert names(env, "deployments", ns) == {"web", "redis"}
        assert names(env, "services", ns) == {"web"}
        assert "redis-config" in names(env, "configmaps", ns)
        cm = json.loads(kubectl(env, "get", "configmap", "redis-config", "-n", ns, "-o", "json").stdout)
        assert cm["data"] == {"maxmemory": "64mb"}

        # Existing objects are skipped unless --overwrite; a changed one is put back with it.
        kubectl(env, "patch", "configmap", "redis-config", "-n", ns, "--type=merge", "-p", '{"data":{"maxmemory":"1gb"}}')
        again = wiz(repo, "rollback", "restore", "--namespace", ns, "--kind", "ConfigMap", "--yes", env=env)
        assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout + again.stderr
        over = wiz(repo, "rollback", "restore", "--namespace", ns, "--kind", "ConfigMap", "--overwrite", "--yes", env=env)
        assert over.returncode == 0, over.stdout + over.stderr
        cm = json.loads(kubectl(env, "get", "configmap", "redis-config", "-n", ns, "-o", "json").stdout)
        assert cm["data"] == {"maxmemory": "64mb"}
        journal = [e for e in json.loads((repo / ".git/homelab-wizard/state.json").read_text())["journal"]
                   if e["action"] == "rollback-restore" and e["phase"] == "done"]
        assert len(journal) == 2 and journal[0]["status"] == "passed"
    finally:
        kubectl(env, "delete", "namespace", ns, "--wait=true", "--timeout=90s", "--ignore-not-found", check=False)


def ks_all(env) -> dict[str, dict]:
    out = kubectl(env, "get", "kustomizations.kustomize.toolkit.fluxcd.io", "-A", "-o", "json").stdout
    return {f"{k['metadata']['namespace']}/{k['metadata']['name']}": k for k in json.loads(out)["items"]}


def ready(k) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in (k.get("status") or {}).get("conditions", []))


def test_full_migration_then_suspend_resume_revert_and_stop_gitops(testbed_factory, tmp_path):
    from tests.testbed.tools import run as tb_run, wait_until

    tb = testbed_factory("rollback")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data")}
    ns = "rb-full"
    url = tb.create_git_repo("homelab")
    repo = make_repo(tmp_path / "repo", manifests(ns))
    before = git(repo, "rev-parse", "HEAD").strip()
    original = set(git(repo, "ls-tree", "-r", "--name-only", before).split())
    git(repo, "remote", "add", "origin", url)
    git(repo, "push", "-q", "origin", "main")
    kubectl(env, "apply", "-R", "-f", str(repo / "infrastructure"))
    phase1(repo, env)
    for item in ("repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests", "repo.commit-push"):
        res = wiz(repo, "run", item, *(["--set", "ci-deploy=push"] if item == "repo.commit-push" else []), "--yes",
                  env=env)
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
    tb_run(["flux", "bootstrap", "git", f"--url={url}", "--allow-insecure-http", "--token-auth", "--username=git",
            "--branch=main", "--path=clusters/homelab", "--silent", "--timeout=5m"],
           {**env, "GIT_PASSWORD": "dummy-password-not-checked"}, timeout=420)
    git(repo, "pull", "-q", "--ff-only", "origin", "main")

    def all_ready():
        kss = ks_all(env)
        return kss if len(kss) >= 2 and all(ready(k) for k in kss.values()) else None

    kss = wait_until("every Kustomization Ready", all_ready, timeout=300, state=lambda: ks_all(env))
    assert "flux-system/apps" in kss, list(kss)

    # 1. suspend one, resume it.
    res = wiz(repo, "rollback", "suspend", "--kustomization", "apps", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert ks_all(env)["flux-system/apps"]["spec"]["suspend"] is True
    res = wiz(repo, "rollback", "resume", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    k = ks_all(env)["flux-system/apps"]
    assert not k["spec"].get("suspend") and ready(k)

    # 5.1 after bootstrap: its commit is the wizard's too, and the revert below undoes it with Phase 2's
    # (issue 12: Phase 5 commits were journaled in a shape revert did not read).
    res = wiz(repo, "run", "integrate.docs", "--set", "secrets=sops", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr

    # 2. revert: the guard suspends every prune-enabled Kustomization first; workloads keep running.
    dry = wiz(repo, "rollback", "revert", "--dry-run", env=env)
    assert dry.returncode == 0 and "flux suspend kustomization" in dry.stdout, dry.stdout + dry.stderr
    res = wiz(repo, "rollback", "revert", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    now = set(git(repo, "ls-tree", "-r", "--name-only", "HEAD").split())
    assert {p for p in now if not p.startswith("clusters/homelab/flux-system/")} == original
    assert all(k["spec"].get("suspend") for k in ks_all(env).values())
    assert names(env, "deployments", ns) == {"web", "redis"}
    assert item_status(status_json(repo, env), "repo.apps")["status"] == "pending"
    assert item_status(status_json(repo, env), "integrate.docs")["status"] == "pending"
    # Resuming now would apply the reverted repo with prune on: refused without --allow-prune.
    res = wiz(repo, "rollback", "resume", "--yes", env=env)
    assert res.returncode == 4 and "--allow-prune" in res.stderr, res.stdout + res.stderr

    # 4. stop GitOps, keep the workloads.
    res = wiz(repo, "rollback", "stop-gitops", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    crds = json.loads(kubectl(env, "get", "crd", "-l", "app.kubernetes.io/part-of=flux", "-o", "json").stdout)["items"]
    assert crds == []
    assert names(env, "deployments", ns) == {"web", "redis"}
    assert kubectl(env, "get", "namespace", "flux-system", check=False).returncode == 0  # --keep-namespace
