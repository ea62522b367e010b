"""Rollback `revert` with the real CLI and git, no cluster: a bare remote, Phase 2 committed and pushed."""
from __future__ import annotations

import json

import pytest

from tests.helpers import git, item_status, run_cli, status_json
from tests.integration.test_phase2_e2e import ITEMS, remote_head, run_all, setup
from tests.integration.phase2_fixture import make_homelab


def wiz(repo, *args, env):
    return run_cli("--repo", str(repo), *args, env=env)


def files_at(repo, rev: str) -> dict[str, str]:
    out = git(repo, "ls-tree", "-r", rev).splitlines()
    return {line.split("\t", 1)[1]: line.split()[2] for line in out}


@pytest.fixture
def migrated(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    before = git(repo, "rev-parse", "HEAD").strip()
    setup(repo, env, "a")
    run_all(repo, env)
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    assert res.returncode == 0, res.stderr
    return repo, before


def test_revert_brings_back_the_original_layout_and_pushes(migrated, env):
    repo, before = migrated
    original = files_at(repo, before)
    # A later user commit on an unrelated file stays.
    (repo / "NOTES.md").write_text("my notes\n")
    git(repo, "add", "NOTES.md")
    git(repo, "commit", "-qm", "user: notes")

    listing = wiz(repo, "rollback", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    rows = {r["name"]: r for r in json.loads(listing.stdout)["actions"]}
    assert rows["revert"]["available"] and "4 wizard commit(s)" in rows["revert"]["reason"]
    assert not rows["restore"]["available"]  # no Phase 1 backup in this repo

    dry = wiz(repo, "rollback", "revert", "--dry-run", "--json", env=env)
    assert dry.returncode == 0, dry.stderr
    steps = [s["description"] for s in json.loads(dry.stdout)["steps"]]
    assert sum(s.startswith("git revert --no-edit") for s in steps) == 4
    assert any(s.startswith("git push origin main") for s in steps)

    # Not a terminal and no --yes: refused.
    assert wiz(repo, "rollback", "revert", env=env).returncode == 4

    res = wiz(repo, "rollback", "revert", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "rollback revert: passed" in res.stdout
    now = files_at(repo, "HEAD")
    assert {p: h for p, h in now.items() if p != "NOTES.md"} == original
    assert "NOTES.md" in now
    assert git(repo, "status", "--porcelain") == ""
    assert remote_head(repo) == git(repo, "rev-parse", "HEAD").strip()
    subjects = git(repo, "log", "--format=%s", "-5").splitlines()
    assert subjects[0].startswith('Revert "homelab-wizard 2.1') and subjects[3].startswith('Revert "homelab-wizard 2.4')
    data = status_json(repo, env)
    for item in ITEMS + ["repo.commit-push"]:
        st = item_status(data, item)
        assert st["status"] == "pending" and "rollback" in st["message"], (item, st)
    # Nothing left to revert.
    rows = {r["name"]: r for r in json.loads(wiz(repo, "rollback", "--json", env=env).stdout)["actions"]}
    assert not rows["revert"]["available"]
    assert wiz(repo, "rollback", "revert", "--yes", env=env).returncode == 3


def test_revert_conflicting_with_a_later_user_commit_stops_cleanly(migrated, env):
    repo, _ = migrated
    f = repo / "clusters/homelab/apps.yaml"
    f.write_text(f.read_text().replace("interval:", "# checked more often\n  interval:", 1))
    git(repo, "commit", "-qam", "user: tune the apps Kustomization")
    head = git(repo, "rev-parse", "HEAD").strip()
    res = wiz(repo, "rollback", "revert", "--yes", env=env)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "conflicts with later commits" in res.stderr and "clusters/homelab/apps.yaml" in res.stderr
    assert "git revert --continue" in res.stderr and "repository is clean" in res.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == head
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / ".git/REVERT_HEAD").exists() and not (repo / ".git/sequencer").exists()
    journal = json.loads((repo / ".git/homelab-wizard/state.json").read_text())["journal"] if (
        repo / ".git/homelab-wizard/state.json").exists() else None
    if journal is not None:
        assert journal[-1]["action"] == "rollback-revert" and journal[-1]["phase"] == "failed"
    # The checklist is untouched: nothing was undone.
    assert item_status(status_json(repo, env), "repo.apps")["status"] == "passed"


def test_revert_refuses_a_dirty_tree(migrated, env):
    repo, _ = migrated
    (repo / "apps/services/n8n.yaml").write_text("changed: true\n")
    res = wiz(repo, "rollback", "revert", "--dry-run", env=env)
    assert res.returncode == 4 and "uncommitted changes" in res.stderr and "apps/services/n8n.yaml" in res.stderr


def test_revert_also_undoes_the_commits_of_phase_5(migrated, env):
    """Issue 12: Phase 5 journals one `commit=` per item, which revert never collected, so 5.1's commit
    stayed after a rollback. Now its commit is reverted with Phase 2's and 5.1 goes back to pending."""
    repo, before = migrated
    original = files_at(repo, before)
    res = wiz(repo, "run", "integrate.docs", "--set", "secrets=sops", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "## GitOps with Flux" in (repo / "README.md").read_text()
    dry = wiz(repo, "rollback", "revert", "--dry-run", "--json", env=env)
    steps = [s["description"] for s in json.loads(dry.stdout)["steps"]]
    assert sum(s.startswith("git revert --no-edit") for s in steps) == 5, steps
    res = wiz(repo, "rollback", "revert", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert files_at(repo, "HEAD") == original
    assert remote_head(repo) == git(repo, "rev-parse", "HEAD").strip()
    assert item_status(status_json(repo, env), "integrate.docs")["status"] == "pending"


@pytest.fixture
def migrated_with_secrets(tmp_path, env):
    """Phase 2 and S.1-S.4 with sops and age, committed and pushed: a Secret-only file encrypted in place
    and a mixed file whose Secret was split out into a .sops.yaml file."""
    from tests.integration.test_secrets_sops import CANARY, MIXED

    repo = make_homelab(tmp_path / "repo", with_secret=True)
    (repo / "infrastructure/kubernetes/services/n8n-config.yaml").write_text(MIXED)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "n8n config")
    git(repo, "push", "-q", "origin", "main")
    setup(repo, env, "a")
    run_all(repo, env)
    for item, sets in (("secrets.scan", ["--set", "secrets=sops"]), ("secrets.keys", []), ("secrets.convert", []),
                       ("secrets.decryption", []), ("repo.commit-push", ["--set", "ci-deploy=push"])):
        res = wiz(repo, "run", item, *sets, "--yes", env=env)
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
    assert CANARY not in git(repo, "grep", "-I", "-e", CANARY, "HEAD", check=False)
    return repo, CANARY


def plaintext_in_new_commits(repo, since: str, canary: str) -> list[str]:
    """The revert commits (since `since`) whose tree holds the canary value in plain text."""
    out = []
    for c in git(repo, "rev-list", f"{since}..HEAD").split():
        if git(repo, "grep", "-I", "-l", "-e", canary, c, check=False).strip():
            out.append(c)
    return out


def test_revert_keeps_encrypted_secrets_encrypted_and_the_preview_says_so(migrated_with_secrets, env):
    """Issue 21: revert put the pre-migration plaintext Secrets back into HEAD and pushed them, without a
    word. Now no revert commit holds a plaintext value; the files keep their encrypted form, named in the
    preview and in the verdict."""
    repo, canary = migrated_with_secrets
    start = git(repo, "rev-parse", "HEAD").strip()
    dry = wiz(repo, "rollback", "revert", "--dry-run", "--json", env=env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    steps = [s["description"] for s in json.loads(dry.stdout)["steps"]]
    kept = [s for s in steps if s.startswith("kept encrypted:")]
    assert kept and "apps/services/secret.yaml" in kept[0] and "n8n-config-secrets.sops.yaml" in kept[0], steps
    assert git(repo, "rev-parse", "HEAD").strip() == start and git(repo, "status", "--porcelain") == ""
    assert "revert-" not in git(repo, "worktree", "list")  # the preview's scratch worktree is gone

    res = wiz(repo, "rollback", "revert", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "kept encrypted" in res.stdout and canary not in res.stdout + res.stderr
    assert plaintext_in_new_commits(repo, start, canary) == []
    assert remote_head(repo) == git(repo, "rev-parse", "HEAD").strip()
    # The Secret-only file is back where it was, still encrypted; the mixed file is back without its Secret.
    secret = (repo / "infrastructure/kubernetes/services/secret.yaml").read_text()
    assert "sops:" in secret and "ENC[" in secret
    mixed = (repo / "infrastructure/kubernetes/services/n8n-config.yaml").read_text()
    assert "kind: ConfigMap" in mixed and "kind: Secret" not in mixed
    sops_files = git(repo, "ls-files", "*n8n-config-secrets.sops.yaml").split()
    assert len(sops_files) == 1 and "ENC[" in (repo / sops_files[0]).read_text()
    assert not (repo / "clusters").exists() and not (repo / "apps/services/kustomization.yaml").exists()
    assert git(repo, "status", "--porcelain") == ""


def test_revert_refuses_and_names_a_file_it_would_recreate_in_plaintext(migrated_with_secrets, env):
    """A wizard commit that deleted a plaintext Secret file leaves nothing encrypted to keep: revert
    refuses before changing anything and names the file (the preview already does)."""
    repo, canary = migrated_with_secrets
    # As a Helm scaffold or a duplicate removal does: the wizard's own commit removes a plaintext file.
    # (Journaled like a Phase 5 commit, the one shape of a wizard commit that carries no plan.)
    (repo / "legacy").mkdir()
    (repo / "legacy/old-secret.yaml").write_text(
        f"apiVersion: v1\nkind: Secret\nmetadata: {{name: old, namespace: homelab}}\nstringData: {{pw: {canary}}}\n")
    git(repo, "add", "legacy")
    git(repo, "commit", "-qm", "user: an old Secret")
    git(repo, "rm", "-q", "legacy/old-secret.yaml")
    git(repo, "commit", "-qm", "homelab-wizard: remove the old Secret")
    sha = git(repo, "rev-parse", "HEAD").strip()
    state_file = repo / ".git/homelab-wizard/state.json"
    state = json.loads(state_file.read_text())
    state["journal"].append({"at": "2026-12-07T10:00:00+00:00", "action": "integrate-committed",
                             "item": "integrate.docs", "commit": sha,
                             "files": ["legacy/old-secret.yaml"], "message": "remove"})
    state_file.write_text(json.dumps(state))
    start = git(repo, "rev-parse", "HEAD").strip()

    dry = wiz(repo, "rollback", "revert", "--dry-run", env=env)
    assert dry.returncode == 4, dry.stdout + dry.stderr
    assert "plaintext Secrets" in dry.stderr and "legacy/old-secret.yaml" in dry.stderr and canary not in dry.stderr
    res = wiz(repo, "rollback", "revert", "--yes", env=env)
    assert res.returncode == 4 and "legacy/old-secret.yaml" in res.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == start and git(repo, "status", "--porcelain") == ""
