"""5.3 integrate.image-automation on a private testbed: blocked (with the exact bootstrap flag) while
the image CRDs are missing; after the CRDs are installed server-side (from `flux install --export
--components-extra=…`, CRDs only: the image controllers do not run on the testbed), the objects pass
a server-side dry-run, the marker is in the Deployment, the commit is pushed, and the verdict says
that the image controllers are not running."""
from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from tests.helpers import DEPLOYMENT, git, item_status, make_repo, push_to_bare_remote, record_prerequisites_passed, run_cli, status_json

pytestmark = pytest.mark.testbed

EXTRA = "image-reflector-controller,image-automation-controller"


def _image_crds(env) -> str:
    out = subprocess.run(["flux", "install", "--export", f"--components-extra={EXTRA}"], env=env, check=True,
                         capture_output=True, text=True, timeout=120).stdout
    docs = [d for d in yaml.safe_load_all(out) if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"
            and d["spec"]["group"] == "image.toolkit.fluxcd.io"]
    assert len(docs) == 3
    return "".join("---\n" + yaml.safe_dump(d) for d in docs)


def test_image_automation_objects_accepted_by_the_api_server(testbed_factory, tmp_path):
    tb = testbed_factory("images")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data")}
    subprocess.run(["kubectl", "create", "namespace", "flux-system"], env=env, capture_output=True)
    deploy = DEPLOYMENT.format(name="podinfo", ns="apps").replace("nginx:1.27", "ghcr.io/stefanprodan/podinfo:6.5.0")
    repo = make_repo(tmp_path / "repo", {"apps/podinfo/deployment.yaml": "# the demo app\n" + deploy,
                                         "apps/kustomization.yaml": "resources:\n  - podinfo/deployment.yaml\n"})
    remote = push_to_bare_remote(repo, tmp_path / "remote.git")
    res = run_cli("--repo", str(repo), "run", "prep.preflight", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    record_prerequisites_passed(repo, "bootstrap.namespace")
    sets = ["--set", "image-automation=apps/podinfo", "--set", "image-policy=semver:>=6.0.0"]

    # 1. no image CRDs: blocked, with the exact bootstrap flag; nothing written
    crds = subprocess.run(["kubectl", "get", "crd", "-o", "name"], env=env, check=True, capture_output=True,
                          text=True).stdout
    if "image.toolkit.fluxcd.io" not in crds:
        res = run_cli("--repo", str(repo), "run", "5.3", "--yes", *sets, env=env)
        assert res.returncode == 3, res.stdout + res.stderr
        assert f"--components-extra={EXTRA}" in res.stderr
        assert not (repo / "infrastructure/image-automation").exists()

    # 2. the image CRDs only (no controllers), server-side
    subprocess.run(["kubectl", "apply", "--server-side", "--field-manager=test", "-f", "-"], input=_image_crds(env),
                   env=env, check=True, capture_output=True, text=True)
    subprocess.run(["kubectl", "wait", "--for=condition=Established", "--timeout=60s",
                    "crd/imagepolicies.image.toolkit.fluxcd.io", "crd/imagerepositories.image.toolkit.fluxcd.io",
                    "crd/imageupdateautomations.image.toolkit.fluxcd.io"], env=env, check=True, capture_output=True)

    res = run_cli("--repo", str(repo), "run", "5.3", "--yes", *sets, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    it = item_status(status_json(repo, env=env), "integrate.image-automation")
    assert it["status"] == "passed", it
    assert "image controllers are not running" in it["message"]
    ev = it["evidence"]
    assert ev["controllers_running"] is False
    assert ev["controllers"] == {"image-reflector-controller": "not installed", "image-automation-controller": "not installed"}
    assert all(ev["crds"].values())
    assert "server dry run" in ev["server_dry_run"] and "imagepolicy" in ev["server_dry_run"].lower()

    text = (repo / "apps/podinfo/deployment.yaml").read_text()
    assert text.startswith("# the demo app\n")
    assert 'image: ghcr.io/stefanprodan/podinfo:6.5.0 # {"$imagepolicy": "flux-system:apps-podinfo"}\n' in text
    assert git(remote, "rev-parse", "main").strip() == git(repo, "rev-parse", "HEAD").strip()
    # a dry run only: nothing was created in the cluster
    got = subprocess.run(["kubectl", "get", "imagepolicies.image.toolkit.fluxcd.io", "-A", "-o", "json"], env=env,
                         check=True, capture_output=True, text=True).stdout
    assert json.loads(got)["items"] == []

    # 3. a regex policy instead: policies.yaml is rewritten (a diff, a new commit) and still accepted
    pol = repo / "infrastructure/image-automation/policies.yaml"
    res = run_cli("--repo", str(repo), "run", "5.3", "--yes", "--set", "image-policy=regex:^v?[0-9.]+$", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "alphabetical" in pol.read_text()
    assert item_status(status_json(repo, env=env), "integrate.image-automation")["status"] == "passed"
