"""The headless CLI on real git repositories (no cluster): exit codes, refusals, state."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap


from tests.helpers import NO_CLUSTER, cli_env, git, item_status, make_repo, run_cli, status_json



def env(tmp_path, **extra):
    return cli_env(HOMELAB_WIZARD_DATA=str(tmp_path / "data"), **NO_CLUSTER, **extra)


def test_not_a_git_repo_is_bad_usage_with_advice(tmp_path):
    res = run_cli("--repo", str(tmp_path), "status", env=env(tmp_path))
    assert res.returncode == 2
    assert "is not inside a git repository" in res.stderr and "homelab-wizard demo" in res.stderr


def test_status_json_has_every_item_with_stable_ids(tmp_path):
    repo = make_repo(tmp_path / "repo")
    data = status_json(repo, env(tmp_path))
    assert data["schema"] == 1 and data["repo"] == str(repo) and data["cluster"] is None
    ids = [i["id"] for ph in data["phases"] for i in ph["items"]]
    assert ids[:4] == ["prep.preflight", "prep.structure", "prep.backup", "prep.inventory"]
    # The seed plan's 25, and issue 13's 2.0 (adopt) and 3.0 (ownership preview).
    assert len(ids) == 27 and len(set(ids)) == 27 and {"repo.adopt", "bootstrap.ownership"} <= set(ids)
    for ph in data["phases"]:
        for i in ph["items"]:
            assert set(i) >= {"id", "title", "status", "checked_at", "message", "evidence"}


def test_structure_preview_then_choice_is_recorded(tmp_path):
    repo = make_repo(tmp_path / "repo")
    dry = run_cli("--repo", str(repo), "run", "prep.structure", "--set", "option=b", "--dry-run", env=env(tmp_path))
    assert dry.returncode == 0, dry.stderr
    assert "What Option A would do" in dry.stdout and "What Option B would do" in dry.stdout
    assert "infrastructure/kubernetes/services  ⇒  apps/base/services" in dry.stdout
    assert item_status(status_json(repo, env(tmp_path)), "prep.structure")["status"] == "pending"
    res = run_cli("--repo", str(repo), "run", "prep.structure", "--set", "option=b", "--yes", env=env(tmp_path))
    assert res.returncode == 0, res.stderr
    data = status_json(repo, env(tmp_path))
    assert data["answers"]["option"] == "b"
    assert item_status(data, "prep.structure")["status"] == "passed"
    assert git(repo, "status", "--porcelain") == ""  # 1.1 only records a choice


def test_bad_answer_is_bad_usage_naming_the_choices(tmp_path):
    repo = make_repo(tmp_path / "repo")
    res = run_cli("--repo", str(repo), "run", "prep.structure", "--set", "option=c", "--yes", env=env(tmp_path))
    assert res.returncode == 2 and "option='c' is not one of: a, b" in res.stderr


def test_mutating_run_without_yes_on_non_interactive_stdin_refuses(tmp_path):
    repo = make_repo(tmp_path / "repo")
    res = run_cli("--repo", str(repo), "run", "prep.structure", "--set", "option=a", env=env(tmp_path))
    assert res.returncode == 4 and "pass --yes" in res.stderr
    assert item_status(status_json(repo, env(tmp_path)), "prep.structure")["status"] == "pending"


def test_running_an_item_early_names_the_missing_prerequisites(tmp_path):
    repo = make_repo(tmp_path / "repo")
    res = run_cli("--repo", str(repo), "run", "prep.backup", "--yes", env=env(tmp_path))
    assert res.returncode == 3 and "needs 1.0 prep.preflight to pass first" in res.stderr


def test_corrupt_state_file_is_refused_not_reset(tmp_path):
    repo = make_repo(tmp_path / "repo")
    status_json(repo, env(tmp_path))
    run_cli("--repo", str(repo), "verify", "prep.structure", env=env(tmp_path))
    state = repo / ".git/homelab-wizard/state.json"
    state.write_text("{ not json")
    res = run_cli("--repo", str(repo), "verify", "prep.structure", env=env(tmp_path))
    assert res.returncode == 4 and "is corrupt" in res.stderr and "left untouched" in res.stderr
    assert state.read_text() == "{ not json"


def test_second_wizard_on_the_same_repo_is_refused(tmp_path):
    repo = make_repo(tmp_path / "repo")
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from wizard.session import Session
        s = Session.open({str(repo)!r}); s.store.acquire("tui"); print("locked", flush=True); time.sleep(120)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        res = run_cli("--repo", str(repo), "verify", "prep.structure", env=env(tmp_path))
        assert res.returncode == 4
        assert "another homelab-wizard is working on" in res.stderr and f"pid {holder.pid}" in res.stderr
    finally:
        holder.kill()
        holder.wait()


def test_dirty_tree_is_listed_by_preflight(tmp_path):
    repo = make_repo(tmp_path / "repo")
    (repo / "infrastructure/kubernetes/services/web.yaml").write_text("changed: true\n")
    (repo / "notes.txt").write_text("untracked\n")
    res = run_cli("--repo", str(repo), "verify", "prep.preflight", "--json", env=env(tmp_path))
    assert res.returncode == 1
    msg = json.loads(res.stdout)["results"][0]["message"]
    assert "uncommitted changes" in msg and "infrastructure/kubernetes/services/web.yaml (M)" in msg and "notes.txt (??)" in msg


def test_doctor_json_reports_tools_repo_and_cluster(tmp_path):
    repo = make_repo(tmp_path / "repo")
    res = run_cli("--repo", str(repo), "doctor", "--json", env=env(tmp_path))
    data = json.loads(res.stdout)
    names = [t["name"] for t in data["tools"]]
    assert names == ["kubectl", "flux", "git", "sops", "age", "age-keygen", "kubeseal"]
    git_tool = data["tools"][2]
    assert git_tool["ok"] and git_tool["data"]["version"].startswith("v2.")
    assert data["cluster"][0]["ok"] is False  # no cluster here
    assert res.returncode == 1


def test_demo_writes_a_repo_with_one_commit_and_opens_nothing_without_a_terminal(tmp_path):
    dest = tmp_path / "demo"
    res = run_cli("demo", str(dest), env=env(tmp_path))
    assert res.returncode == 0, res.stderr
    assert f"demo repo written to {dest}" in res.stdout and "open it with: homelab-wizard --repo" in res.stdout
    assert git(dest, "rev-list", "--count", "HEAD").strip() == "1"
    assert (dest / "infrastructure/kubernetes/databases").is_dir()
    assert git(dest, "status", "--porcelain") == ""
    again = run_cli("demo", str(dest), env=env(tmp_path))  # resuming the demo reuses it
    assert again.returncode == 0
    # ... and says so (issue 24, point 10: it said it wrote it)
    assert "already exists: opening it as it is" in again.stdout and "written" not in again.stdout


def test_canary_token_in_the_environment_never_reaches_output_state_or_logs(tmp_path):
    canary = "ghp_CANARYcanaryCANARYcanary0123456789"
    repo = make_repo(tmp_path / "repo")
    e = env(tmp_path, GITHUB_TOKEN=canary, HOMELAB_TEST_PASSWORD="canary-password-77")
    outs = []
    for args in (["verify"], ["run", "prep.structure", "--set", "option=a", "--yes"], ["doctor"], ["status", "--json"]):
        r = run_cli("--repo", str(repo), *args, env=e)
        outs += [r.stdout, r.stderr]
    blob = "\n".join(outs)
    for f in (repo / ".git/homelab-wizard").iterdir():
        blob += f.read_text(errors="replace")
    assert canary not in blob and "canary-password-77" not in blob


def test_the_tui_without_a_terminal_points_to_the_headless_commands(tmp_path):
    repo = make_repo(tmp_path / "repo")
    res = run_cli("--repo", str(repo), env=env(tmp_path))
    assert res.returncode == 2 and "need a terminal" in res.stderr and "homelab-wizard status" in res.stderr


def test_no_repo_here_starts_the_demo(tmp_path):
    res = run_cli(env=env(tmp_path), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "Starting the demo instead" in res.stderr and "demo repo written to" in res.stdout


def test_the_wizards_own_staged_phase2_changes_do_not_count_as_a_dirty_tree(tmp_path):
    repo = make_repo(tmp_path / "repo")
    for args in (["run", "prep.structure", "--set", "option=a", "--yes"], ["run", "repo.cluster-dir", "--yes"]):
        res = run_cli("--repo", str(repo), *args, env=env(tmp_path))
        assert res.returncode == 0, res.stdout + res.stderr
    assert git(repo, "status", "--porcelain").strip()  # the wizard's step is staged, not committed yet

    def git_clean():
        data = json.loads(run_cli("--repo", str(repo), "doctor", "--json", env=env(tmp_path)).stdout)
        return next(c for c in data["repo"] if c["name"] == "git-clean")

    assert git_clean()["ok"] is True
    (repo / "stray.txt").write_text("mine\n")
    check = git_clean()
    assert check["ok"] is False and "stray.txt (??)" in check["detail"]
