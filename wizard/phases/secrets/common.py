"""What the secret-management items share: the method, its questions, and the findings.

Repo changes are journaled like Phase 2's (gitstate APPLY begin/done with the index tree), so
they are staged steps that repo.commit-push turns into commits, and an interrupted conversion
blocks every commit until it is finished. No secret value is ever put in a plan, a verdict,
the journal or the audit log: only files, objects and key names.
"""
from __future__ import annotations

from ...journal import Kind
from ...checklist import Question
from ...session import Blocked
from ...secrets import convert as cv
from ...secrets import detect


METHOD = Question("secrets", "How to encrypt Secrets", [("sops", "SOPS + age (files stay in git, Flux decrypts)"),
                                                         ("sealed-secrets", "Sealed Secrets (the controller decrypts)")],
                  default="sops", help="SOPS keeps Secrets as encrypted YAML that Flux decrypts with an age key; "
                                       "Sealed Secrets encrypts for the in-cluster controller's certificate.")


CERT = Question("sealed-cert", "The Sealed Secrets controller certificate (a PEM file; empty: read it from the "
                               "controller's key Secret through the API)", default="", optional=True,
                when=lambda a: a.get("secrets") == "sealed-secrets")


SCOPE = Question("sealed-scope", "Sealed Secrets scope", [(s, s) for s in cv.SCOPES], default="strict",
                 help="strict: the sealed value only works for this name in this namespace (recommended).",
                 when=lambda a: a.get("secrets") == "sealed-secrets")


IGNORE = Question("secrets-ignore", "Findings that are not secrets (comma-separated path or path:KEY; empty: none)", default="",
                  optional=True)


CONVERTED, KEYS, SCANNED = Kind.SECRETS_CONVERTED, Kind.SECRETS_KEYS, Kind.SECRETS_SCANNED


PAUSE_ENV = "HOMELAB_WIZARD_TEST_PAUSE_SECRETS"  # test hook: "<n>" sleeps after converting file n


def method_of(session, why: str = "") -> str:
    """The chosen encryption method; Blocked (with `why` it is needed, when given) until there is one."""
    m = session.answers.get("secrets")
    if m not in ("sops", "sealed-secrets"):
        raise Blocked((f"{why}; choose" if why else "choose") + " how to encrypt Secrets first: run S.1 secrets.scan with "
                      "the answer secrets=sops (or the answer secrets=sealed-secrets).", needs=("secrets.scan",))
    return m


def ignored(session, f: detect.Finding) -> bool:
    raw = session.answers.get("secrets-ignore", "") or ""
    for entry in (e.strip() for e in raw.split(",") if e.strip()):
        path, _, key = entry.partition(":")
        if f.path == path and (not key or key in f.keys):
            return True
    return False


def findings(session) -> list[detect.Finding]:
    return [f for f in detect.find(session.repo) if not ignored(session, f)]


def evidence_of(fs: list[detect.Finding], limit: int = 50) -> list[dict]:
    return [f.evidence() for f in fs[:limit]]


def last_entry(session, action: str) -> dict | None:
    return next((e for e in reversed(session.state.journal) if e.get("action") == action), None)
