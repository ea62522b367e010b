"""Phase 1 end to end: the real CLI, real kubectl and flux, on the testbed cluster.

Each test works in its own namespace(s) so the session-wide testbed stays usable by others.
"""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.e2e.homelab import manifests
from tests.helpers import DEPLOYMENT, VENV_BIN, git, item_status, make_repo, run_cli, status_json

pytestmark = pytest.mark.testbed


@pytest.fixture
def homelab(testbed, tmp_path, env, request):
    """A repo whose manifests were applied by hand with kubectl, as the user did."""
    ns = "p1-" + request.node.name.replace("_", "-")[5:30].strip("-")
    repo = make_repo(tmp_path / "repo", manifests(ns))
    subprocess.run(["kubectl", "apply", "-R", "-f", str(repo / "infrastructure")], env=env, check=True,
                   capture_output=True)
    yield repo, ns
    # Wait, so the next test does not see a namespace that is still terminating.
    subprocess.run(["kubectl", "delete", "namespace", ns, "--wait=true", "--timeout=90s", "--ignore-not-found"],
                   env=env, capture_output=True)


def wiz(repo, *args, env, **kw):
    return run_cli("--repo", str(repo), *args, env=env, **kw)


def run_phase1(repo, env):
    for args in (["run", "prep.preflight", "--yes"], ["run", "prep.structure", "--set", "option=a", "--yes"],
                 ["run", "prep.backup", "--yes"], ["run", "prep.inventory", "--yes"]):
        res = wiz(repo, *args, env=env)
        assert res.returncode == 0, f"{args}: {res.stdout}\n{res.stderr}"


def backup_dirs(env) -> list[Path]:
    root = Path(env["HOMELAB_WIZARD_DATA"]) / "repos"
    return sorted(p for p in root.glob("*/backups/*") if p.is_dir())


