"""Fault 49 / issue 23 #2: the owner's git hooks run at 2.5 as `git commit` and `git push` run them.
Real CLI, git and kubectl kustomize on a temp repo with a bare origin; the hooks are shell scripts
in .git/hooks, as gitleaks or pre-commit install them."""
from __future__ import annotations

from tests.helpers import git, item_status, run_cli, status_json
from tests.integration.phase2_fixture import make_homelab
from tests.integration.test_phase2_e2e import log, remote_head, run_all, setup


def hook(repo, name: str, body: str) -> None:
    path = repo / ".git/hooks" / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def ready_for_2_5(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    run_all(repo, env)
    return repo, git(repo, "rev-parse", "HEAD").strip(), remote_head(repo)


def commit_push(repo, env):
    # ci-deploy=push: the fixture's CI workflow applies on push; these tests are about the hooks.
    return run_cli("--repo", str(repo), "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)


def test_a_refusing_pre_commit_hook_stops_2_5_with_its_own_message(tmp_path, env):
    repo, head, remote = ready_for_2_5(tmp_path, env)
    hook(repo, "pre-commit", "echo 'gitleaks: 1 leak found in apps/services/n8n.yaml' >&2\nexit 1\n")
    res = commit_push(repo, env)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "your pre-commit hook (.git/hooks/pre-commit) refused the commit: gitleaks: 1 leak found in " \
           "apps/services/n8n.yaml" in res.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == head and remote_head(repo) == remote  # nothing committed
    assert item_status(status_json(repo, env), "repo.commit-push")["status"] == "failed"
    (repo / ".git/hooks/pre-commit").unlink()
    assert commit_push(repo, env).returncode == 0  # and it goes on once the hook agrees


def test_the_commit_msg_hook_may_edit_every_message(tmp_path, env):
    repo, head, remote = ready_for_2_5(tmp_path, env)
    hook(repo, "commit-msg", 'grep -q "^homelab-wizard" "$1" || { echo "message must name the tool" >&2; exit 1; }\n'
                             'printf "\\nRefs: HOMELAB-1\\n" >> "$1"\n')
    res = commit_push(repo, env)
    assert res.returncode == 0, res.stdout + res.stderr
    bodies = git(repo, "log", "--format=%B%x00", f"{head}..HEAD").split("\0")
    assert [b for b in bodies if b.strip()] and all("Refs: HOMELAB-1" in b for b in bodies if b.strip())


def test_a_refusing_commit_msg_hook_stops_2_5_with_its_own_message(tmp_path, env):
    repo, head, remote = ready_for_2_5(tmp_path, env)
    hook(repo, "commit-msg", 'echo "commit message must start with a JIRA key" >&2\nexit 1\n')
    res = commit_push(repo, env)
    assert res.returncode == 1
    assert "your commit-msg hook (.git/hooks/commit-msg) refused the commit: commit message must start with a " \
           "JIRA key" in res.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == head and remote_head(repo) == remote


def test_a_pre_commit_hook_that_rewrites_files_is_committed_after_2_5_checks_again(tmp_path, env):
    repo, head, _ = ready_for_2_5(tmp_path, env)
    # A formatter: appends a marker comment to every staged YAML file and stages it again.
    hook(repo, "pre-commit", 'git diff --cached --name-only --diff-filter=AM -- "*.yaml" | while read -r f; do\n'
                             '  printf "# formatted\\n" >> "$f"; git add -- "$f"; done\n')
    res = commit_push(repo, env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "your pre-commit hook changed staged files" in res.stdout and "checking 2.4 again" in res.stdout
    assert (repo / "clusters/homelab/apps.yaml").read_text().endswith("# formatted\n")
    assert git(repo, "status", "--porcelain") == ""  # the hook's edits are in the commits
    assert remote_head(repo) == git(repo, "rev-parse", "HEAD").strip()


def test_a_pre_commit_hook_that_breaks_a_flux_path_stops_2_5_before_anything_is_committed(tmp_path, env):
    repo, head, remote = ready_for_2_5(tmp_path, env)
    hook(repo, "pre-commit", "printf 'resources: [missing.yaml]\\n' > apps/kustomization.yaml\n"
                             "git add apps/kustomization.yaml\n")
    res = commit_push(repo, env)
    assert res.returncode == 3, res.stdout + res.stderr
    assert "your pre-commit hook changed apps/kustomization.yaml, and with its change 2.4's check fails" in res.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == head and remote_head(repo) == remote


def test_a_refusing_pre_push_hook_is_reported_as_the_hook_s_refusal_not_the_network(tmp_path, env):
    repo, head, remote = ready_for_2_5(tmp_path, env)
    hook(repo, "pre-push", "echo 'pre-push: run the test suite first' >&2\nexit 1\n")
    res = commit_push(repo, env)
    assert res.returncode == 1
    assert "your pre-push hook refused it: pre-push: run the test suite first" in res.stderr
    assert "could not be reached" not in res.stderr and "protected branch" not in res.stderr
    assert remote_head(repo) == remote and log(repo)[0].startswith("homelab-wizard 2.4")  # committed, not pushed
