"""What the Phase 5 items share: the push question, the secrets method, and YAML output."""
from __future__ import annotations

from ...checklist import Question
from ...repo.generate import HEADER, _dump
from ...session import Blocked


PUSH = Question("push", "Push the commit to the branch Flux follows", [("true", "yes"), ("false", "no, commit only")],
                default="true")


def secrets_method(session) -> str:
    m = session.answers.get("secrets")
    if m not in ("sops", "sealed-secrets"):
        raise Blocked("the webhook address must sit in an encrypted Secret; choose how first: homelab-wizard run "
                      "secrets.scan --set secrets=sops (or secrets=sealed-secrets).")
    return m


def yaml_docs(docs: list[dict]) -> str:
    return HEADER.format(item="5.4 integrate.notifications") + "".join("---\n" + _dump(d) for d in docs)