def test_phase1_passes_on_the_testbed_with_evidence(homelab, env, testbed):
    repo, ns = homelab
    run_phase1(repo, env)
    res = wiz(repo, "verify", "prep", "--json", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    results = {r["id"]: r for r in json.loads(res.stdout)["results"]}
    assert all(r["status"] == "passed" for r in results.values()), results
    data = status_json(repo, env)
    assert data["cluster"]["server"] == testbed.server and data["cluster"]["context"] == testbed.context
    uid = subprocess.run(["kubectl", "get", "ns", "kube-system", "-o", "jsonpath={.metadata.uid}"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert data["cluster"]["uid"] == uid
    pre = item_status(data, "prep.preflight")
    assert {c["name"] for c in pre["evidence"]["checks"]} >= {"kubectl", "flux", "git", "git-clean", "cluster", "identity"}
    bk = item_status(data, "prep.backup")["evidence"]
    assert bk["dry_run"]["exit_code"] == 0 and bk["objects"] > 0 and bk["count_differences"] == []
    inv = item_status(data, "prep.inventory")
    assert inv["evidence"]["report"] == "docs/cluster-inventory.md"


def test_backup_is_private_outside_the_repo_and_clean(homelab, env):
    repo, ns = homelab
    run_phase1(repo, env)
    [backup] = backup_dirs(env)
    assert repo not in backup.parents
    for p in [backup, *backup.rglob("*")]:
        assert p.stat().st_mode & 0o777 == (0o700 if p.is_dir() else 0o600), p
    index = json.loads((backup / "index.json").read_text())
    files = {e["path"]: e for e in index["files"]}
    assert files[f"objects/{ns}/Deployment.apps.yaml"]["count"] == 2
    assert files[f"objects/{ns}/ConfigMap.core.yaml"]["count"] == 1  # kube-root-ca.crt is skipped
    docs = list(yaml.safe_load_all((backup / f"objects/{ns}/Deployment.apps.yaml").read_text()))
    for d in docs:
        assert "status" not in d and "uid" not in d["metadata"] and "managedFields" not in d["metadata"]
        assert "kubectl.kubernetes.io/last-applied-configuration" not in d["metadata"].get("annotations", {})
    svc = yaml.safe_load((backup / f"objects/{ns}/Service.core.yaml").read_text())
    assert "clusterIP" not in svc["spec"]
    assert not any(p.name.endswith(".partial") for p in backup.parent.iterdir())


def test_inventory_flags_objects_only_in_cluster_and_only_in_repo(homelab, env):
    repo, ns = homelab
    subprocess.run(["kubectl", "-n", ns, "create", "configmap", "hand-made", "--from-literal=a=b"], env=env, check=True,
                   capture_output=True)
    extra = repo / "apps/later/job.yaml"
    extra.parent.mkdir(parents=True)
    extra.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-applied\n  namespace: {ns}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "not applied yet")
    run_phase1(repo, env)
    report = (repo / "docs/cluster-inventory.md").read_text()
    assert f"## {ns}" in report
    assert "| ConfigMap | hand-made | only in cluster | — |" in report
    assert "| ConfigMap | not-applied | only in repo | `apps/later/job.yaml:1` |" in report
    assert "| Deployment (apps) | web | in repo | `infrastructure/kubernetes/services/web.yaml:1` |" in report
    service_line = DEPLOYMENT.count("\n") + 2  # after the Deployment and the `---` line
    assert f"| Service | web | in repo | `infrastructure/kubernetes/services/web.yaml:{service_line}` |" in report
    # The wizard's own report does not make the tree "dirty" for preflight.
    assert wiz(repo, "verify", "prep.preflight", env=env).returncode == 0


def test_reverify_turns_red_when_the_cluster_or_backup_changes(homelab, env):
    repo, ns = homelab
    run_phase1(repo, env)
    subprocess.run(["kubectl", "-n", ns, "create", "configmap", "drifted", "--from-literal=x=y"], env=env, check=True,
                   capture_output=True)
    res = wiz(repo, "verify", "prep.backup", "prep.inventory", "--json", env=env)
    assert res.returncode == 1
    results = {r["id"]: r for r in json.loads(res.stdout)["results"]}
    # Issue 16: the backup is a snapshot from before; a changed cluster is said, not held against it.
    assert results["prep.backup"]["status"] == "passed" and "counts differ" in results["prep.backup"]["message"]
    assert results["prep.inventory"]["status"] == "failed" and "no longer matches" in results["prep.inventory"]["message"]
    subprocess.run(["kubectl", "-n", ns, "delete", "configmap", "drifted"], env=env, check=True, capture_output=True)
    [backup] = backup_dirs(env)
    target = backup / f"objects/{ns}/Deployment.apps.yaml"
    target.write_text(target.read_text().replace("nginx:1.27", "nginx:9.99"))
    res = wiz(repo, "verify", "prep.backup", "--json", env=env)
    assert res.returncode == 1 and "does not match its checksum" in json.loads(res.stdout)["results"][0]["message"]


def test_current_context_switched_between_runs_keeps_the_pinned_context(homelab, env, tmp_path):
    repo, ns = homelab
    kubeconfig = tmp_path / "kubeconfig"
    shutil.copy(env["KUBECONFIG"], kubeconfig)
    e = {**env, "KUBECONFIG": str(kubeconfig)}
    assert wiz(repo, "run", "prep.preflight", "--yes", env=e).returncode == 0
    subprocess.run(["kubectl", "config", "set-cluster", "elsewhere", "--server=https://127.0.0.1:1"], env=e, check=True)
    subprocess.run(["kubectl", "config", "set-context", "elsewhere", "--cluster=elsewhere", "--user=x"], env=e, check=True)
    subprocess.run(["kubectl", "config", "use-context", "elsewhere"], env=e, check=True)
    res = wiz(repo, "verify", "prep.preflight", "--json", env=e)
    assert res.returncode == 0, res.stdout  # every call passes the pinned --context
    audit = (repo / ".git/homelab-wizard/audit.jsonl").read_text().splitlines()
    kubectl_calls = [json.loads(line)["argv"] for line in audit if json.loads(line)["argv"][0] == "kubectl"]
    assert kubectl_calls and all("--context" in a for a in kubectl_calls[-3:])


def test_a_different_cluster_than_the_pinned_one_is_refused(homelab, env):
    repo, ns = homelab
    assert wiz(repo, "run", "prep.preflight", "--yes", env=env).returncode == 0
    # Simulate "the cluster was replaced": the pinned kube-system UID no longer matches.
    state_file = repo / ".git/homelab-wizard/state.json"
    state = json.loads(state_file.read_text())
    state["cluster"]["uid"] = "00000000-0000-0000-0000-000000000000"
    state_file.write_text(json.dumps(state))
    res = wiz(repo, "run", "prep.backup", "--yes", env=env)
    assert res.returncode == 4 and "not the cluster the migration started on" in res.stderr and "--repin" in res.stderr
    assert not backup_dirs(env)
    res = wiz(repo, "run", "prep.preflight", "--yes", env=env)
    assert res.returncode == 4
    res = wiz(repo, "run", "prep.preflight", "--repin", "--yes", env=env)
    assert res.returncode == 0, res.stderr
    assert wiz(repo, "run", "prep.backup", "--yes", env=env).returncode == 0


def test_unreachable_cluster_fails_preflight_naming_the_context(homelab, env, tmp_path):
    repo, _ = homelab
    kubeconfig = tmp_path / "down.kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "down",
        "clusters": [{"name": "down", "cluster": {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "x"}}],
        "contexts": [{"name": "down", "context": {"cluster": "down", "user": "u"}}]}))
    res = wiz(repo, "verify", "prep.preflight", "--json", env={**env, "KUBECONFIG": str(kubeconfig)})
    assert res.returncode == 1
    msg = json.loads(res.stdout)["results"][0]["message"]
    assert "the cluster of context 'down' is not reachable" in msg


