"""The whole migration, headless, on a private testbed: a homelab applied by hand with kubectl,
then Phase 1 -> 2 -> (secrets skipped, with a reason) -> 3 -> 4 with the real flux CLI.

Bootstrap is `flux bootstrap git --token-auth` over loopback http into the testbed's git server;
the token is a canary that must never show up in the wizard's output, state or audit log.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.homelab import CANARY, NS, hand_applied_homelab, kubectl_json, phases_1_and_2, wiz
from tests.helpers import git, item_status, status_json

pytestmark = pytest.mark.testbed


def test_full_migration_headless(testbed_factory, tmp_path):
    tb = testbed_factory("migration")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "GIT_PASSWORD": CANARY}
    repo, url = hand_applied_homelab(tb, tmp_path, env)
    outputs = []

    def step(*args, ok=(0,)):
        res = wiz(repo, *args, env=env, ok=ok)
        outputs.append(res.stdout + res.stderr)
        return res

    phases_1_and_2(step)

    # Phase 3
    res = step("run", "bootstrap.credentials", "--set", "provider=git", "--set", f"git-url={url}", "--yes")
    assert "passed" in res.stdout
    res = step("run", "bootstrap.run", "--dry-run")
    assert "flux" in res.stdout and "bootstrap git" in res.stdout and "--token-auth" in res.stdout
    assert "GIT_PASSWORD=<hidden" in res.stdout and CANARY not in res.stdout
    res = step("run", "bootstrap.run", "--yes")
    assert "passed" in res.stdout, res.stdout
    step("verify", "bootstrap")

    # Phase 4
    step("run", "validate.reconciled", "--yes")
    step("verify", "validate.deployed")
    step("run", "validate.drift", "--yes")
    step("run", "validate.healing", "--yes")

    data = status_json(repo, env)
    for item in ("bootstrap.credentials", "bootstrap.run", "bootstrap.controllers", "bootstrap.namespace",
                 "validate.deployed", "validate.reconciled", "validate.drift", "validate.healing"):
        assert item_status(data, item)["status"] == "passed", (item, item_status(data, item))
    for item in ("secrets.scan", "secrets.convert"):
        assert item_status(data, item)["status"] == "skipped"

    # 3.3: flux check kept as evidence; 4.2: every Kustomization at the pushed commit
    ctl = item_status(data, "bootstrap.controllers")["evidence"]
    assert ctl["flux_check"]["exit_code"] == 0 and ctl["flux_check"]["command"].endswith(" check")
    rec = item_status(data, "validate.reconciled")["evidence"]
    head = git(repo, "ls-remote", "origin", "refs/heads/main").split()[0]
    assert rec["pushed_commit"] == head
    names = {k["ref"] for k in rec["kustomizations"]}
    assert {"Kustomization flux-system/flux-system", "Kustomization flux-system/apps"} <= names
    assert all(k["revision"].endswith(head) for k in rec["kustomizations"])
    dep = item_status(data, "validate.deployed")["evidence"]
    assert dep["counts"]["missing"] == 0 and dep["counts"]["managed"] >= 5
    assert any("Deployment.apps homelab/web" in r for r in dep["managed"])

    # 4.3 / 4.4: a Flux-owned ConfigMap value changed, seen as drift (flux diff exit 1), reverted
    heal = item_status(data, "validate.healing")["evidence"]
    drift = item_status(data, "validate.drift")["evidence"]
    assert drift["flux_diff"]["exit_code"] == 1
    assert heal["seconds"] < 60 and heal["flux_diff"]["exit_code"] == 0
    assert (drift["target"]["namespace"], drift["target"]["name"]) == ("flux-system", "homelab-wizard-drift-canary")
    cm = kubectl_json(env, "configmap", "-n", "flux-system", "homelab-wizard-drift-canary")
    assert cm["data"] == {"drift-check": "as-in-git"}  # exactly as Git says
    assert cm["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] in ("apps", "infra-controllers")
    assert kubectl_json(env, "configmap", "-n", NS, "redis-config")["data"] == {"maxmemory": "64mb"}  # untouched

    # the path is pinned: a bootstrap with another --path is refused
    res = wiz(repo, "run", "bootstrap.run", "--set", "cluster=other", "--dry-run", env=env, ok=(4,))
    assert "--path=clusters/homelab" in res.stderr

    # the token never reached the wizard's output, state or audit log
    state_dir = Path(git(repo, "rev-parse", "--absolute-git-dir").strip())
    blobs = [p.read_bytes() for p in state_dir.rglob("*") if p.is_file() and "homelab-wizard" in str(p)]
    assert blobs, "found no state files"
    assert not any(CANARY.encode() in b for b in blobs)
    assert not any(CANARY in o for o in outputs)
    audit = b"".join(b for b in blobs)
    assert b"bootstrap" in audit and b"--token-auth" in audit
