"""Faults 52 and 53 (issue 23 #5, #6): nothing the owner wrote is dropped silently. A kustomization that
lists itself, or two that list each other, and a manifest file over the size limit each stop the items with
the file (and line) named and an answer that goes on; the answer leaves them out with a line that says so.
Real CLI, git and kubectl kustomize on temp repos, no cluster."""
from __future__ import annotations

import json

import pytest

from tests.helpers import DEPLOYMENT, NO_CLUSTER, cli_env, git, item_status, make_repo, run_cli, status_json

KS = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
ITEMS = ["repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests"]


@pytest.fixture
def env(tmp_path):
    return cli_env(**NO_CLUSTER, HOMELAB_WIZARD_DATA=str(tmp_path / "data"))


def wiz(repo, env, *args):
    return run_cli("--repo", str(repo), *args, env=env)


def cyclic_repo(path):
    return make_repo(path, {
        "apps/web/web.yaml": DEPLOYMENT.format(name="web", ns="homelab"),
        "apps/self/kustomization.yaml": KS + "resources:\n  - a.yaml\n  - .\n",
        "apps/self/a.yaml": DEPLOYMENT.format(name="selfa", ns="homelab"),
        "apps/x/kustomization.yaml": KS + "resources:\n  - x.yaml\n  - ../y\n",
        "apps/x/x.yaml": DEPLOYMENT.format(name="x", ns="homelab"),
        "apps/y/kustomization.yaml": KS + "resources:\n  - y.yaml\n  - ../x\n",
        "apps/y/y.yaml": DEPLOYMENT.format(name="y", ns="homelab"),
    })


def test_a_self_listing_or_cyclic_kustomization_blocks_with_file_and_line(tmp_path, env):
    repo = cyclic_repo(tmp_path / "repo")
    res = wiz(repo, env, "run", "1.1", "--set", "option=a", "--yes")
    assert res.returncode == 0, res.stderr
    assert "apps/self/kustomization.yaml:5" in res.stdout  # the preview says it before any item changes a file
    head = git(repo, "rev-parse", "HEAD")
    for item in ITEMS:
        res = wiz(repo, env, "run", item, "--yes")
        assert res.returncode == 3, f"{item}: {res.stdout}\n{res.stderr}"
        assert "apps/self/kustomization.yaml:5" in res.stderr and "lists its own folder" in res.stderr
        assert "apps/x/kustomization.yaml:5" in res.stderr and "apps/y/kustomization.yaml:5" in res.stderr
        assert "class.apps/self=exclude" in res.stderr and "Traceback" not in res.stderr
        assert git(repo, "status", "--porcelain") == "" and git(repo, "rev-parse", "HEAD") == head
    res = wiz(repo, env, "run", "repo.cluster-dir", "--json", "--yes")
    assert {"class.apps/self", "class.apps/x", "class.apps/y"} <= {q["key"] for q in json.loads(res.stdout)["questions"]}
    # Left out by the answer: said in the preview, and the items go on with the rest.
    sets = [a for f in ("apps/self", "apps/x", "apps/y") for a in ("--set", f"class.{f}=exclude")]
    for item in ITEMS:
        res = wiz(repo, env, "run", item, *sets, "--yes")
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
        if item == "repo.kustomizations":
            assert "apps/self/: left out of Flux" in res.stdout and "apps/x/: left out of Flux" in res.stdout
    data = status_json(repo, env)
    assert all(item_status(data, i)["status"] == "passed" for i in ITEMS)


def big_bundle() -> str:
    """A 5.5 MiB manifest: 600 ConfigMaps (a vendored bundle), then a plaintext Secret."""
    blob = "x" * 9000
    docs = [f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  namespace: homelab\ndata:\n  k: {blob}\n"
            for i in range(600)]
    docs.append("apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\n  namespace: homelab\n"
                "stringData:\n  password: canary-big-bundle\n")
    return "---\n".join(docs)


def test_a_manifest_over_the_size_limit_is_named_and_asked_never_left_out_silently(tmp_path, env):
    repo = make_repo(tmp_path / "repo", {"apps/web/web.yaml": DEPLOYMENT.format(name="web", ns="homelab"),
                                         "apps/bundle/all.yaml": big_bundle()})
    res = wiz(repo, env, "run", "1.1", "--set", "option=a", "--yes")
    assert res.returncode == 0 and "apps/bundle/all.yaml: is 5.2 MiB" in res.stdout, res.stdout
    for item in ITEMS:
        res = wiz(repo, env, "run", item, "--yes")
        assert res.returncode == 3, f"{item}: {res.stdout}\n{res.stderr}"
        assert "apps/bundle/all.yaml: is 5.2 MiB, over the 5.0 MiB" in res.stderr, res.stderr
        assert "HOMELAB_WIZARD_MAX_FILE_MIB=6" in res.stderr and "class.apps/bundle=exclude" in res.stderr
        assert git(repo, "status", "--porcelain") == ""
    # The secrets scan names it too (the Secret in it is never taken as "nothing left").
    res = wiz(repo, env, "run", "secrets.scan", "--set", "secrets=sops", "--yes")
    assert "apps/bundle/all.yaml" in res.stdout and "5.2 MiB" in res.stdout and "canary-big" not in res.stdout
    # Raising the limit for the run reads it: its 600 objects are in the plan like any others.
    res = wiz(repo, {**env, "HOMELAB_WIZARD_MAX_FILE_MIB": "6"}, "run", "1.1", "--yes")
    assert res.returncode == 0 and "all.yaml: is" not in res.stdout and "602 manifests" in res.stdout, res.stdout
    # Or it is left out by the answer, with a line that says so.
    res = wiz(repo, env, "run", "repo.cluster-dir", "--set", "class.apps/bundle=exclude", "--yes")
    assert res.returncode == 0, res.stderr
    res = wiz(repo, env, "run", "repo.kustomizations", "--yes")
    assert res.returncode == 0 and "apps/bundle/all.yaml: left out of Flux" in res.stdout, res.stdout + res.stderr
