"""What the Phase 4 items share: the pushed commit, Flux's Kustomizations, and reconcile requests."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from ...journal import Kind
from ...checklist import Question
from ...flux import creds
from ...flux.status import (KS_RESOURCE, REQUESTED_AT, flux_crds, installed_sources, list_all)
from ...session import Blocked
from ..bootstrap.common import branch_of


KUBECTL_MANAGERS = ("kubectl", "before-first-apply")


FLUX_MANAGER = "kustomize-controller"


# Flux's own verdict on a Kustomization the wizard writes comes within its spec.timeout (5m, repo/generate.py):
# waiting less would call a slow but healthy first reconcile a failure. The wait ends as soon as Flux settles.
TIMEOUT = Question("reconcile-timeout", "Seconds to wait for Flux to reconcile", default="330")


DRIFT_MARK = "homelab-wizard-drift"


DRIFT_MADE, DRIFT_SEEN, HEALED, RESTORED = Kind.DRIFT_MADE, Kind.DRIFT_SEEN, Kind.HEALED, Kind.DRIFT_RESTORED


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def kustomizations(session) -> list[dict]:
    return list_all(session.kubectl, [KS_RESOURCE])


def pushed_commit(session) -> str:
    """The commit at the tip of the branch Flux follows, read from the remote: with the bootstrap's
    credential when this session has it, else as 2.5 pushes (the remote with the owner's own git
    credentials), else the newest commit the wizard saw arrive there (a new session with no token can
    still check what only reads the cluster)."""
    branch = branch_of(session)
    cred = creds.resolve(session, need_token=False)
    if cred.auth == "ssh" or cred.token:
        head = creds.remote_head(session, cred, branch)
    else:
        head = _as_pushed(session, branch)
    if not head:
        raise Blocked(f"{cred.http_url} has no branch {branch}")
    return head


def _as_pushed(session, branch: str) -> str | None:
    remote = session.answers.get("remote", "origin")
    res = session.git.run("ls-remote", remote, f"refs/heads/{branch}", ok_codes=tuple(range(256)), timeout=60)
    if res.exit_code == 0:
        return next((sha for sha, _, name in (ln.partition("\t") for ln in res.stdout.splitlines())
                     if name.strip() == f"refs/heads/{branch}"), None)
    return last_known_remote_head(session, branch)


def last_known_remote_head(session, branch: str) -> str | None:
    """The newest commit the journal saw on the remote's `branch`: a push, the bootstrap's commit, or
    the fast-forward to it."""
    for e in reversed(session.state.journal):
        action = e.get("action")
        if action == Kind.REPO_PUSH and e.get("status") == "pushed" and e.get("branch") == branch:
            return e.get("head")
        if action == Kind.BOOTSTRAPPED and e.get("branch") == branch and e.get("remote_head"):
            return e["remote_head"]
        if action == Kind.FAST_FORWARDED and e.get("branch") == branch:
            return e.get("after")
    return None


# -- 4.2 ----------------------------------------------------------------------------------------
def flux_objects(session) -> tuple[list[dict], list[dict]]:
    """(sources, Kustomizations), read in one listing: 4.2 asks every second or so while Flux reconciles. The
    installed Flux CRDs change only when someone installs or removes Flux; they are remembered as
    wizard/cluster/memo.py says (a minute, and only while the wizard itself changed nothing)."""
    from ...cluster.memo import remembered

    crds = remembered(session, "flux-crds", lambda: flux_crds(session.kubectl), seconds=60)
    objs = list_all(session.kubectl, installed_sources(crds) + [KS_RESOURCE])
    return ([o for o in objs if o.get("kind") != "Kustomization"],
            [o for o in objs if o.get("kind") == "Kustomization"])


def request_reconcile(session, kind_resource: str, namespace: str, name: str) -> str:
    token = f"homelab-wizard-{time.time_ns()}"
    session.kubectl.run("annotate", "--overwrite", "-n", namespace, kind_resource, name, f"{REQUESTED_AT}={token}",
                        timeout=30)
    return token


def last_entry(session, action: str) -> dict | None:
    for e in reversed(session.state.journal):
        if e.get("action") == action:
            return e
    return None
