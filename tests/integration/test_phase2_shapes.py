"""Phase 2 on the shapes real homelab repos have, with the real CLI, git and kubectl kustomize (no cluster).

- nested manifest folders (monitoring/ and monitoring/dashboards/provisioning/), with non-YAML files;
- an existing kustomize tree whose kustomization renames and generates (namespace, namePrefix,
  commonLabels, configMapGenerator with a hash suffix), over a base with dev/prod overlays;
- a `kind: List` file.
Each runs 1.1 and 2.1-2.4 for Option A and B; 2.4 passes only when the Flux paths render exactly the
objects the owner's own apply creates (by identity after kustomize's transforms).
"""
from __future__ import annotations

import json

import pytest
import yaml

from tests.helpers import DEPLOYMENT, NO_CLUSTER, cli_env, git, item_status, make_repo, run_cli, status_json

KS = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\ndata:\n  k: v\n"

FILES = {
    # nested plain folders, each with a file that is not YAML
    "monitoring/prometheus.yaml": CM.format(name="prometheus", ns="monitoring"),
    "monitoring/alerts.rules": "groups: []\n",
    "monitoring/dashboards/provisioning/dashboards.yaml": CM.format(name="dashboards", ns="monitoring"),
    "monitoring/dashboards/provisioning/node.json": json.dumps({"title": "node"}),
    # a kustomize component: base + overlays, the owner applies overlays/prod
    "whoami/base/kustomization.yaml": KS + "resources: [deployment.yaml]\ncommonLabels:\n  team: me\n",
    "whoami/base/deployment.yaml": DEPLOYMENT.format(name="whoami", ns="default"),  # the overlays set theirs
    "whoami/overlays/dev/kustomization.yaml": KS + "namespace: dev\nnamePrefix: dev-\nresources: [../../base]\n",
    "whoami/overlays/prod/kustomization.yaml": KS + "namespace: web\nresources: [../../base]\n"
                                               "configMapGenerator:\n  - name: whoami-config\n    files: [app.ini]\n",
    "whoami/overlays/prod/app.ini": "greeting=hello\n",
    # kind: List
    "lists/all.yaml": "apiVersion: v1\nkind: List\nitems:\n"
                      + "".join("  - " + CM.format(name=n, ns="lists").replace("\n", "\n    ").rstrip() + "\n"
                                for n in ("one", "two")),
}
ITEMS = ["repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests"]


@pytest.fixture
def env(tmp_path):
    return cli_env(**NO_CLUSTER, HOMELAB_WIZARD_DATA=str(tmp_path / "data"))


def wiz(repo, env, *args):
    return run_cli("--repo", str(repo), *args, env=env)


def render(repo, path) -> set[tuple[str, str, str]]:
    import subprocess

    out = subprocess.run(["kubectl", "kustomize", str(repo / path)], capture_output=True, text=True, check=True,
                         env=cli_env()).stdout
    return {(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]) for d in yaml.safe_load_all(out) if d}


