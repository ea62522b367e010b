"""Drive the wizard headless over the real-repo corpus (../shared/corpus), as a new user would.

Each corpus folder is laid out as a fresh git repository (the owner's files as one commit) with a
bare origin, then the CLI runs, for one option: 1.1, 2.1-2.4, S.1-S.3 with sops, 2.5 and
`integrate.no-manual-apply --dry-run`. The answers a user would give (which overlay is this
cluster, which copy of a duplicate to keep) come from ANSWERS, and the report says which were
needed. Used by tests/corpus/test_corpus.py and by `make corpus` (python -m tests.corpus.driver).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import GIT_ENV, ROOT, VENV_BIN, cli_env, git

CORPUS = Path(os.environ.get("HOMELAB_WIZARD_CORPUS", ROOT.parent / "shared" / "corpus"))
# The corpus' own description of each folder, not the owner's file.
NOT_THE_OWNERS = {"SOURCE.md"}
ITEMS = ["repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests",
         "secrets.scan", "secrets.keys", "secrets.convert", "repo.commit-push"]
SHORT = {"prep.structure": "1.1", "repo.cluster-dir": "2.1", "repo.kustomizations": "2.2", "repo.apps": "2.3",
         "repo.flux-manifests": "2.4", "secrets.scan": "S.1", "secrets.keys": "S.2", "secrets.convert": "S.3",
         "repo.commit-push": "2.5", "integrate.no-manual-apply": "5.2"}

# The answers a user gives beyond the option and the cluster name, per repo (the wizard asks
# each one by its Question key; the tests assert that it asked exactly these).
ANSWERS: dict[str, dict[str, str]] = {
    # README: `kubectl apply -k <component>/overlays/prod` (the remote bases are left out, with a note).
    "abdullahainun__selfh-k8s": {"environment": "prod"},
    # The ConfigMap in templates/ is a copy of the app's own (they differ by a final newline). The two
    # dashboard Services sit in one folder: `kubectl apply -f` order settles that one without a question.
    "chkpwd__iac": {"duplicate.ConfigMap/default/nginx-http-cm": "kubernetes/apps/web/nginx/nginx-http-cm.yml:1"},
    # kube-flannel.yml predates Kubernetes 1.22: its RBAC is rewritten to v1, its PodSecurityPolicy (gone
    # in 1.25, no successor) is left out. Each is the first choice the wizard offers.
    "gandazgul__k8s-infrastructure": {
        "api-upgrade.PodSecurityPolicy//psp.flannel.unprivileged": "exclude",
        "api-upgrade.ClusterRole//flannel": "rewrite", "api-upgrade.ClusterRoleBinding//flannel": "rewrite"},
    # pii-demo-blue-green is the demo as the owner last deployed it; the istio prometheus addon repeats
    # a key (kustomize refuses it), so it stays applied by hand.
    "lisenet__kubernetes-homelab": {
        "duplicate.Service/pii-demo/httpd-server": "pii-demo-blue-green/httpd-service.yml:2",
        "duplicate.Service/pii-demo/mysql-server": "pii-demo-blue-green/mysql-service.yml:2",
        "duplicate.Gateway/pii-demo/pii-demo-gateway": "pii-demo-blue-green/istio-gateway.yml:2",
        "duplicate.PeerAuthentication/pii-demo/default": "pii-demo-blue-green/istio-gateway.yml:18",
        "class.istio-addons/prometheus": "exclude",
        # Removed in Kubernetes 1.25: calico's and istio's PodDisruptionBudgets and istio's v2beta1
        # autoscalers are rewritten (policy/v1, autoscaling/v2); metallb's PodSecurityPolicies are left out.
        "api-upgrade.PodDisruptionBudget/kube-system/calico-kube-controllers": "rewrite",
        "api-upgrade.PodDisruptionBudget/istio-system/istio-ingressgateway": "rewrite",
        "api-upgrade.PodDisruptionBudget/istio-system/istiod": "rewrite",
        "api-upgrade.HorizontalPodAutoscaler/istio-system/istio-ingressgateway": "rewrite",
        "api-upgrade.HorizontalPodAutoscaler/istio-system/istiod": "rewrite",
        "api-upgrade.PodSecurityPolicy/metallb-system/controller": "exclude",
        "api-upgrade.PodSecurityPolicy/metallb-system/speaker": "exclude"},
    # Makefile: `ENV ?= dev` (the 18 helmCharts overlays are left out, with a note).
    "master-bogdan__homelab": {"environment": "dev"},
    # theepicsaxguy: its generator inputs were never committed (configs/*.ini, secrets/*.env) and
    # metallb/dashboard are remote: those trees are left out with a note, no question.
}


def repos() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("."))


def lay_out(name: str, dest: Path) -> Path:
    """The corpus folder `name` as a git repo at dest/repo with a bare origin at dest/origin.git."""
    repo = dest / "repo"
    shutil.copytree(CORPUS / name, repo, ignore=lambda d, names: [n for n in names if n in NOT_THE_OWNERS
                                                                   and Path(d) == CORPUS / name],
                    symlinks=True)
    for p in [repo, *repo.rglob("*")]:  # ../shared is read-only: the copy must be the owner's to change
        if not p.is_symlink():
            p.chmod(p.stat().st_mode | 0o200)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "owner@example.invalid")
    git(repo, "config", "user.name", "Owner")
    git(repo, "config", "commit.gpgsign", "false")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the owner's repo before GitOps")
    origin = dest / "origin.git"
    git(dest, "init", "-q", "--bare", "-b", "main", str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "-q", "origin", "main")
    return repo


@dataclass
class Step:
    item: str
    rc: int
    status: str
    message: str
    seconds: float
    stdout: str = field(default="", repr=False)
    stderr: str = field(default="", repr=False)


@dataclass
class Result:
    repo: str
    option: str
    steps: list[Step] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    objects_before: int | None = None
    objects_after: int | None = None
    seconds: float = 0.0
    workdir: Path | None = None

    def step(self, item: str) -> Step | None:
        return next((s for s in self.steps if s.item == item), None)

    def passed(self, item: str) -> bool:
        s = self.step(item)
        return s is not None and s.status == "passed"


def _env(data: Path) -> dict[str, str]:
    return cli_env(KUBECONFIG="/nonexistent/kubeconfig", HOMELAB_WIZARD_DATA=str(data), **GIT_ENV)


def _cli(repo: Path, env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo), *args], capture_output=True,
                          text=True, env=env, input="", timeout=timeout)


def _status(repo: Path, env: dict) -> dict[str, dict]:
    res = _cli(repo, env, "status", "--json")
    if res.returncode != 0:
        return {}
    data = json.loads(res.stdout)
    return {it["id"]: it for ph in data["phases"] for it in ph["items"]}


def run_repo(name: str, option: str, workdir: Path, answers: dict[str, str] | None = None,
             items: list[str] | None = None) -> Result:
    answers = dict(ANSWERS.get(name, {}) if answers is None else answers)
    result = Result(name, option, answers=answers, workdir=workdir)
    t0 = time.monotonic()
    repo = lay_out(name, workdir)
    env = _env(workdir / "data")
    sets = [a for k, v in answers.items() for a in ("--set", f"{k}={v}")]
    plan = [("prep.structure", ["--set", f"option={option}", "--set", "cluster=homelab", *sets])]
    plan += [(i, ["--set", "secrets=sops"] if i.startswith("secrets.") else []) for i in (ITEMS if items is None else items)]
    for item, extra in plan:
        s0 = time.monotonic()
        res = _cli(repo, env, "run", item, "--yes", *extra)
        st = _status(repo, env).get(item, {})
        result.steps.append(Step(item, res.returncode, st.get("status", "?"), st.get("message", ""),
                                 time.monotonic() - s0, res.stdout, res.stderr))
        if item == "repo.flux-manifests":
            ev = st.get("evidence") or {}
            result.objects_after = ev.get("objects")
        if item == "repo.apps":
            ev = st.get("evidence") or {}
            result.objects_before = ev.get("objects_before")
    if items is not None:
        result.seconds = time.monotonic() - t0
        return result
    s0 = time.monotonic()
    res = _cli(repo, env, "run", "integrate.no-manual-apply", "--dry-run", "--yes")
    result.steps.append(Step("integrate.no-manual-apply", res.returncode,
                             "planned" if res.returncode == 0 else f"rc={res.returncode}",
                             (res.stdout.strip().splitlines() or res.stderr.strip().splitlines() or [""])[0],
                             time.monotonic() - s0, res.stdout, res.stderr))
    result.seconds = time.monotonic() - t0
    return result


def row(r: Result) -> str:
    cells = [f"{SHORT[s.item]}={'ok' if s.status in ('passed', 'planned') else s.status}" for s in r.steps]
    need = ",".join(sorted(r.answers)) or "-"
    return (f"| {r.repo} | {r.option.upper()} | {' '.join(cells)} | {r.objects_before} | {r.objects_after} | "
            f"{need} | {r.seconds:.0f} |")


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")] or repos()
    verbose = "-v" in argv
    if not names:
        print(f"no corpus at {CORPUS} (set HOMELAB_WIZARD_CORPUS)", file=sys.stderr)
        return 2
    print("| repo | option | items | objects before | objects after | answers needed | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        for option in ("a", "b"):
            with tempfile.TemporaryDirectory(prefix=f"corpus-{option}-") as tmp:
                r = run_repo(name, option, Path(tmp))
                print(row(r), flush=True)
                if verbose:
                    for s in r.steps:
                        if s.status not in ("passed", "planned"):
                            print(f"    {s.item} rc={s.rc}: {s.message[:600]}")
                            tb = "Traceback" in s.stderr or "Traceback" in s.stdout
                            if tb or not s.message:
                                print("      " + (s.stderr or s.stdout)[-1500:].replace("\n", "\n      "))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
