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


TIMEOUT = Question("reconcile-timeout", "Seconds to wait for Flux to reconcile", default="180")


DRIFT_MARK = "homelab-wizard-drift"


DRIFT_MADE, DRIFT_SEEN, HEALED, RESTORED = Kind.DRIFT_MADE, Kind.DRIFT_SEEN, Kind.HEALED, Kind.DRIFT_RESTORED


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def kustomizations(session) -> list[dict]:
    return list_all(session.kubectl, [KS_RESOURCE])


def pushed_commit(session) -> str:
    cred = creds.resolve(session)
    head = creds.remote_head(session, cred, branch_of(session))
    if not head:
        raise Blocked(f"{cred.http_url} has no branch {branch_of(session)}")
    return head


# -- 4.2 ----------------------------------------------------------------------------------------
def flux_objects(session) -> tuple[list[dict], list[dict]]:
    sources = list_all(session.kubectl, installed_sources(flux_crds(session.kubectl)))
    return sources, kustomizations(session)


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
