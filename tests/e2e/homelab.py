"""The hand-applied homelab the end-to-end tests migrate, and the steps they share.

The "before" state of a user: manifests in a git repo, applied by hand with kubectl. The helpers
drive the real `homelab-wizard` CLI over it (Phases 1 and 2, a real bootstrap) so that each test
module starts from the same place without copying the set-up. Not a test module itself.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.helpers import DEPLOYMENT, git, make_repo, run_cli

NS = "homelab"
CANARY = "hlw-canary-" + "7f3a9c1e5b"  # assembled at run time, never a real token


def manifests(ns: str) -> dict[str, str]:
    """A namespace, two Deployments, a Service and a ConfigMap, in the seed's folder layout."""
    return {
        "infrastructure/kubernetes/base/namespace.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n",
        "infrastructure/kubernetes/services/web.yaml": DEPLOYMENT.format(name="web", ns=ns) + (
            f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n"
            "  selector: {app: web}\n  ports:\n    - port: 80\n"),
        "infrastructure/kubernetes/databases/redis.yaml": DEPLOYMENT.format(name="redis", ns=ns),
        "infrastructure/kubernetes/databases/config.yaml":
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: redis-config\n  namespace: {ns}\ndata:\n  maxmemory: 64mb\n",
    }


MANIFESTS = manifests(NS)


def wiz(repo, *args, env, ok=(0,)):
    """`homelab-wizard --repo REPO ARGS`, asserting the exit code is one of `ok`."""
    res = run_cli("--repo", str(repo), *args, env=env, timeout=600)
    assert res.returncode in ok, f"{args} -> {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res


def kubectl(env, *args, check=True):
    return subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, check=check)


def kubectl_json(env, *args):
    return json.loads(subprocess.run(["kubectl", "get", *args, "-o", "json"], env=env, check=True,
                                     capture_output=True, text=True).stdout)


def names(env, kind, ns) -> set[str]:
    return {i["metadata"]["name"] for i in kubectl_json(env, kind, "-n", ns)["items"]}


def hand_applied_homelab(tb, tmp_path: Path, env: dict) -> tuple[Path, str]:
    """The 'before' state: a repo pushed to the git server and applied by hand."""
    url = tb.create_git_repo("homelab")
    repo = make_repo(tmp_path / "repo", MANIFESTS)
    (repo / ".gitignore").write_text("docs/cluster-inventory.md\n")  # the Phase 1 report stays local here
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore the local inventory report")
    git(repo, "remote", "add", "origin", url)
    subprocess.run(["git", "-C", str(repo), "push", "-q", "origin", "main"], env=env, check=True, capture_output=True)
    subprocess.run(["kubectl", "apply", "-R", "-f", str(repo / "infrastructure")], env=env, check=True,
                   capture_output=True)
    return repo, url


def phase1(repo, env) -> None:
    """1.0 preflight, 1.1 Option A and 1.2 backup (what rollback needs)."""
    for args in (["run", "prep.preflight", "--yes"], ["run", "prep.structure", "--set", "option=a", "--yes"],
                 ["run", "prep.backup", "--yes"]):
        wiz(repo, *args, env=env)


def phases_1_and_2(step) -> None:
    step("run", "prep.preflight", "--yes")
    step("run", "prep.structure", "--set", "option=a", "--yes")
    step("run", "prep.backup", "--yes")
    step("run", "prep.inventory", "--yes")
    # Phase 2 (secrets: this homelab has none; the items are skipped with a reason, never passed)
    for item in ("repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests"):
        step("run", item, "--yes")
    for item in ("secrets.scan", "secrets.keys", "secrets.convert", "secrets.decryption"):
        step("skip", item, "--reason", "no Secrets in this repo")
    step("run", "repo.commit-push", "--set", "ci-deploy=push", "--yes")
    step("run", "bootstrap.ownership", "--yes")  # 3.0: what Flux takes over (3.2 needs it)


def bootstrapped_repo(tb, tmp, env):
    """Phases 1-3 headless with the CLI: a repo reconciled by a freshly bootstrapped Flux."""
    repo, url = hand_applied_homelab(tb, tmp, env)
    phases_1_and_2(lambda *a, ok=(0,): wiz(repo, *a, env=env, ok=ok))
    wiz(repo, "run", "bootstrap.credentials", "--set", "provider=git", "--set", f"git-url={url}", "--yes", env=env)
    wiz(repo, "run", "bootstrap.run", "--yes", env=env)
    wiz(repo, "verify", "bootstrap", env=env)
    return repo, url


def hand_applied_demo(tb, tmp: Path, env: dict) -> tuple[Path, str]:
    """`homelab-wizard demo`, pushed to the testbed's git server and applied the way its README says
    (folder by folder; the ClusterIssuer fails, as it does for its owner without cert-manager)."""
    repo = tmp / "demo"
    wiz(tmp, "demo", str(repo), env=env)
    url = tb.create_git_repo("homelab")
    git(repo, "remote", "add", "origin", url)
    subprocess.run(["git", "-C", str(repo), "push", "-q", "origin", "main"], env=env, check=True, capture_output=True)
    k8s = repo / "infrastructure/kubernetes"
    applies = [["-f", k8s / "base/namespace.yaml"], ["-f", k8s / "databases"], ["-k", k8s / "monitoring"],
               ["-f", k8s / "dns"], ["-f", k8s / "registry"], ["-f", k8s / "services"], ["-f", k8s / "flowise"],
               ["-f", repo / "services/homelab-dashboard/k8s"], ["-f", k8s / "ingress"]]
    for flag, path in applies:
        subprocess.run(["kubectl", "apply", flag, str(path)], env=env, check=True, capture_output=True)
    return repo, url


def items_of(data: dict) -> dict[str, dict]:
    return {it["id"]: it for ph in data["phases"] for it in ph["items"]}
