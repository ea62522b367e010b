"""Phase 2 end to end with the real CLI, git and kubectl kustomize, no cluster, a bare git remote."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
import yaml

from tests.helpers import VENV_BIN, git, item_status, run_cli, status_json
from tests.integration.phase2_fixture import CERT_MANAGER, NAMESPACES, POSTGRES, make_homelab

ITEMS = ["repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests"]


def wiz(repo, *args, env):
    return run_cli("--repo", str(repo), *args, env=env)


def tree(repo) -> str:
    git(repo, "add", "-A", "--dry-run")
    return git(repo, "status", "--porcelain") + git(repo, "write-tree")


def setup(repo, env, option: str, *sets: str):
    res = wiz(repo, "run", "prep.structure", "--set", f"option={option}", *sets, "--yes", env=env)
    assert res.returncode == 0, res.stderr


def run_all(repo, env, items=ITEMS):
    for item in items:
        res = wiz(repo, "run", item, "--yes", env=env)
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
        assert item_status(status_json(repo, env), item)["status"] == "passed"


def origin(repo):
    return repo.parent / (repo.name + "-origin.git")


def remote_head(repo):
    return git(repo, "ls-remote", str(origin(repo)), "refs/heads/main").split()[0]


def log(repo):
    return git(repo, "log", "--format=%s").splitlines()


def test_option_a_end_to_end_with_push_and_idempotence(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    run_all(repo, env)
    # Layout: infrastructure stays, apps moved, Flux manifests in clusters/homelab.
    assert (repo / "apps/services/n8n.yaml").is_file() and not (repo / "infrastructure/kubernetes/services").exists()
    assert (repo / "apps/homelab-dashboard/deployment.yaml").is_file()
    assert (repo / "services/homelab-dashboard/Dockerfile").is_file()  # app source stays where it was
    assert (repo / "infrastructure/kubernetes/databases/kustomization.yaml").is_file()
    infra = list(yaml.safe_load_all((repo / "clusters/homelab/infrastructure.yaml").read_text()))
    assert [d["metadata"]["name"] for d in infra] == ["infra-controllers", "infra-configs"]
    assert infra[0]["spec"]["path"] == "./infrastructure/kubernetes" and infra[0]["spec"]["wait"] is True
    assert infra[1]["spec"]["dependsOn"] == [{"name": "infra-controllers"}]
    apps = yaml.safe_load((repo / "clusters/homelab/apps.yaml").read_text().split("---\n", 1)[1])
    assert apps["spec"]["dependsOn"] == [{"name": "infra-configs"}] and apps["spec"]["path"] == "./apps"
    assert {h["name"] for h in apps["spec"]["healthChecks"]} == {"n8n", "homelab-dashboard"}
    # The ClusterIssuer (CRD from the cert-manager HelmRelease) is in infra-configs, after the controllers.
    configs = (repo / "infrastructure/configs/kustomization.yaml").read_text()
    assert "../kubernetes/certificates" in configs
    assert "certificates" not in (repo / "infrastructure/kubernetes/kustomization.yaml").read_text()
    # The existing kustomization lost the deprecated bases, kept its comment.
    mk = (repo / "infrastructure/kubernetes/monitoring/kustomization.yaml").read_text()
    assert "bases" not in mk and mk.startswith("# Monitoring stack") and "resources:\n  - grafana.yaml" in mk

    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    assert res.returncode == 0, res.stderr
    assert log(repo)[:4] == ["homelab-wizard 2.4: add Flux Kustomizations (infrastructure, then apps)",
                             "homelab-wizard 2.3: move app manifests to apps/ (git mv)",
                             "homelab-wizard 2.2: add a kustomization.yaml to every manifest folder",
                             "homelab-wizard 2.1: add clusters/homelab/, Flux's entry point"]
    assert remote_head(repo) == git(repo, "rev-parse", "HEAD").strip()
    assert git(repo, "status", "--porcelain") == ""
    # History kept for moved files.
    assert len(git(repo, "log", "--follow", "--format=%H", "--", "apps/services/n8n.yaml").split()) == 2

    # Re-running every item changes nothing and makes no commit.
    before = git(repo, "rev-parse", "HEAD")
    for item in ITEMS + ["repo.commit-push"]:
        res = wiz(repo, "run", item, "--yes", env=env)
        assert res.returncode == 0, f"{item}: {res.stderr}"
        assert "Nothing to change" in res.stdout or item == "repo.commit-push"
    assert git(repo, "rev-parse", "HEAD") == before and git(repo, "status", "--porcelain") == ""
    # 2.1-2.5 (2.0 compares with a cluster, and this test has none)
    res = wiz(repo, "verify", *ITEMS, "repo.commit-push", "--json", env=env)
    assert res.returncode == 0, res.stdout
    assert all(r["status"] == "passed" for r in json.loads(res.stdout)["results"])

    # Issue 16 ("red while fine"): flux bootstrap pushes its commits on top of the wizard's. 2.5 stays
    # true: origin still has the wizard's commit, with more on top, in a clone that has not fetched them.
    other = tmp_path / "bootstrap-clone"
    git(tmp_path, "clone", "-q", str(origin(repo)), str(other))
    for name in ("gotk-components.yaml", "gotk-sync.yaml"):
        (other / "clusters/homelab/flux-system").mkdir(parents=True, exist_ok=True)
        (other / "clusters/homelab/flux-system" / name).write_text("# written by flux bootstrap\n")
        git(other, "add", ".")
        git(other, "commit", "-qm", f"Add Flux {name}")
    git(other, "push", "-q", "origin", "main")
    assert remote_head(repo) != git(repo, "rev-parse", "HEAD").strip()
    res = wiz(repo, "verify", "repo.commit-push", "--json", env=env)
    assert res.returncode == 0, res.stdout
    assert "with later commits on top" in item_status(status_json(repo, env), "repo.commit-push")["message"]


def test_option_b_end_to_end_keeps_comments_and_upgrades_flux_apis(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "b")
    run_all(repo, env)
    for p in ("infrastructure/base/namespaces/namespace.yaml", "infrastructure/base/databases/postgres.yaml",
              "infrastructure/base/cert-manager/helmrelease.yaml", "infrastructure/base/certificates/cluster-issuer.yaml",
              "infrastructure/sources/jetstack.yaml", "infrastructure/base/monitoring/values.yaml",
              "infrastructure/base/monitoring/dashboards/homelab.json", "apps/base/services/n8n.yaml",
              "apps/base/homelab-dashboard/deployment.yaml", "apps/overlays/homelab/kustomization.yaml",
              "infrastructure/overlays/homelab/controllers/kustomization.yaml",
              "infrastructure/overlays/homelab/configs/kustomization.yaml"):
        assert (repo / p).is_file(), p
    # Golden round trip: moved files are byte-identical; edited ones change only the apiVersion line.
    assert (repo / "infrastructure/base/namespaces/namespace.yaml").read_text() == NAMESPACES
    assert (repo / "infrastructure/base/databases/postgres.yaml").read_text() == POSTGRES
    assert (repo / "infrastructure/base/cert-manager/helmrelease.yaml").read_text() == CERT_MANAGER.replace(
        "helm.toolkit.fluxcd.io/v2beta1", "helm.toolkit.fluxcd.io/v2")
    assert "source.toolkit.fluxcd.io/v1\n" in (repo / "infrastructure/sources/jetstack.yaml").read_text()
    # Untouched: compose, CI, non-manifest files.
    assert (repo / "infrastructure/compute-node/docker-compose.yml").is_file()
    assert (repo / ".github/workflows/deploy.yml").is_file()
    # Stateful objects are protected from pruning in the rendered output.
    out = subprocess.run([str(VENV_BIN / "kubectl"), "kustomize", str(repo / "infrastructure/overlays/homelab/controllers")],
                         capture_output=True, text=True, check=True).stdout
    docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(out)}
    for k in (("Namespace", "homelab"), ("PersistentVolumeClaim", "postgres-data"), ("StatefulSet", "postgres")):
        assert docs[k]["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/prune"] == "disabled"
    assert "annotations" not in docs[("Service", "postgres")]["metadata"]
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    assert res.returncode == 0, res.stderr
    assert remote_head(repo) == git(repo, "rev-parse", "HEAD").strip()
    assert len(git(repo, "log", "--follow", "--format=%H", "--", "infrastructure/base/databases/postgres.yaml").split()) == 2


def test_plaintext_secret_blocks_the_commit_and_names_the_file(tmp_path, env):
    repo = make_homelab(tmp_path / "repo", with_secret=True)
    setup(repo, env, "a")
    run_all(repo, env)
    head = git(repo, "rev-parse", "HEAD")
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    assert res.returncode == 3
    # 2.5 cites the Secret at the line the scan (and the Secrets screen) cites: its first value,
    # not the line its document starts on (issue 15, point 8).
    from wizard.secrets.detect import find
    from wizard.secrets.rules import PLAINTEXT_SECRET

    cited = [f"{f.path}:{f.line}" for f in find(repo) if f.rule == PLAINTEXT_SECRET]
    assert cited == ["apps/services/secret.yaml:9"], cited
    assert "plaintext Secrets" in res.stderr and "(apps/services/secret.yaml:9)" in res.stderr, res.stderr
    assert "secrets.scan" in res.stderr
    assert git(repo, "rev-parse", "HEAD") == head  # nothing committed
    assert "n8n-key-test" not in (repo / ".git/homelab-wizard/state.json").read_text()


def test_malformed_yaml_blocks_before_any_write(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    (repo / "infrastructure/kubernetes/services/broken.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n\tdata: 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "broken file")
    setup(repo, env, "b")
    before = tree(repo)
    for item in ("repo.kustomizations", "repo.apps", "repo.flux-manifests"):
        res = wiz(repo, "run", item, "--yes", env=env)
        assert res.returncode == 3, res.stderr
        assert "infrastructure/kubernetes/services/broken.yaml:5: is not valid YAML" in res.stderr
    assert tree(repo) == before


def test_duplicate_object_blocks_headless_until_chosen(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    dup = (repo / "infrastructure/kubernetes/services/n8n.yaml").read_text().split("---\n")[0]
    # A copy that differs (an identical copy is settled by the wizard itself: one object either way).
    (repo / "services/homelab-dashboard/k8s/n8n-copy.yaml").write_text(dup.replace("{app: n8n}", "{app: n8n, copy: x}"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "copy")
    setup(repo, env, "a")
    res = wiz(repo, "run", "repo.kustomizations", "--yes", env=env)
    assert res.returncode == 3
    assert ("infrastructure/kubernetes/services/n8n.yaml:2" in res.stderr
            and "services/homelab-dashboard/k8s/n8n-copy.yaml:2" in res.stderr)
    assert "--set duplicate.Deployment/homelab/n8n=<" in res.stderr and "the copies differ" in res.stderr
    res = wiz(repo, "run", "repo.kustomizations", "--set",
              "duplicate.Deployment/homelab/n8n=infrastructure/kubernetes/services/n8n.yaml", "--yes", env=env)
    assert res.returncode == 0, res.stderr
    k = (repo / "services/homelab-dashboard/k8s/kustomization.yaml").read_text()
    assert "n8n-copy.yaml" not in k and "deployment.yaml" in k
    run_all(repo, env, ["repo.cluster-dir", "repo.apps", "repo.flux-manifests"])


def test_dirty_tree_is_refused_naming_the_file(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    run_all(repo, env, ITEMS[:1])
    (repo / "docs/README.md").write_text("# changed\n")
    res = wiz(repo, "run", "repo.kustomizations", "--yes", env=env)
    assert res.returncode == 4 and "docs/README.md" in res.stderr and "not the wizard's" in res.stderr


def test_classification_override(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a", "--set", "class.infrastructure/kubernetes/services=infrastructure")
    run_all(repo, env)
    assert (repo / "infrastructure/kubernetes/services/n8n.yaml").is_file()
    assert "- services" in (repo / "infrastructure/kubernetes/kustomization.yaml").read_text()


def test_kill_9_mid_apply_then_resume_finishes_the_step(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "b")
    run_all(repo, env, ITEMS[:2])
    proc = subprocess.Popen([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo), "run", "repo.apps", "--yes"],
                            env={**env, "HOMELAB_WIZARD_TEST_PAUSE_AFTER_OP": "repo.apps:2"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        for line in proc.stdout:
            if line.startswith("PAUSED repo.apps:2"):
                break
            assert time.monotonic() < deadline
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    # Half applied: some folders moved, others not.
    assert not (repo / "infrastructure/kubernetes/cert-manager").exists()
    assert (repo / "infrastructure/kubernetes/services").exists()
    # Another item refuses to start on top of the half-applied one.
    res = wiz(repo, "run", "repo.flux-manifests", "--yes", env=env)
    assert res.returncode == 3 and "repo.apps was interrupted" in res.stderr
    res = wiz(repo, "run", "repo.apps", "--dry-run", env=env)
    assert res.returncode == 0 and "was interrupted" in res.stdout
    res = wiz(repo, "run", "repo.apps", "--yes", env=env)
    assert res.returncode == 0, res.stderr
    assert "finishing the interrupted run" in res.stdout
    run_all(repo, env, ITEMS[3:])
    assert wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env).returncode == 0
    assert git(repo, "status", "--porcelain") == ""
    for f in ("infrastructure/base/cert-manager/helmrelease.yaml", "apps/base/services/n8n.yaml"):
        assert len(git(repo, "log", "--follow", "--format=%H", "--", f).split()) >= 2, f


def test_push_rejected_non_fast_forward_keeps_commits_never_forces(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(origin(repo)), str(other))
    (other / "notes.md").write_text("someone else\n")
    git(other, "add", "notes.md")
    git(other, "-c", "user.email=o@example.invalid", "-c", "user.name=O", "commit", "-qm", "other")
    git(other, "push", "-q", "origin", "main")
    their = remote_head(repo)
    setup(repo, env, "a")
    run_all(repo, env)
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    assert res.returncode == 1
    assert "committed, not pushed" in res.stderr + res.stdout and "git pull --rebase" in res.stderr + res.stdout
    assert remote_head(repo) == their  # not overwritten
    assert log(repo)[0].startswith("homelab-wizard 2.4") and len(log(repo)) == 5
    st = item_status(status_json(repo, env), "repo.commit-push")
    assert st["status"] == "failed" and "committed, not pushed" in st["message"]
    audit = (repo / ".git/homelab-wizard/audit.jsonl").read_text()
    assert "--force" not in audit and '"+refs' not in audit
    # Verify agrees: committed, not pushed.
    res = wiz(repo, "verify", "repo.commit-push", "--json", env=env)
    assert json.loads(res.stdout)["results"][0]["message"].startswith("committed, not pushed")


def test_push_rejected_by_hook_says_protected_branch(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    hook = origin(repo) / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(0o755)
    setup(repo, env, "a")
    run_all(repo, env)
    before = remote_head(repo)
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    assert res.returncode == 1
    assert "committed, not pushed" in res.stderr and "protected branch?" in res.stderr
    assert remote_head(repo) == before
    # A second attempt does not commit again; it only retries the push.
    commits = log(repo)
    hook.unlink()
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    assert res.returncode == 0, res.stderr
    assert log(repo) == commits and remote_head(repo) == git(repo, "rev-parse", "HEAD").strip()


def test_a_plan_that_would_not_hold_is_found_in_a_scratch_copy_before_anything_changes(tmp_path, env):
    """2.4 would stop on a hand-written clusters/homelab/apps.yaml: 2.2 finds that out in its scratch
    worktree and refuses, and the user's tree and index stay exactly as they were."""
    repo = make_homelab(tmp_path / "repo")
    (repo / "clusters/homelab").mkdir(parents=True)
    (repo / "clusters/homelab/apps.yaml").write_text("# my own notes\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "notes")
    setup(repo, env, "a")
    before = tree(repo)
    res = wiz(repo, "run", "repo.kustomizations", "--yes", env=env)
    assert res.returncode == 3, res.stdout + res.stderr
    assert "tried first in a scratch copy" in res.stderr and "clusters/homelab/apps.yaml already exists" in res.stderr
    assert tree(repo) == before
    assert len(git(repo, "worktree", "list").splitlines()) == 1  # the scratch worktree is gone


def test_commit_signing_failure_stops_2_5_before_anything_is_committed_or_pushed(tmp_path, env):
    """Fault (issue 14 item 5): with commit.gpgSign on and a signer that fails, 2.5 stops with git's
    message, like a plain `git commit` does, instead of committing and pushing unsigned."""
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    run_all(repo, env)
    before = (git(repo, "rev-parse", "HEAD").strip(), remote_head(repo))
    git(repo, "config", "commit.gpgsign", "true")
    git(repo, "config", "gpg.program", "false")  # the signer fails, as a locked or missing key would
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "could not sign the commit" in res.stderr and "Nothing was committed or pushed" in res.stderr
    assert (git(repo, "rev-parse", "HEAD").strip(), remote_head(repo)) == before
    git(repo, "config", "--unset", "gpg.program")
    git(repo, "config", "commit.gpgsign", "false")
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)  # fixed signing: it goes through
    assert res.returncode == 0, res.stdout + res.stderr
    assert remote_head(repo) == git(repo, "rev-parse", "HEAD").strip()


