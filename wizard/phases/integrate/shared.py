"""What the Phase 5 items share: the push question, the commit step, the files to write, the secrets method, and
YAML output."""
from __future__ import annotations

from ...checklist import Question, Step
from ...repo.generate import HEADER, _dump
from ...session import Blocked


PUSH = Question("push", "Push the commit to the branch Flux follows", [("true", "yes"), ("false", "no, commit only")],
                default="true")


def commit_step(session) -> Step:
    return Step("command", "git commit (these files only)"
                           + ("; git push" if session.answers.get("push", "true") == "true" else ""))


def differing(session, files: dict[str, str]) -> dict[str, str]:
    """The files (repo path: wanted text) that are missing or not as wanted, in the given order."""
    return {p: t for p, t in files.items()
            if not (session.repo / p).is_file() or (session.repo / p).read_text() != t}


def secrets_method(session) -> str:
    m = session.answers.get("secrets")
    if m not in ("sops", "sealed-secrets"):
        raise Blocked("the webhook address must sit in an encrypted Secret; choose how first: homelab-wizard run "
                      "secrets.scan answer secrets=sops (or secrets=sealed-secrets).")
    return m


def yaml_docs(docs: list[dict]) -> str:
    return HEADER.format(item="5.4 integrate.notifications") + "".join("---\n" + _dump(d) for d in docs)
