"""Phase 3 on a private testbed: a bootstrap killed half-way is resumed idempotently, and a
second clone (fresh wizard state) adopts the existing bootstrap instead of re-running it."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.homelab import CANARY, hand_applied_homelab, phases_1_and_2, wiz
from tests.helpers import git, item_status, status_json

pytestmark = pytest.mark.testbed


def audit(repo: Path) -> list[dict]:
    log = Path(git(repo, "rev-parse", "--absolute-git-dir").strip()) / "homelab-wizard" / "audit.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()]


def bootstraps(repo: Path) -> list[str]:
    """The status of every `flux … bootstrap …` the wizard ran, in order."""
    return [r["status"] for r in audit(repo) if r["argv"][0] == "flux" and "bootstrap" in r["argv"]]


def test_bootstrap_killed_half_way_resumes_and_a_second_clone_adopts(testbed_factory, tmp_path):
    tb = testbed_factory("boot-fault")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "GIT_PASSWORD": CANARY}
    repo, url = hand_applied_homelab(tb, tmp_path, env)
    phases_1_and_2(lambda *a, ok=(0,): wiz(repo, *a, env=env, ok=ok))
    wiz(repo, "run", "bootstrap.credentials", "--set", "provider=git", "--set", f"git-url={url}", "--yes", env=env)

    # 0. A flux-system namespace left from an earlier attempt is detected as a half-done bootstrap.
    subprocess.run(["kubectl", "create", "namespace", "flux-system"], env=env, check=True, capture_output=True)
    res = wiz(repo, "run", "bootstrap.run", "--dry-run", env=env)
    assert "half-done bootstrap" in res.stdout and "run again to finish it" in res.stdout, res.stdout

    # 1. The bootstrap process is killed after 2 s (it needs ~7 s): a real interrupted bootstrap.
    res = wiz(repo, "run", "bootstrap.run", "--set", "bootstrap-timeout-seconds=2", "--yes", env=env, ok=(1,))
    assert "flux bootstrap did not finish" in res.stderr and "idempotent" in res.stderr
    assert CANARY not in res.stdout + res.stderr
    st = item_status(status_json(repo, env), "bootstrap.run")
    assert st["status"] == "failed"
    v = wiz(repo, "verify", "bootstrap.run", env=env, ok=(1,))
    assert "started but did not finish" in v.stdout
    # 2. Resume. The controllers may finish the sync on their own after flux was killed, at any moment:
    # the wizard decides when it runs (adopt a finished sync, else re-run flux bootstrap), so the test
    # checks each decision against the state the wizard saw, not against a sample of its own.
    res = wiz(repo, "run", "bootstrap.run", "--set", "bootstrap-timeout-seconds=900", "--dry-run", env=env)
    assert ("adopt it instead" in res.stdout) != ("half-done bootstrap" in res.stdout), res.stdout
    # A dry run never stores its answers, so the 2 s limit of step 1 is still the stored one: set it again.
    res = wiz(repo, "run", "bootstrap.run", "--set", "bootstrap-timeout-seconds=900", "--yes", env=env)
    assert "passed" in res.stdout, res.stdout
    res = wiz(repo, "verify", "bootstrap", "--json", env=env)
    assert {r["status"] for r in json.loads(res.stdout)["results"]} == {"passed"}, res.stdout
    how = item_status(status_json(repo, env), "bootstrap.run")["evidence"]["how"]
    assert how in ("bootstrap-adopted", "bootstrapped")
    # Adopted: flux bootstrap was not run again; re-run: it ran once more and finished.
    assert bootstraps(repo) == (["timeout"] if how == "bootstrap-adopted" else ["timeout", "ok"])

    # 3. A second clone with fresh wizard state adopts it: flux bootstrap is not run again.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", url, str(clone)], env=env, check=True, capture_output=True)
    git(clone, "config", "user.email", "t@example.invalid")
    git(clone, "config", "user.name", "T")
    # Without the token in the environment for the backup: the redactor also masks its base64 form, which
    # would corrupt the backed-up Secret flux-system/flux-system (--token-auth stores the token there).
    # Reported to the Phase 1 owner; not a Phase 3 behaviour.
    plain = {k: v for k, v in env.items() if k != "GIT_PASSWORD"}
    for args in (["run", "prep.preflight", "--yes"], ["run", "prep.backup", "--yes"]):
        wiz(clone, *args, env=plain)
    wiz(clone, "run", "bootstrap.credentials", "--set", "provider=git", "--set", f"git-url={url}", "--yes", env=env)
    # 3.2 needs 2.5 pushed: in a fresh clone that is a live check (its HEAD is on the remote).
    res = wiz(clone, "run", "bootstrap.run", "--dry-run", env=env, ok=(3,))
    assert "needs 2.5 repo.commit-push" in res.stderr
    wiz(clone, "verify", "repo.commit-push", env=env)
    wiz(clone, "verify", "bootstrap.ownership", env=env)  # 3.0, a live check too
    res = wiz(clone, "run", "bootstrap.run", "--dry-run", env=env)
    assert "adopt it instead of re-running" in res.stdout, res.stdout
    wiz(clone, "run", "bootstrap.run", "--yes", env=env)
    assert bootstraps(clone) == []
    data = status_json(clone, env)
    assert item_status(data, "bootstrap.run")["status"] == "passed"
    assert item_status(data, "bootstrap.run")["evidence"]["how"] == "bootstrap-adopted"

    # 4. A different --path than the cluster's is refused, also without any earlier state.
    res = wiz(clone, "run", "bootstrap.run", "--set", "cluster=other", "--set", "existing-bootstrap=rerun",
              "--dry-run", env=env, ok=(4,))
    assert "syncs ./clusters/homelab" in res.stderr or "--path=clusters/homelab" in res.stderr
