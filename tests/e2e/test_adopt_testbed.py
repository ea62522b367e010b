"""2.0 repo.adopt on a private testbed (issue 13, part 1): objects made with `kubectl create` and never
in git are asked about one by one, adopted into the repo (a Secret only encrypted with SOPS) or left
to the cluster with a reason, and after the whole migration Flux manages every adopted object with
the UID it had before (taken over, not recreated); 4.1 lists the one left behind as left by choice.
Headless, with the real CLI. Loopback only: kubectl create/get/apply, never logs/exec/port-forward.
"""
from __future__ import annotations

import pytest

import json
import subprocess

from tests.e2e.homelab import CANARY, NS, hand_applied_homelab, kubectl, kubectl_json, wiz
from tests.helpers import git
from tests.testbed.charts import serve_chart_repo
from tests.testbed.tools import condition, run as tb_run, wait_until

pytestmark = pytest.mark.testbed

SECRET_VALUE = "adopt-" + CANARY  # assembled at run time, never a real credential
ISSUER_FILE = "infrastructure/kubernetes/certificates/cluster-issuer.yaml"
ISSUER = ("apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: letsencrypt\nspec:\n"
          "  acme:\n    server: https://acme.invalid/directory\n    privateKeySecretRef: {name: le}\n")
RELEASE = "greeter"  # a local chart put in with `helm install`, by hand
CHART_PASSWORD = "chart-" + CANARY


def helm_json(env, *args):
    return json.loads(tb_run(["helm", *args, "-n", NS, "-o", "json"], env).stdout)


def uid(env, kind, name) -> str:
    return kubectl_json(env, kind, name, "-n", NS)["metadata"]["uid"]