@pytest.mark.parametrize("option", ["a", "b"])
def test_nested_folders_kustomize_trees_and_lists(tmp_path, env, option):
    repo = make_repo(tmp_path / "repo", FILES)
    owner = render(repo, "whoami/overlays/prod")  # what `kubectl apply -k whoami/overlays/prod` creates
    gen = next(n for k, _, n in owner if k == "ConfigMap")
    assert gen.startswith("whoami-config-")  # the generator's hash suffix
    res = wiz(repo, env, "run", "1.1", "--set", f"option={option}", "--yes")
    assert res.returncode == 0, res.stderr
    res = wiz(repo, env, "run", "2.1", "--yes")
    assert res.returncode == 3 and "environment=<dev|prod>" in res.stderr  # asked before anything changes
    assert git(repo, "status", "--porcelain") == ""
    for item in ITEMS:
        res = wiz(repo, env, "run", item, "--set", "environment=prod", "--yes")
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
    data = status_json(repo, env)
    for item in ITEMS:
        assert item_status(data, item)["status"] == "passed", item_status(data, item)["message"]
    flux, health = {}, []
    for name in ("infrastructure.yaml", "apps.yaml"):
        f = repo / "clusters/homelab" / name
        if f.is_file():
            for d in yaml.safe_load_all(f.read_text()):
                if d:
                    flux[d["metadata"]["name"]] = d["spec"]["path"].removeprefix("./")
                    health += d["spec"].get("healthChecks") or []
    # Health checks name the Deployment as the overlay renders it (namespace: web), not as its file says.
    assert {(h["kind"], h["namespace"], h["name"]) for h in health} == {("Deployment", "web", "whoami")}
    rendered = set().union(*(render(repo, p) for p in flux.values()))
    want = owner | {("ConfigMap", "monitoring", "prometheus"), ("ConfigMap", "monitoring", "dashboards"),
                    ("ConfigMap", "lists", "one"), ("ConfigMap", "lists", "two"),
                    ("ConfigMap", "flux-system", "homelab-wizard-drift-canary")}  # the wizard's, for 4.3/4.4
    assert rendered == want
    # non-YAML files moved with their folders; the parent's own files are not left behind
    moved = {p for p in git(repo, "ls-files").split()}
    rules = [p for p in moved if p.endswith("alerts.rules")]
    node = [p for p in moved if p.endswith("node.json")]
    assert len(rules) == 1 and len(node) == 1
    assert rules[0].rsplit("/", 1)[0] == next(p for p in moved if p.endswith("prometheus.yaml")).rsplit("/", 1)[0]
    assert node[0].rsplit("/", 1)[0] == next(p for p in moved if p.endswith("dashboards.yaml")).rsplit("/", 1)[0]
    assert any(p.endswith("overlays/prod/app.ini") for p in moved)  # the generator's input moved with its tree


def test_secret_generator_values_never_reach_output_state_or_audit(tmp_path, env):
    """Fault (issue 14 item 2): a failing `kubectl kustomize` printed secretGenerator literals, and
    they reached stdout, state.json and audit.jsonl."""
    canary = "Gen-Literal-" + "q7Z" * 5
    repo = make_repo(tmp_path / "repo", {
        # kustomize's error for the malformed second literal prints every literal of the generator
        "app/kustomization.yaml": KS + "resources: [cm.yaml]\n"
                                       f"secretGenerator:\n  - name: creds\n    literals: [password={canary}, bad literal]\n",
        "app/cm.yaml": CM.format(name="app", ns="web"),
    })
    assert wiz(repo, env, "run", "1.1", "--set", "option=a", "--yes").returncode == 0
    outputs = ""
    for args in (("run", "2.1", "--yes"), ("verify", "2.2"), ("status",)):
        res = wiz(repo, env, *args)
        assert "Traceback" not in res.stderr, res.stderr
        outputs += res.stdout + res.stderr
    assert "invalid literal source bad literal" in outputs and "app" in outputs  # the build error is shown
    state_dir = repo / ".git" / "homelab-wizard"
    stored = "".join(p.read_text(errors="replace") for p in state_dir.rglob("*") if p.is_file())
    assert canary not in outputs and canary not in stored


def test_a_symlink_to_a_file_outside_the_repo_is_never_followed(tmp_path, env):
    """Fault (issue 14 item 9): a symlink to a file outside the repo was followed: 2.2 wrote and staged
    files, then failed on kustomize's check, and secrets.convert replaced the link with an encrypted copy."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ext\n  namespace: web\nstringData:\n  pw: Out-" + "x9Y" * 5 + "\n"
    (outside / "secret.yaml").write_text(secret)
    repo = make_repo(tmp_path / "repo", {"web/cm.yaml": CM.format(name="web", ns="web")})
    (repo / "web/external.yaml").symlink_to(outside / "secret.yaml")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "link")
    assert wiz(repo, env, "run", "1.1", "--set", "option=a", "--yes").returncode == 0
    for item in ITEMS:
        res = wiz(repo, env, "run", item, "--yes")
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
    assert "external.yaml" not in (repo / "apps/web/kustomization.yaml").read_text()
    assert (repo / "apps/web/external.yaml").is_symlink() or (repo / "web/external.yaml").is_symlink()
    res = wiz(repo, env, "run", "secrets.scan", "--set", "secrets=sops", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    findings = item_status(status_json(repo, env), "secrets.scan")["evidence"]["findings"]
    assert not [f for f in findings if f["path"].endswith("external.yaml")]  # not read: nothing to convert there
    assert (outside / "secret.yaml").read_text() == secret
