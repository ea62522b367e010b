"""Issue 21: every earlier item stays green after every later step, through Phase 5.

5.4 (like 5.3) adds a folder with its own Flux Kustomization in clusters/<name>/. Phase 2's checks
must expect it, not count its objects as new (2.2, 2.4) nor propose to move it to apps/ (2.3: the
Kustomization would then point at the old path), and 5.1's section follows it. Real CLI, git and
kubectl kustomize on the seed-shaped repo, a bare remote, no cluster. The files are the ones 5.4
writes, written through the same write-and-commit path 5.4 uses (5.4 itself needs a cluster).
"""
from __future__ import annotations

import json

from tests.helpers import git, item_status, run_cli, status_json
from tests.integration.phase2_fixture import make_homelab
from tests.integration.test_phase2_e2e import ITEMS, run_all, setup

SEALED = """\
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: notify-webhook
  namespace: flux-system
spec:
  encryptedData:
    address: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq
  template:
    metadata:
      name: notify-webhook
      namespace: flux-system
"""


def phase_2_done(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    run_all(repo, env)
    res = run_cli("--repo", str(repo), "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    assert res.returncode == 0, res.stderr
    return repo


def notifications_added(repo, then=None) -> None:
    """What 5.4 commits (Sealed Secrets form): its folder, its Flux Kustomization, the sealed Secret."""
    from wizard.integrate import common
    from wizard.phases.integrate import notifications
    from wizard.session import Session

    s = Session.open(repo)
    with s.store:
        s.store.acquire("test")
        s.store.load()
        files = {**notifications._repo_files(s, "sealed-secrets"), "infrastructure/notifications/webhook-sealedsecret.yaml": SEALED}
        common.write_and_commit(s, "integrate.notifications", files, "notifications (5.4)", lambda line: None, push=False)
        if then:
            then(s)


def test_phase_2_stays_green_and_next_proposes_no_move_after_5_4_adds_its_folder(tmp_path, env):
    repo = phase_2_done(tmp_path, env)
    notifications_added(repo)
    assert (repo / "clusters/homelab/notifications.yaml").is_file()
    res = run_cli("--repo", str(repo), "verify", *ITEMS, "--json", env=env)
    results = {r["id"]: f"{r['status']}: {r['message'][:300]}" for r in json.loads(res.stdout)["results"]}
    assert all(v.startswith("passed") for v in results.values()), results
    nxt = status_json(repo, env)["next"]
    assert not nxt["id"].startswith("repo."), nxt
    # 2.3 has nothing to move: the folder stays where its Flux Kustomization points
    res = run_cli("--repo", str(repo), "run", "repo.apps", "--dry-run", env=env)
    assert res.returncode == 0 and "infrastructure/notifications" not in res.stdout, res.stdout
    assert (repo / "infrastructure/notifications/kustomization.yaml").is_file()


def test_5_1_s_section_follows_the_flux_kustomization_5_4_adds(tmp_path, env):
    repo = phase_2_done(tmp_path, env)
    res = run_cli("--repo", str(repo), "run", "integrate.docs", "--set", "push=false", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr

    def then_as_5_4_does(s):
        from wizard.phases.integrate.docs import keep_current

        keep_current(s, "integrate.notifications", lambda line: None)

    notifications_added(repo, then_as_5_4_does)
    assert "| `notifications` | `./infrastructure/notifications` |" in (repo / "README.md").read_text()
    assert git(repo, "status", "--porcelain") == ""  # committed, as 5.1's own change
    res = run_cli("--repo", str(repo), "verify", "integrate.docs", "--json", env=env)
    assert json.loads(res.stdout)["results"][0]["status"] == "passed", res.stdout
    assert item_status(status_json(repo, env), "integrate.docs")["status"] == "passed"
