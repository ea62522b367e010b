"""Tool faults that real tools cannot be made to show here, faked at the process boundary only.

Each fake is a small script placed first on PATH; the test names say "fake".
"""
from __future__ import annotations

import json
import os
import stat
import time

from tests.helpers import cli_env, make_repo, run_cli

FAKE_KUBECTL = """#!/bin/sh
# Fake kubectl: answers only what preflight/doctor ask, with the client version from $FAKE_CLIENT.
args="$*"
case "$args" in
  *"version --client -o json"*) echo '{"clientVersion": {"gitVersion": "'"$FAKE_CLIENT"'"}}' ;;
  *"version -o json"*) [ -n "$FAKE_HANG" ] && sleep 600
     echo '{"clientVersion": {"gitVersion": "'"$FAKE_CLIENT"'"}, "serverVersion": {"gitVersion": "v1.36.3"}}' ;;
  *"config current-context"*) echo fake ;;
  *"config view"*) echo '{"clusters": [{"name": "fake", "cluster": {"server": "https://127.0.0.1:6443"}}]}' ;;
  *"get namespace kube-system"*) echo '{"metadata": {"uid": "fake-uid-1"}}' ;;
  *) echo "fake kubectl: unexpected $args" >&2; exit 1 ;;
esac
"""


def fake_bin(tmp_path, name, text):
    d = tmp_path / "fakebin"
    d.mkdir(exist_ok=True)
    f = d / name
    f.write_text(text)
    f.chmod(f.stat().st_mode | stat.S_IEXEC)
    return d


def env_with(tmp_path, bindir, **extra):
    # A kubeconfig file exists, as for any user with a cluster: without one the wizard asks kubectl nothing.
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\ncurrent-context: fake\n")
    e = cli_env(**{"HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "KUBECONFIG": str(kubeconfig), **extra})
    e["PATH"] = f"{bindir}{os.pathsep}{e['PATH']}"
    return e


def doctor(repo, env):
    res = run_cli("--repo", str(repo), "doctor", "--json", env=env)
    return res, json.loads(res.stdout)


def test_fake_kubectl_too_old_is_reported_with_the_skew(tmp_path):
    repo = make_repo(tmp_path / "repo")
    env = env_with(tmp_path, fake_bin(tmp_path, "kubectl", FAKE_KUBECTL), FAKE_CLIENT="v1.28.4")
    res, data = doctor(repo, env)
    kubectl = data["tools"][0]
    assert res.returncode == 1 and kubectl["ok"] is False
    assert "kubectl v1.28.4 is more than one minor version from the server v1.36.3" in kubectl["detail"]


def test_fake_kubectl_within_one_minor_is_compatible(tmp_path):
    repo = make_repo(tmp_path / "repo")
    env = env_with(tmp_path, fake_bin(tmp_path, "kubectl", FAKE_KUBECTL), FAKE_CLIENT="v1.37.0")
    _, data = doctor(repo, env)
    assert data["tools"][0]["ok"] is True and data["cluster"][0]["ok"] is True


def test_kubectl_missing_is_named_with_what_to_do(tmp_path):
    repo = make_repo(tmp_path / "repo")
    d = tmp_path / "onlygit"
    d.mkdir()
    (d / "git").symlink_to("/usr/bin/git")
    env = cli_env(HOMELAB_WIZARD_DATA=str(tmp_path / "data"), HOMELAB_WIZARD_PATH_ONLY="1", PATH=str(d))
    res, data = doctor(repo, env)
    kubectl = data["tools"][0]
    assert kubectl["ok"] is False and kubectl["detail"].startswith("kubectl is not on PATH; install it")
    pre = run_cli("--repo", str(repo), "verify", "prep.preflight", "--json", env=env)
    assert pre.returncode == 1 and "kubectl is not on PATH" in json.loads(pre.stdout)["results"][0]["message"]


def test_fake_hanging_kubectl_times_out_and_names_the_command(tmp_path):
    repo = make_repo(tmp_path / "repo")
    env = env_with(tmp_path, fake_bin(tmp_path, "kubectl", FAKE_KUBECTL), FAKE_CLIENT="v1.36.0", FAKE_HANG="1")
    t0 = time.monotonic()
    res = run_cli("--repo", str(repo), "verify", "prep.preflight", "--json", env=env)
    assert time.monotonic() - t0 < 60
    msg = json.loads(res.stdout)["results"][0]["message"]
    assert res.returncode == 1 and "version -o json --request-timeout=10s' did not finish within 20s" in msg


FAKE_SOPS_ECHO = """#!/bin/sh
# A fake sops whose encrypt fails quoting the line of its input it choked on (as YAML errors do).
case "$*" in
  *encrypt*) line=$(grep -m1 'password' /dev/stdin); echo "Error unmarshalling input yaml: near '$line'" >&2; exit 1 ;;
  *) exec "$REAL_SOPS" "$@" ;;
esac
"""


def test_fake_sops_that_echoes_a_secret_line_reaches_neither_output_nor_audit(tmp_path):
    """Fault (issue 14 item 2): a tool that echoes a stdin line put a Secret value into the audit log."""
    import shutil

    from tests.helpers import NO_CLUSTER, make_repo

    value = "Echo-" + "k9P" * 5
    repo = make_repo(tmp_path / "repo", {"apps/web/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
                                                             f"  namespace: web\nstringData:\n  password: {value}\n"})
    base = cli_env(HOMELAB_WIZARD_DATA=str(tmp_path / "data"), **NO_CLUSTER)
    for args in (("run", "1.1", "--set", "option=a", "--yes"), ("run", "secrets.scan", "--set", "secrets=sops", "--yes"),
                 ("run", "secrets.keys", "--yes")):
        assert run_cli("--repo", str(repo), *args, env=base).returncode == 0
    real = shutil.which("sops", path=base["PATH"])
    env = env_with(tmp_path, fake_bin(tmp_path, "sops", FAKE_SOPS_ECHO), **NO_CLUSTER, REAL_SOPS=real)
    res = run_cli("--repo", str(repo), "run", "secrets.convert", "--yes", env=env)
    assert res.returncode != 0 and "Error unmarshalling input yaml" in res.stderr
    audit = (repo / ".git/homelab-wizard/audit.jsonl").read_text()
    assert value not in res.stdout + res.stderr and value not in audit
    assert value not in (repo / ".git/homelab-wizard/state.json").read_text()
