"""2.4 writes the wizard's drift canary into the apps path (issue 21), with the real CLI, git and kubectl
kustomize, no cluster: 4.3/4.4 then change an object the wizard owns instead of one of the owner's."""
from __future__ import annotations

import json
import subprocess

import yaml

from tests.helpers import VENV_BIN, item_status, run_cli, status_json
from tests.integration.phase2_fixture import make_homelab
from tests.integration.test_phase2_e2e import ITEMS, run_all, setup

CANARY_FILE = "apps/homelab-wizard-drift-canary.yaml"


def test_2_4_adds_the_drift_canary_to_the_apps_path_and_its_checks_count_it(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    run_all(repo, env)
    doc = yaml.safe_load((repo / CANARY_FILE).read_text())
    assert (doc["kind"], doc["metadata"]["namespace"], doc["metadata"]["name"]) == (
        "ConfigMap", "flux-system", "homelab-wizard-drift-canary")
    assert "homelab-wizard-drift-canary.yaml" in yaml.safe_load((repo / "apps/kustomization.yaml").read_text())["resources"]
    out = subprocess.run([str(VENV_BIN / "kubectl"), "kustomize", str(repo / "apps")], capture_output=True, text=True,
                         check=True).stdout
    assert "homelab-wizard-drift-canary" in [d["metadata"]["name"] for d in yaml.safe_load_all(out) if d]
    # 2.4 counts it as the wizard's own object (not "new"); 2.2 and 2.3 do not see it as a folder of the owner's.
    res = run_cli("--repo", str(repo), "verify", *ITEMS, "--json", env=env)
    results = {r["id"]: r for r in json.loads(res.stdout)["results"]}
    assert all(r["status"] == "passed" for r in results.values()), results
    assert "new" not in results["repo.flux-manifests"]["message"]
    # Idempotent: a second 2.4 has nothing to change.
    res = run_cli("--repo", str(repo), "run", "repo.flux-manifests", "--yes", env=env)
    assert res.returncode == 0 and "Nothing to change" in res.stdout, res.stdout + res.stderr
    assert item_status(status_json(repo, env), "repo.flux-manifests")["status"] == "passed"
