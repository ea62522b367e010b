"""Issue 15: `run prep.preflight` headless with a kubeconfig of several contexts. Without an answer
(and no terminal) it blocks naming the question and each context with its server; --set context=NAME
(or --context NAME, which wins) is what every kubectl call then uses. The servers are closed
loopback ports: the run stops at "not reachable", after the calls the audit log records."""
from __future__ import annotations

import json

from tests.helpers import cli_env, make_repo, run_cli, status_json

KUBECONFIG = {
    "apiVersion": "v1", "kind": "Config", "current-context": "home-admin",
    "clusters": [{"name": "home", "cluster": {"server": "https://127.0.0.1:1"}},
                 {"name": "work", "cluster": {"server": "https://127.0.0.1:2"}}],
    "contexts": [{"name": "home-admin", "context": {"cluster": "home", "user": "admin"}},
                 {"name": "work-admin", "context": {"cluster": "work", "user": "admin"}}],
    "users": [{"name": "admin", "user": {"token": "not-a-real-token"}}],
}


def setup(tmp_path):
    (tmp_path / "kubeconfig").write_text(json.dumps(KUBECONFIG))
    env = cli_env(KUBECONFIG=str(tmp_path / "kubeconfig"), HOMELAB_WIZARD_DATA=str(tmp_path / "data"))
    return make_repo(tmp_path / "homelab"), env


def contexts_used(repo) -> set[str]:
    """The --context of every kubectl call the wizard made (from its audit log)."""
    lines = (repo / ".git/homelab-wizard/audit.jsonl").read_text().splitlines()
    calls = [rec["argv"] for rec in map(json.loads, lines) if rec["argv"][0].endswith("kubectl")]
    return {argv[argv.index("--context") + 1] for argv in calls if "--context" in argv}


def test_several_contexts_and_no_answer_block_naming_each_context(tmp_path):
    repo, env = setup(tmp_path)
    res = run_cli("--repo", str(repo), "run", "prep.preflight", "--yes", env=env)
    assert res.returncode == 3, res.stderr
    assert "--set context=NAME" in res.stderr and "answer context" not in res.stderr
    for line in ("home-admin  →  https://127.0.0.1:1", "work-admin  →  https://127.0.0.1:2",
                 "--set context=<home-admin | work-admin>"):
        assert line in res.stderr, res.stderr
    assert "not-a-real-token" not in res.stderr + res.stdout
    assert status_json(repo, env)["cluster"] is None


def test_the_answer_is_the_context_every_kubectl_call_uses(tmp_path):
    repo, env = setup(tmp_path)
    res = run_cli("--repo", str(repo), "run", "prep.preflight", "--set", "context=work-admin", "--yes", env=env)
    assert res.returncode == 3 and "'work-admin' is not reachable" in res.stderr, res.stderr
    assert contexts_used(repo) == {"work-admin"}
    assert status_json(repo, env)["answers"]["context"] == "work-admin"


def test_an_explicit_context_flag_wins_and_asks_nothing(tmp_path):
    repo, env = setup(tmp_path)
    res = run_cli("--repo", str(repo), "--context", "home-admin", "run", "prep.preflight", "--set",
                  "context=work-admin", "--yes", env=env)
    assert res.returncode == 3 and "'home-admin' is not reachable" in res.stderr, res.stderr
    assert contexts_used(repo) == {"home-admin"}


def test_a_context_the_kubeconfig_lacks_is_refused_by_name(tmp_path):
    repo, env = setup(tmp_path)
    res = run_cli("--repo", str(repo), "run", "prep.preflight", "--set", "context=gone", "--yes", env=env)
    assert res.returncode == 3 and "context='gone' is not a context of the kubeconfig" in res.stderr, res.stderr
    assert contexts_used(repo) == set()
