"""Issue 21 through the real CLI, git and kubectl kustomize (no cluster): objects with no namespace get
the kubeconfig context's, set by 2.2 the way the layout allows; a Secret the API server refuses and a
namespace made by hand are declared questions (`run --json` prints them, exit 3); Flux's paths then
render every namespaced object with a namespace; a corpus repo's kustomize trees get theirs too."""
from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from tests.corpus import driver
from tests.helpers import DEPLOYMENT, cli_env, git, item_status, make_repo, run_cli, status_json

KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: home
clusters: [{name: home, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: me, user: {}}]
contexts: [{name: home, context: {cluster: home, user: me, namespace: apps}}]
"""
FILES = {
    # kubectl apply -f web/ -n apps: neither names a namespace
    "web/deploy.yaml": DEPLOYMENT.replace("  namespace: {ns}\n", "").format(name="web"),
    "web/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  k: v\n",
    # one names its namespace, the other not: only the manifest can say it
    "mixed/all.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  namespace: other\n---\n"
                      "# the second one\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two  # no namespace\n",
    # a placeholder the owner never replaced: the API server refused it, the ConfigMap beside it was applied
    "creds/db.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db-config\n  namespace: apps\ndata:\n"
                     "  host: db\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: apps\n"
                     "data:\n  password: <CHANGE-ME>\n",
}
ITEMS = ["repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests"]


@pytest.fixture
def env(tmp_path):
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    return cli_env(KUBECONFIG=str(tmp_path / "kubeconfig"), HOMELAB_WIZARD_DATA=str(tmp_path / "data"))


def wiz(repo, env, *args):
    return run_cli("--repo", str(repo), *args, env=env)


def flux_render(repo) -> list[dict]:
    out = []
    for name in ("infrastructure.yaml", "apps.yaml"):
        f = repo / "clusters/homelab" / name
        for d in (yaml.safe_load_all(f.read_text()) if f.is_file() else []):
            if d and d.get("kind") == "Kustomization":
                text = subprocess.run(["kubectl", "kustomize", str(repo / d["spec"]["path"])], check=True,
                                      capture_output=True, text=True, env=cli_env()).stdout
                out += [x for x in yaml.safe_load_all(text) if x]
    return out


def where(objs: list[dict]) -> dict[str, str]:
    return {f"{d['kind']}/{d['metadata']['name']}": d["metadata"].get("namespace", "") for d in objs}


def test_namespaceless_objects_refused_secret_and_namespace_made_by_hand(tmp_path, env):
    repo = make_repo(tmp_path / "repo", FILES)
    assert wiz(repo, env, "run", "1.1", "--set", "option=a", "--yes").returncode == 0
    res = wiz(repo, env, "run", "2.1", "--yes", "--json")
    assert res.returncode == 3, res.stderr
    asked = json.loads(res.stdout)
    assert asked["status"] == "needs-answers"
    q = {x["key"]: x for x in asked["questions"]}["reject.Secret/apps/db"]
    assert q["where"] == "creds/db.yaml:9" and [c["value"] for c in q["choices"]] == ["exclude", "fix"]
    assert "not base64" in q["prompt"] and git(repo, "status", "--porcelain") == ""
    preview = wiz(repo, env, "run", "2.2", "--dry-run", "--set", "reject.Secret/apps/db=exclude")
    assert "the namespace apps is used by" in preview.stdout and "create-namespace.apps=write" in preview.stdout
    sets = ["--set", "reject.Secret/apps/db=exclude", "--set", "create-namespace.apps=write"]
    for item in ITEMS:
        res = wiz(repo, env, "run", item, "--yes", *sets)
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
    data = status_json(repo, env)
    for item in ITEMS:
        assert item_status(data, item)["status"] == "passed", item_status(data, item)["message"]
    got = where(flux_render(repo))
    # the context's namespace (what `kubectl apply -f` used), set once per folder or per manifest
    assert got["Deployment/web"] == got["ConfigMap/web-config"] == "apps"
    assert got["ConfigMap/one"] == "other" and got["ConfigMap/two"] == "apps"
    assert got["Namespace/apps"] == "" and "Secret/db" not in got and got["ConfigMap/db-config"] == "apps"
    web_k = next(repo.rglob("web/kustomization.yaml"))
    assert yaml.safe_load(web_k.read_text())["namespace"] == "apps"
    mixed = next(repo.rglob("mixed/all.yaml")).read_text()
    assert "# the second one" in mixed and "name: two  # no namespace\n  namespace: apps" in mixed


def test_a_kustomize_tree_of_a_corpus_repo_gets_the_namespace_where_its_objects_come_from(tmp_path, env):
    """abdullahainun's excalidraw and opengist overlays name no namespace: the overlay gets namespace:
    when all its objects share it; opengist (with a cluster-scoped PersistentVolume) gets it in its base files."""
    name = "abdullahainun__selfh-k8s"
    if name not in driver.repos():
        pytest.skip(f"{name} is not in the corpus")
    repo = driver.lay_out(name, tmp_path)
    for item, extra in [("prep.structure", ["--set", "option=a"]), *[(i, []) for i in ITEMS]]:
        res = wiz(repo, env, "run", item, "--yes", "--set", "environment=prod", *extra)
        assert res.returncode == 0, f"{item}: {res.stdout[-2000:]}\n{res.stderr[-2000:]}"
    objs = flux_render(repo)
    cluster_scoped = {"PersistentVolume", "Namespace", "ClusterRole", "ClusterRoleBinding", "ConstraintTemplate",
                      "StorageClass"}
    homeless = [k for k, ns in where(objs).items() if not ns and k.split("/")[0] not in cluster_scoped
                and not k.startswith("K8s")]
    assert homeless == []
    assert where(objs)["Deployment/excalidraw"] == "apps" and where(objs)["PersistentVolume/pv-opengist"] == ""
    overlay = next(repo.rglob("excalidraw/overlays/prod/kustomization.yaml"))
    assert yaml.safe_load(overlay.read_text())["namespace"] == "apps"
    base = next(repo.rglob("opengist/base/deployment.yaml"))
    assert yaml.safe_load(base.read_text())["metadata"]["namespace"] == "apps"