@pytest.fixture(scope="module")
def adopted(testbed_factory, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("adopt")
    tb = testbed_factory("adopt")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp / "data"), "GIT_PASSWORD": CANARY}
    repo, url = hand_applied_homelab(tb, tmp, env)
    # In the repo but never applied: cert-manager was never installed, so its ClusterIssuer fails.
    (repo / "infrastructure/kubernetes/certificates").mkdir(parents=True)
    (repo / ISSUER_FILE).write_text(ISSUER)
    git(repo, "add", ISSUER_FILE)
    git(repo, "commit", "-qm", "a ClusterIssuer for later")
    # A field changed on the cluster with kubectl edit (its field manager), never in git.
    # The real `kubectl edit`, its editor a sed script (kubectl records the change as manager kubectl-edit).
    editor = {**env, "KUBE_EDITOR": "sed -i -e 's/^  maxmemory: 64mb$/  maxmemory: 64mb\\n  maxclients: \"100\"/'"}
    res = subprocess.run(["kubectl", "edit", "configmap", "redis-config", "-n", NS], env=editor, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr
    cm = kubectl_json(env, "configmap", "redis-config", "-n", NS, "--show-managed-fields")
    assert cm["data"]["maxclients"] == "100" and "kubectl-edit" in {m["manager"] for m in cm["metadata"]["managedFields"]}
    # Made by hand, never in git.
    kubectl(env, "create", "deployment", "hand-made", "--image=nginx:1.27", "-n", NS)
    kubectl(env, "create", "configmap", "hand-cm", "--from-literal=mode=manual", "-n", NS)
    kubectl(env, "create", "secret", "generic", "hand-secret", f"--from-literal=password={SECRET_VALUE}", "-n", NS)
    kubectl(env, "create", "configmap", "scratch-notes", "--from-literal=note=temporary", "-n", NS)
    charts = serve_chart_repo(tmp / "charts", env)  # on 127.0.0.1, for the whole module
    tb_run(["helm", "install", RELEASE, str(charts.chart), "-n", NS, "--set", "greeting=hi-from-hand",
            "--set", f"auth.password={CHART_PASSWORD}", "--wait", "--timeout", "2m"], env)
    release_objects = {("deployment", RELEASE), ("configmap", f"{RELEASE}-config"), ("service", RELEASE)}
    before = {("deployment", "hand-made"): uid(env, "deployment", "hand-made"),
              ("configmap", "hand-cm"): uid(env, "configmap", "hand-cm"),
              ("secret", "hand-secret"): uid(env, "secret", "hand-secret"),
              **{o: uid(env, *o) for o in release_objects}}
    revision = max(h["revision"] for h in helm_json(env, "history", RELEASE))

    def run(item, *args, ok=(0,)):
        return wiz(repo, "run", item, *args, "--yes", env=env, ok=ok)

    run("prep.preflight")
    run("prep.structure", "--set", "option=a", "--set", "cluster=homelab")
    run("prep.backup")
    run("prep.inventory")
    asked = run("repo.adopt", ok=(3,))
    yield tb, env, repo, url, run, before, asked, charts, revision
    charts.stop()


def test_each_object_made_by_hand_is_asked_before_anything_changes(adopted):
    tb, env, repo, url, run, before, asked, charts, revision = adopted
    assert "toolkit.fluxcd.io=" not in asked.stderr
    # The chart's objects are not asked one by one: the release is the unit.
    assert f"helm-adopt.{NS}/{RELEASE}" in asked.stderr and f"Deployment/{NS}/{RELEASE}=" not in asked.stderr  # Flux's own CRDs are bootstrap's, never asked
    for ref in ("Deployment/homelab/hand-made", "ConfigMap/homelab/hand-cm", "Secret/homelab/hand-secret",
                "ConfigMap/homelab/scratch-notes"):
        assert f"adopt.{ref}" in asked.stderr, asked.stderr
    assert "--set adopt." in asked.stderr  # the CLI says how to answer
    # Asked in the same go: the ClusterIssuer's kind nothing provides, with both ways out.
    assert "class.infrastructure/kubernetes/certificates=exclude" in asked.stderr, asked.stderr
    assert "add the provider" in asked.stderr, asked.stderr
    assert git(repo, "status", "--porcelain") == ""  # nothing written yet (1.3's report is git-ignored here)


def test_adopted_objects_keep_their_uids_under_flux_and_the_left_one_is_listed_as_left(adopted):
    tb, env, repo, url, run, before, asked, charts, revision = adopted
    answers = ["--set", f"helm-adopt.{NS}/{RELEASE}=adopt", "--set", f"helm-adopt-repo.{NS}/{RELEASE}={charts.url}","--set", "adopt.Deployment/homelab/hand-made=adopt", "--set", "adopt.ConfigMap/homelab/hand-cm=adopt",
               "--set", "adopt.Secret/homelab/hand-secret=adopt", "--set", "adopt.ConfigMap/homelab/scratch-notes=leave",
               "--set", "adopt-why.ConfigMap/homelab/scratch-notes=scratch space, not configuration",
               # The testbed installed the Sealed Secrets CRD by hand (as a homelab owner who applied its
               # controller.yaml would have): left to the cluster, with its reason.
               "--set", "adopt.CustomResourceDefinition//sealedsecrets.bitnami.com=leave",
               "--set", "adopt-why.CustomResourceDefinition//sealedsecrets.bitnami.com=installed with its controller"]
    # A Secret is written only encrypted: before S.2's key exists, 2.0 says so and writes nothing.
    answers += ["--set", "class.infrastructure/kubernetes/certificates=exclude"]
    blocked = run("repo.adopt", *answers, ok=(3,))
    assert "adopting Secret homelab/hand-secret writes it encrypted" in blocked.stderr, blocked.stderr
    run("secrets.scan", "--set", "secrets=sops")
    run("secrets.keys")
    res = run("repo.adopt", *answers)
    assert "adopt 4 object(s) and Helm release(s)" in res.stdout, res.stdout
    tracked = git(repo, "ls-files").split()
    files = [f for f in tracked if "hand-" in f]
    assert len(files) == 3, tracked
    helm_files = [f for f in tracked if RELEASE in f]
    assert len(helm_files) == 3, tracked  # source, HelmRelease, values Secret (encrypted)
    for f in helm_files:
        assert CHART_PASSWORD not in (repo / f).read_text(), f
    for f in files:
        text = (repo / f).read_text()
        assert SECRET_VALUE not in text and "uid:" not in text and "resourceVersion" not in text
        assert "last-applied-configuration" not in text and "status:" not in text.split("sops:")[0]
    secret_file = next(f for f in files if "secret" in f)
    assert "ENC[" in (repo / secret_file).read_text()
    wiz(repo, "verify", "repo.adopt", env=env)  # passes: adopted or left by choice, nothing open

    for item in ("repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests"):
        run(item)
    for item in ("secrets.convert", "secrets.decryption"):
        run(item)
    run("repo.commit-push", "--set", "ci-deploy=push")
    run("bootstrap.credentials", "--set", "provider=git", "--set", f"git-url={url}")
    # Before 3.2: the hand-edited field is reported, with what Flux will do and the fixes.
    preview = json.loads(wiz(repo, "verify", "bootstrap.ownership", "--json", env=env, ok=(0, 1)).stdout)
    findings = json.dumps(preview["results"][0]["evidence"])
    assert "redis-config" in findings and "maxclients" in findings, findings
    # The owner keeps it: into git (where 2.3 put the file), committed, then 2.5 pushes it.
    cfg = next(p for p in repo.rglob("config.yaml") if "redis-config" in p.read_text())
    cfg.write_text(cfg.read_text().replace("  maxmemory: 64mb\n", "  maxmemory: 64mb\n  maxclients: \"100\"\n"))
    git(repo, "commit", "-qam", "keep the hand-set maxclients")
    run("repo.commit-push", "--set", "ci-deploy=push")
    run("bootstrap.ownership")
    findings = json.dumps(json.loads(wiz(repo, "verify", "bootstrap.ownership", "--json", env=env).stdout))
    assert "maxclients" not in findings, findings
    run("bootstrap.run")
    run("secrets.decryption")
    wiz(repo, "verify", "bootstrap.controllers", "bootstrap.namespace", env=env)
    run("validate.reconciled")
    deployed = wiz(repo, "verify", "validate.deployed", "--json", env=env)
    ev = json.loads(deployed.stdout)
    rows = next(i for i in ev["results"] if i["id"] == "validate.deployed")["evidence"]
    assert (rows["not_in_repo"], rows["missing"]) == ([], []), rows  # nothing unmanaged
    assert any("sealedsecrets.bitnami.com" in r for r in rows["left_to_cluster"]), rows

    def helmrelease():
        return kubectl_json(env, "helmrelease", RELEASE, "-n", NS)

    wait_until("the adopted HelmRelease to be Ready", lambda: (condition(helmrelease(), "Ready") or {}).get("status")
               == "True", timeout=180, state=lambda: helmrelease().get("status"))
    history = helm_json(env, "history", RELEASE)
    assert max(h["revision"] for h in history) == revision + 1, history  # an upgrade of the same release
    assert helm_json(env, "get", "values", RELEASE) == {"greeting": "hi-from-hand", "auth": {"password": CHART_PASSWORD}}
    for (kind, name), was in before.items():
        live = kubectl_json(env, kind, name, "-n", NS)
        assert live["metadata"]["uid"] == was, (kind, name)  # taken over, not recreated
        owner = "helm.toolkit.fluxcd.io/name" if name.startswith(RELEASE) else "kustomize.toolkit.fluxcd.io/name"
        assert live["metadata"]["labels"][owner], (kind, name)
    assert "scratch-notes" not in git(repo, "ls-files")
    assert kubectl_json(env, "configmap", "redis-config", "-n", NS)["data"]["maxclients"] == "100"  # from git now
    data = kubectl_json(env, "secret", "hand-secret", "-n", NS)["data"]
    import base64

    assert base64.b64decode(data["password"]).decode() == SECRET_VALUE  # decrypted by Flux, unchanged
