"""2.5 before its push, with the real CLI and git and a bare remote: the repository's CI applies manifests on
push (issue 21). 2.5 says so, and asks: 5.2's rewrite in the same push, a branch first, or as it is."""
from __future__ import annotations

import json

from tests.helpers import git, item_status, run_cli, status_json
from tests.integration.phase2_fixture import make_homelab
from tests.integration.test_phase2_e2e import origin, remote_head, run_all, setup

APPLY = "kubectl apply -f infrastructure/kubernetes/services/"  # the fixture's .github/workflows/deploy.yml

SCRIPT_WORKFLOW = """\
name: deploy-script
on: [push]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: ./scripts/deploy.sh
"""

SCRIPT = """\
#!/usr/bin/env bash
set -euo pipefail
kubectl apply -f infrastructure/kubernetes/databases/
"""

PR_ONLY = """\
name: validate
on:
  pull_request:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: kubectl apply --dry-run=client -f infrastructure/kubernetes/services/
"""


def wiz(repo, *args, env):
    return run_cli("--repo", str(repo), *args, env=env)


def phase2(tmp_path, env, extra: dict[str, str] | None = None):
    repo = make_homelab(tmp_path / "repo")
    for rel, text in (extra or {}).items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
        if rel.endswith(".sh"):
            (repo / rel).chmod(0o755)
    if extra:
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "user: CI")
        git(repo, "push", "-q", "origin", "main")
    setup(repo, env, "a")
    run_all(repo, env)
    return repo


def remote_file(repo, branch: str, path: str) -> str:
    return git(origin(repo), "show", f"{branch}:{path}")


def test_a_ci_deploy_on_push_is_named_and_asked_before_the_push(tmp_path, env):
    repo = phase2(tmp_path, env, {".github/workflows/script.yml": SCRIPT_WORKFLOW, "scripts/deploy.sh": SCRIPT})
    before = remote_head(repo)
    res = wiz(repo, "run", "repo.commit-push", "--yes", "--json", env=env)
    assert res.returncode == 3, res.stdout + res.stderr
    out = json.loads(res.stdout) if res.stdout.strip().startswith("{") else {}
    text = res.stdout + res.stderr
    assert "ci-deploy" in text and ".github/workflows/deploy.yml:" in text and APPLY in text
    # Through a script the workflow calls, too.
    assert ".github/workflows/script.yml:" in text and "scripts/deploy.sh" in text
    assert remote_head(repo) == before  # nothing pushed
    assert not out or out.get("status") != "passed"

    dry = wiz(repo, "run", "repo.commit-push", "--dry-run", "--json", env=env)
    assert dry.returncode == 3  # a preview asks the same question
    dry = wiz(repo, "run", "repo.commit-push", "--dry-run", "--set", "ci-deploy=with-rewrite", "--json", env=env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    steps = [s["description"] for s in json.loads(dry.stdout)["steps"]]
    assert any("the repository's CI applies manifests on push: .github/workflows/deploy.yml:" in s for s in steps), steps
    assert any(s.startswith(".github/workflows/deploy.yml: replace with flux reconcile") for s in steps), steps
    assert any("homelab-wizard 5.2" in s for s in steps), steps


def test_the_first_choice_puts_the_rewrite_of_5_2_into_the_same_push(tmp_path, env):
    repo = phase2(tmp_path, env)
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=with-rewrite", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert remote_head(repo) == git(repo, "rev-parse", "HEAD").strip()
    workflow = remote_file(repo, "main", ".github/workflows/deploy.yml")
    assert APPLY not in workflow and "flux reconcile kustomization" in workflow
    assert git(repo, "log", "-1", "--format=%s").startswith("ci: no manual kubectl apply for Flux paths")
    data = status_json(repo, env)
    assert item_status(data, "repo.commit-push")["status"] == "passed"
    res = wiz(repo, "verify", "integrate.no-manual-apply", "--json", env=env)
    assert json.loads(res.stdout)["results"][0]["status"] == "passed", res.stdout


def test_pushing_to_a_branch_first_leaves_the_deployed_branch_alone(tmp_path, env):
    repo = phase2(tmp_path, env)
    before = remote_head(repo)
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=branch", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "the CI does not run for it" in res.stdout
    assert remote_head(repo) == before  # main, which the workflow deploys, is untouched
    pushed = git(repo, "ls-remote", str(origin(repo)), "refs/heads/homelab-wizard/flux").split()[0]
    assert pushed == git(repo, "rev-parse", "HEAD").strip()
    data = status_json(repo, env)
    assert data["answers"]["branch"] == "homelab-wizard/flux"  # Flux follows it from 3.2 on
    assert item_status(data, "repo.commit-push")["status"] == "passed"


def test_a_workflow_that_never_runs_on_push_asks_nothing(tmp_path, env):
    repo = phase2(tmp_path, env, {".github/workflows/deploy.yml": PR_ONLY})
    res = wiz(repo, "run", "repo.commit-push", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert remote_head(repo) == git(repo, "rev-parse", "HEAD").strip()
