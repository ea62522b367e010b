"""Checks of the tools, the repository and the cluster, shared by `doctor` and preflight.

Every check collects problems instead of stopping at the first, so the user sees the
whole list at once.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .runner import ToolError
from .session import Session, WizardError
from .tools.base import fmt_version
from .tools.flux import min_kubernetes_for
from .runner import Runner
from .tools.flux import Flux
from .tools.git import Git
from .tools.kubectl import Kubectl
from .tools.install import TOOLS as INSTALL_RECIPES
from .tools.sops import Age, Kubeseal, Sops


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    data: dict = field(default_factory=dict)


def tools_needed(answers: dict) -> list[str]:
    tools = ["kubectl", "flux", "git"]
    if answers.get("secrets") == "sops":
        tools += ["sops", "age", "age-keygen"]
    elif answers.get("secrets") == "sealed-secrets":
        tools += ["kubeseal"]
    return tools


ALL_TOOLS = ["kubectl", "flux", "git", "sops", "age", "age-keygen", "kubeseal"]
# What `doctor --install-tools` can install; the others come with the wizard's own dependencies
# (kubectl, sops) or with any system (git).
INSTALLABLE = tuple(INSTALL_RECIPES)


def install_hint(name: str) -> str:
    if name in ("age", "age-keygen"):
        return ("install age with your package manager (apt-get install age, dnf install age, brew install age), "
                "or 'homelab-wizard doctor --install-tools' installs the pinned version")
    if name in INSTALLABLE:
        return "'homelab-wizard doctor --install-tools' installs the pinned version"
    return "install it (see README.md)"



def check_tools(runner: Runner, names: list[str], server_version=None, kubeconfig: str | None = None,
                context: str | None = None) -> list[Check]:
    """Each tool: found on PATH, its version, and whether it fits the cluster. Needs no repo."""
    versions = {
        "kubectl": lambda: Kubectl(runner, kubeconfig=kubeconfig, context=context).client_version(),
        "flux": lambda: Flux(runner).client_version(),
        "git": lambda: Git(runner).version(),
        "sops": lambda: Sops(runner).version(),
        "age": lambda: Age(runner).version(),
        "age-keygen": lambda: Age(runner, "age-keygen").version(),
        "kubeseal": lambda: Kubeseal(runner).version(),
    }
    out = []
    for name in names:
        path = runner.which(name)
        if path is None:
            out.append(Check(name, False, f"{name} is not on PATH; {install_hint(name)}, then run the check again",
                             {"path": None}))
            continue
        try:
            v = versions[name]()
        except (ToolError, KeyError, ValueError) as e:
            out.append(Check(name, False, f"{name} at {path} did not report its version: {e}", {"path": path}))
            continue
        ok, note = True, ""
        if name == "kubectl" and server_version and v:
            skew = abs(v[1] - server_version[1]) if v[0] == server_version[0] else 99
            if skew > 1:
                ok = False
                note = (f"; kubectl {fmt_version(v)} is more than one minor version from the server "
                        f"{fmt_version(server_version)}: install a kubectl within ±1 minor")
        if name == "flux" and server_version and v:
            minimum = min_kubernetes_for(v)
            if minimum and server_version < minimum:
                ok = False
                note = f"; flux {fmt_version(v)} needs Kubernetes {fmt_version(minimum)} or newer, the server is {fmt_version(server_version)}"
        if v is None:
            ok, note = False, "; its version could not be read"
        out.append(Check(name, ok, f"{name} {fmt_version(v)} at {path}{note}", {"path": path, "version": fmt_version(v)}))
    return out


def check_repo(session: Session) -> list[Check]:
    """A clean work tree on a branch, with no operation in progress and an author identity."""
    git: Git = session.git
    out = []
    gd = session.git_dir
    in_progress = [(gd / "rebase-merge", "a rebase"), (gd / "rebase-apply", "a rebase or am"),
                   (gd / "MERGE_HEAD", "a merge"), (gd / "CHERRY_PICK_HEAD", "a cherry-pick"),
                   (gd / "REVERT_HEAD", "a revert"), (gd / "index.lock", "another git command (index.lock exists)")]
    busy = [what for p, what in in_progress if p.exists()]
    out.append(Check("git-operation", not busy,
                     f"{', '.join(busy)} is in progress in {session.repo}; finish or abort it first" if busy
                     else "no git operation in progress"))
    head = git.head()
    branch = git.run("symbolic-ref", "-q", "--short", "HEAD", ok_codes=(0, 1)).stdout.strip()
    if head is None:
        out.append(Check("git-branch", False, f"{session.repo} has no commits yet; commit your manifests first"))
    elif not branch:
        out.append(Check("git-branch", False, f"HEAD is detached at {head[:12]}; check out a branch (git switch <branch>)"))
    else:
        out.append(Check("git-branch", True, f"on branch {branch} at {head[:12]}", {"branch": branch, "head": head}))
    from .repo.gitstate import foreign_changes

    dirty = foreign_changes(session) if head is not None else [f"{p} ({c.strip()})" for c, p in git.status_porcelain()]
    listing = ", ".join(dirty[:20]) + (" …" if len(dirty) > 20 else "")
    out.append(Check("git-clean", not dirty,
                     f"the work tree has uncommitted changes: {listing}; commit or stash them first" if dirty
                     else "the work tree is clean (apart from the wizard's own changes)", {"dirty": dirty}))
    email = git.run("config", "user.email", ok_codes=(0, 1)).stdout.strip()
    out.append(Check("git-identity", bool(email),
                     f"user.email is {email}" if email else "git has no user.email; set it with git config user.email"))
    return out


def check_cluster(session: Session) -> tuple[list[Check], tuple | None, object | None]:
    """Reachability, server version and identity. Returns (checks, server_version, identity)."""
    try:
        ident = session.live_identity()
        sv = session.kubectl.server_version()
    except (WizardError, ToolError) as e:
        return [Check("cluster", False, str(e))], None, None
    checks = [Check("cluster", True, f"reachable: {ident.describe()}, Kubernetes {fmt_version(sv)}",
                    {"identity": asdict(ident), "server_version": fmt_version(sv)})]
    pinned = session.state.cluster
    if pinned is None:
        checks.append(Check("identity", False, "the cluster identity is not pinned yet; run prep.preflight to pin it"))
    elif not pinned.same_cluster(ident):
        checks.append(Check("identity", False, f"the live cluster ({ident.describe()}) is not the pinned one "
                                               f"({pinned.describe()}); switch back, or re-pin with --repin"))
    else:
        checks.append(Check("identity", True, f"pinned: {pinned.describe()}"))
    return checks, sv, ident