def test_dry_run_never_stores_the_answers_it_was_given(tmp_path, env):
    """Fault (issue 14 item 7): `run 1.1 --dry-run --set option=a` after Option B was chosen stored `a`."""
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "b")
    res = wiz(repo, "run", "prep.structure", "--dry-run", "--set", "option=a", env=env)
    assert res.returncode == 0, res.stderr
    assert "Option A" in res.stdout  # the preview used the answer given
    assert status_json(repo, env)["answers"]["option"] == "b"
    res = wiz(repo, "run", "repo.apps", "--dry-run", env=env)
    assert "infrastructure/base" in res.stdout  # 2.3 still plans Option B


def _chattr(flag: str, path) -> bool:
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


def test_read_only_folder_blocks_before_any_change(tmp_path, env):
    """Fault (issue 14 item 8): a read-only folder gave an OSError traceback and partial writes. An
    immutable folder (chattr +i: read-only even for root) is named before anything changes."""
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    run_all(repo, env, ITEMS[:1])
    folder = repo / "infrastructure/kubernetes/databases"
    if not _chattr("+i", folder):
        pytest.skip("chattr +i is not available on this file system, so a read-only folder cannot be made here")
    try:
        before = tree(repo)
        res = wiz(repo, "run", "repo.kustomizations", "--yes", env=env)
        assert res.returncode == 3, res.stdout + res.stderr
        assert "Traceback" not in res.stderr
        assert "infrastructure/kubernetes/databases" in res.stderr and "cannot be written" in res.stderr
        assert tree(repo) == before
    finally:
        _chattr("-i", folder)
    res = wiz(repo, "run", "repo.kustomizations", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr


def test_full_disk_under_the_state_folder_is_a_clear_error_and_the_state_survives(tmp_path, env):
    """Fault (issue 14 item 8): a full disk under .git/homelab-wizard gave an OSError traceback."""
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    state_dir = repo / ".git/homelab-wizard"
    saved = {p.name: p.read_bytes() for p in state_dir.iterdir() if p.is_file()}
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(state_dir)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here to stand for a full disk")
    try:
        for name, data in saved.items():
            (state_dir / name).write_bytes(data)
        (state_dir / "filler").write_bytes(b"\0" * (16 * 1024))  # fills the rest (ENOSPC from now on)
    except OSError:
        pass
    try:
        res = wiz(repo, "run", "repo.cluster-dir", "--yes", env=env)
        assert res.returncode == 1, res.stdout + res.stderr
        assert "Traceback" not in res.stderr and "cannot write" in res.stderr and "homelab-wizard" in res.stderr
        assert json.loads((state_dir / "state.json").read_text())["answers"]["option"] == "a"  # intact
    finally:
        subprocess.run(["umount", str(state_dir)], check=True)


@pytest.mark.parametrize("fault", ["index.lock", "detached", "rebase", "merge", "unborn"])
def test_git_states_that_are_not_safe_to_change_are_refused_each_with_its_own_message(tmp_path, env, fault):
    """reliability.md fault 13: detached HEAD, an unborn branch, a rebase or merge in progress, or
    index.lock present: refused before any change, with a message specific to each."""
    if fault == "unborn":
        repo = tmp_path / "repo"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        (repo / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    else:
        repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    want = {"index.lock": (4, ".git/index.lock exists"), "detached": (4, "HEAD is detached"),
            "rebase": (4, "a rebase is in progress"), "merge": (4, "a merge is in progress"),
            "unborn": (3, "has no commits yet")}[fault]
    if fault == "index.lock":
        (repo / ".git/index.lock").write_text("")
    elif fault == "detached":
        git(repo, "checkout", "-q", "--detach")
    elif fault == "rebase":
        (repo / ".git/rebase-merge").mkdir()
    elif fault == "merge":
        (repo / ".git/MERGE_HEAD").write_text(git(repo, "rev-parse", "HEAD"))
    before = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if ".git/" not in p.as_posix() + "/")
    res = wiz(repo, "run", "repo.cluster-dir", "--yes", env=env)
    assert (res.returncode, want[1] in res.stderr) == (want[0], True), res.stdout + res.stderr
    after = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if ".git/" not in p.as_posix() + "/")
    assert after == before


def test_unreachable_origin_stops_at_the_push_and_resumes(tmp_path, env):
    """reliability.md fault 16: origin unreachable: 2.5 commits, stops at the push with a clear
    message, no retry loop; once the remote is back, running 2.5 again pushes (no new commits)."""
    repo = make_homelab(tmp_path / "repo")
    good = git(repo, "remote", "get-url", "origin").strip()
    setup(repo, env, "a")
    run_all(repo, env)
    git(repo, "remote", "set-url", "origin", "file:///nonexistent/homelab.git")
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    assert res.returncode == 1 and "committed, not pushed" in res.stderr and "could not be reached" in res.stderr
    commits = log(repo)
    git(repo, "remote", "set-url", "origin", good)
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert log(repo) == commits and remote_head(repo) == git(repo, "rev-parse", "HEAD").strip()