def _start_paused_backup(repo, env):
    """Start `run prep.backup` and return once it is half-way through writing the backup."""
    proc = subprocess.Popen([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo), "run", "prep.backup", "--yes"],
                            env={**env, "HOMELAB_WIZARD_PAUSE_AT": "backup-partial"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # A background job (CI) inherits SIGINT ignored; a terminal user does not.
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    line = proc.stderr.readline()
    assert line.strip() == "paused at backup-partial", (line, proc.poll())
    assert [p for p in backup_dirs(env) if p.name.endswith(".partial")], "no partial backup while paused"
    return proc


def test_ctrl_c_during_a_backup_never_leaves_a_backup_reported_as_passed(homelab, env):
    repo, _ = homelab
    assert wiz(repo, "run", "prep.preflight", "--yes", env=env).returncode == 0
    proc = _start_paused_backup(repo, env)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "interrupted" in err
    assert backup_dirs(env) == []  # the partial backup was removed, and no complete one exists
    it = item_status(status_json(repo, env), "prep.backup")
    assert it["status"] == "failed" and "interrupted" in it["message"]


def test_resume_after_kill_9_during_a_backup(homelab, env):
    repo, _ = homelab
    assert wiz(repo, "run", "prep.preflight", "--yes", env=env).returncode == 0
    proc = _start_paused_backup(repo, env)
    proc.kill()
    proc.communicate()
    data = status_json(repo, env)
    assert item_status(data, "prep.backup")["status"] != "passed"
    assert item_status(data, "prep.preflight")["status"] == "passed"
    assert [p for p in backup_dirs(env) if p.name.endswith(".partial")]  # kill -9 leaves it behind
    res = wiz(repo, "verify", "prep.backup", "--json", env=env)  # never reported as passed
    assert json.loads(res.stdout)["results"][0]["status"] == "pending"
    res = wiz(repo, "run", "prep.backup", "--yes", env=env)  # resume: the lock is free, the run completes
    assert res.returncode == 0, res.stderr
    assert "removed the incomplete backup" in res.stdout
    assert [p for p in backup_dirs(env) if p.name.endswith(".partial")] == []
    assert item_status(status_json(repo, env), "prep.backup")["status"] == "passed"


def test_canary_token_never_reaches_output_logs_state_backup_or_report(homelab, env):
    repo, _ = homelab
    canary = "ghp_CANARYc4nary0CANARYc4nary0CANARY123"
    e = {**env, "GITHUB_TOKEN": canary, "GITEA_TOKEN": "canary-gitea-token-991"}
    outputs = []
    for args in (["run", "prep.preflight", "--yes"], ["run", "prep.structure", "--set", "option=a", "--yes"],
                 ["run", "prep.backup", "--yes"], ["run", "prep.inventory", "--yes"], ["verify"], ["doctor"],
                 ["status", "--json"]):
        r = wiz(repo, *args, env=e)
        outputs += [r.stdout, r.stderr]
    blob = "\n".join(outputs)
    places = [repo / ".git/homelab-wizard", Path(e["HOMELAB_WIZARD_DATA"]), repo / "docs"]
    for place in places:
        for f in place.rglob("*"):
            if f.is_file():
                blob += f.read_text(errors="replace")
    assert canary not in blob and "canary-gitea-token-991" not in blob


def test_backup_keeps_a_secret_intact_even_when_its_value_is_a_known_token(homelab, env):
    # After `flux bootstrap --token-auth`, Secret flux-system/flux-system holds the very token that
    # is in the environment; the backup must restore it byte for byte, not as "***".
    repo, ns = homelab
    token = "git-token-for-the-backup-test-42"
    subprocess.run(["kubectl", "-n", ns, "create", "secret", "generic", "git-auth", f"--from-literal=password={token}"],
                   env=env, check=True, capture_output=True)
    e = {**env, "GIT_PASSWORD": token}
    for args in (["run", "prep.preflight", "--yes"], ["run", "prep.backup", "--yes"]):
        res = wiz(repo, *args, env=e)
        assert res.returncode == 0, res.stdout + res.stderr
        assert token not in res.stdout + res.stderr
    [backup] = backup_dirs(env)
    secret = yaml.safe_load((backup / f"objects/{ns}/Secret.core.yaml").read_text())
    import base64

    assert base64.b64decode(secret["data"]["password"]).decode() == token
    assert token not in (repo / ".git/homelab-wizard/audit.jsonl").read_text()
