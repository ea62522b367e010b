"""What the Phase 5 items share: the push question, the commit step, the files to write, the secrets method, and
YAML output."""
from __future__ import annotations

from ...checklist import Question, Step
from ...repo.generate import HEADER, _dump


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
    """The secrets method Phase 5 encrypts its webhook Secret with (S.2's choice)."""
    from ..secrets.common import method_of

    return method_of(session, why="the webhook address must sit in an encrypted Secret")


def yaml_docs(docs: list[dict]) -> str:
    return HEADER.format(item="5.4 integrate.notifications") + "".join("---\n" + _dump(d) for d in docs)
