"""What the Phase 3 items share: the questions of flux bootstrap, the path and branch Flux follows."""
from __future__ import annotations

from ...journal import Kind
from ...checklist import Question
from ...flux.status import (GITREPO_RESOURCE, KS_RESOURCE, NS, WAITING_REASONS, condition, in_progress,
                           list_all, ref)
from ...repo import gitstate
from ...session import Blocked


STARTED, BOOTSTRAPPED, ADOPTED, FAILED = Kind.BOOTSTRAP_STARTED, Kind.BOOTSTRAPPED, Kind.BOOTSTRAP_ADOPTED, Kind.BOOTSTRAP_FAILED


IMAGE_COMPONENTS = "image-reflector-controller,image-automation-controller"


REQUIRED_CONTROLLERS = ("source-controller", "kustomize-controller")


REQUIRED_CRDS = (GITREPO_RESOURCE, KS_RESOURCE)


PROVIDER = Question("provider", "Git provider", [("github", "GitHub (GITHUB_TOKEN)"), ("gitea", "Gitea / Forgejo (GITEA_TOKEN)"),
                                                 ("git", "any git server (https token or ssh deploy key)")],
                    default=None, help="Default: github for github.com remotes, git otherwise.")


GIT_AUTH = Question("git-auth", "How to authenticate to the git server", [("token", "an https token"),
                                                                          ("ssh", "an ssh deploy key")],
                    default=None, when=lambda a: a.get("provider") == "git",
                    help="Default: ssh for an ssh:// URL, a token otherwise.")
SSH_KEY = Question("ssh-key-file", "The private key file of a deploy key with write access", optional=True,
                   when=lambda a: a.get("git-auth") == "ssh")
CA_FILE = Question("ca-file", "A CA bundle for a git server whose certificate is not publicly trusted (empty: none)",
                   optional=True, when=lambda a: a.get("provider", "github") != "github")


GIT_URL = Question("git-url", "Repository URL (empty: the URL of the remote)", default=None, optional=True)


def _hosted(answers: dict) -> bool:
    """GitHub and Gitea have owners and can create the repository; a plain git server cannot."""
    return answers.get("provider", "github") in ("github", "gitea")


PERSONAL = Question("personal", "The repository belongs to a user, not an organisation", [("true", "yes"), ("false", "no")],
                    default="true", when=_hosted)


PRIVATE = Question("private", "Create the repository as private if it does not exist", [("true", "yes"), ("false", "no")],
                   default="true", when=_hosted)


IMAGES = Question("image-automation", "Also install the controllers that write new image tags to git (only 5.3, "
                                     "image update automation, needs them; they can be added later)",
                  [("false", "no"), ("true", "yes")], default="false")


NETPOL = Question("network-policy", "Let only Flux's own pods reach its controllers (a NetworkPolicy in flux-system)",
                  [("true", "yes"), ("false", "no")], default="true",
                  help="Yes is Flux's default. Choose no if your cluster's network plugin does not enforce "
                       "NetworkPolicies, or to match a plan that turned them off.")


# Asked only where it matters: 3.2's plan finds Flux already bootstrapped from this repo and path, adopts it
# (the default) and says how to re-run instead. Never shown up front on a cluster without Flux.
EXISTING = Question("existing-bootstrap", "Flux is already bootstrapped here with the same repo and path",
                    [("adopt", "adopt it (nothing is re-run)"), ("rerun", "run flux bootstrap again (idempotent)")],
                    default="adopt", when=lambda a: "existing-bootstrap" in a)


def cluster_path(session) -> str:
    name = session.answers.get("cluster", "homelab")
    return f"clusters/{name}"


def branch_of(session) -> str:
    b = session.answers.get("branch") or gitstate.current_branch(session)
    if not b:
        raise Blocked("HEAD is detached; check out the branch Flux should follow, or answer branch=<name>.")
    return b


def norm_path(path: str | None) -> str:
    return (path or "").strip().lstrip("./").rstrip("/") if path else ""


def stored_path(session) -> str | None:
    """The --path of an earlier bootstrap (started, done or adopted) on this repository."""
    for e in reversed(session.state.journal):
        if e.get("action") in (STARTED, BOOTSTRAPPED, ADOPTED):
            return e.get("path")
    return None


AFTER_BOOTSTRAP = ("next: run secrets.decryption (S.4) again: flux-system exists now, so it can create the sops-age "
                   "Secret the Kustomizations decrypt with (until then they fail with 'secrets \"sops-age\" not found')")


def decrypting(session) -> bool:
    """Do the repo's Flux Kustomizations decrypt with sops (S.4 then has a step left for after bootstrap)?"""
    from ..secrets.flux_paths import needing_decryption

    return bool(needing_decryption(session))


def failing_kustomizations(session) -> list[str]:
    """Kustomizations that Flux has finished with and that failed (waits and work in progress are not
    failures), each with what to do; a missing decryption Secret names the item that creates it."""
    items = list_all(session.kubectl, [KS_RESOURCE])
    out = []
    for ks in items:
        c = condition(ks) or {}
        if (ks.get("spec") or {}).get("suspend") or c.get("status") != "False" or c.get("reason") in WAITING_REASONS \
                or in_progress(ks):
            continue
        line = f"{ref(ks)}: {c.get('reason', '')}: {c.get('message', '')[:300]}"
        secret = (((ks.get("spec") or {}).get("decryption") or {}).get("secretRef") or {}).get("name")
        ns = ks["metadata"].get("namespace", NS)
        # -o name only: the Secret's data never leaves the API server.
        if secret and not session.kubectl.run("get", "secret", "-n", ns, secret, "-o", "name", "--ignore-not-found",
                                              timeout=30).stdout.strip():
            line += (f" (the decryption Secret {ns}/{secret} does not exist: run secrets.decryption again now that "
                     f"{ns} exists)")
        out.append(line)
    return out
