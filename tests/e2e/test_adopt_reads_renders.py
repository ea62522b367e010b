"""2.0 reads the repo as Phase 2 renders it (issue 21): an object that a kustomize overlay makes (a
configMapGenerator's ConfigMap under the overlay's `namespace:`) is the repo's, never offered for
adoption, and which overlay the cluster runs is asked first, alone. Seen on master-bogdan/homelab:
ConfigMap dev-db/postgresql-init-sql from k8s/databases/postgresql/overlays/dev was offered, and 2.0's
proof then found it duplicated. Headless, real CLI, private testbed; loopback only.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.e2e.homelab import kubectl, wiz
from tests.helpers import make_repo

pytestmark = pytest.mark.testbed

FILES = {
    "db/base/kustomization.yaml": "resources: [statefulset.yaml]\nconfigMapGenerator:\n"
                                  "  - name: init-sql\n    files: [init.sql]\n",
    "db/base/init.sql": "CREATE TABLE notes (id int);\n",
    "db/base/statefulset.yaml": ("apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n  selector: {app: db}\n"
                                 "  ports: [{port: 5432}]\n"),
    "db/overlays/dev/kustomization.yaml": "namespace: dev-db\nresources: [../../base, namespace.yaml]\n",
    "db/overlays/dev/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: dev-db\n",
    "db/overlays/prod/kustomization.yaml": "namespace: prod-db\nresources: [../../base, namespace.yaml]\n",
    "db/overlays/prod/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod-db\n",
}


def run_json(repo, env, *args, ok=(0,)):
    res = wiz(repo, "run", *args, "--yes", "--json", env=env, ok=ok)
    return json.loads(res.stdout)


def test_an_overlays_generated_configmap_is_never_offered_and_the_environment_comes_first(testbed_factory, tmp_path):
    tb = testbed_factory("adopt-render")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data")}
    repo = make_repo(tmp_path / "repo", FILES)
    res = subprocess.run(["kubectl", "apply", "-k", str(repo / "db/overlays/dev")], env=env, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr
    generated = json.loads(kubectl(env, "get", "configmap", "-n", "dev-db", "-o", "json").stdout)["items"]
    gen_name = next(c["metadata"]["name"] for c in generated if c["metadata"]["name"].startswith("init-sql-"))
    kubectl(env, "create", "configmap", "hand-notes", "--from-literal=a=b", "-n", "dev-db")

    for args in (["prep.preflight"], ["prep.structure", "--set", "option=a"], ["prep.backup"]):
        run_json(repo, env, *args)
    first = run_json(repo, env, "repo.adopt", ok=(3,))
    assert first["status"] == "needs-answers"
    assert [q["key"] for q in first["questions"]] == ["environment"], first
    assert [c["value"] for c in first["questions"][0]["choices"]] == ["dev", "prod"]

    second = run_json(repo, env, "repo.adopt", "--set", "environment=dev", ok=(3,))
    keys = [q["key"] for q in second["questions"]]
    assert "adopt.ConfigMap/dev-db/hand-notes" in keys, keys
    assert not any(gen_name in k or "init-sql" in k for k in keys), keys
    assert not any(k.startswith(("adopt.Namespace/", "adopt.Service/")) for k in keys), keys

    done = run_json(repo, env, "repo.adopt", "--set", "adopt.ConfigMap/dev-db/hand-notes=adopt")
    assert done["status"] == "passed", done
    assert gen_name not in json.dumps(done["evidence"].get("only_in_cluster", [])), done
