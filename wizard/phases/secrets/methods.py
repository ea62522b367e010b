"""SOPS or Sealed Secrets: the steps of the secrets items that depend on the chosen method.

The items ask the chosen method instead of testing its name at every step. The name itself
("sops" or "sealed-secrets") is still what plans, the journal and wizard.secrets.convert store
and are given, so a plan or journal written before this module existed reads the same.
"""
from __future__ import annotations

from ...session import Blocked
from ...secrets import keys
from .common import SCOPE, method_of


def sealed_scope(session) -> str:
    return session.answers.get("sealed-scope", SCOPE.default)


class Sops:
    name = "sops"
    done = "encrypted"

    def key_inputs(self, session) -> dict:
        """The keyword arguments convert_file needs; refuses before anything is converted."""
        key = keys.age_key(session)
        keys.check_key_location(session, key)
        if not key.exists or not (session.repo / ".sops.yaml").is_file():
            raise Blocked("the age key or .sops.yaml is missing; run secrets.keys first.", needs=("secrets.keys",))
        return {"key_path": key.path}

    def convert_step(self, session, fp) -> str:
        return (f"sops encrypt {fp.path} in place" if not fp.split else
                f"move the Secrets of {fp.path} to {fp.target} (sops-encrypted)")

    def checks_as_sops(self, text: str) -> bool:
        return True


class SealedSecrets:
    name = "sealed-secrets"
    done = "sealed"

    def key_inputs(self, session) -> dict:
        """The keyword arguments convert_file needs; refuses before anything is converted."""
        cert = keys.cert_path(session.repo)
        if not cert.is_file():
            raise Blocked("no Sealed Secrets certificate; run secrets.keys first.", needs=("secrets.keys",))
        return {"cert": cert, "scope": sealed_scope(session)}

    def convert_step(self, session, fp) -> str:
        return f"kubeseal --cert (scope {sealed_scope(session)}) each Secret of {fp.path} in place"

    def checks_as_sops(self, text: str) -> bool:
        # A file converted with SOPS before the method was switched stays a SOPS file: it is
        # still checked as one, or a broken encryption would pass unnoticed.
        return "sops:" in text


METHODS = {m.name: m for m in (Sops(), SealedSecrets())}


def chosen(session) -> Sops | SealedSecrets:
    """The method the user chose (Blocked until they choose)."""
    return METHODS[method_of(session)]


def by_name(name: str) -> Sops | SealedSecrets:
    """The method a plan or journal entry recorded."""
    return METHODS[name]


def encrypter(session):
    """`(repo path, Secret document) -> the text to write`, encrypted with the chosen method (sops through
    the repo's .sops.yaml, or kubeseal --cert). What writes a Secret outside S.3 (2.0's adoption) uses
    this, so a Secret reaches a file only encrypted. Blocked before S.2 (no method, key or certificate)."""
    import yaml

    from ...secrets import convert as cv

    method = chosen(session)
    inputs = method.key_inputs(session)

    def encrypt(path: str, doc: dict) -> str:
        cv._register(session, cv.values_of(doc))  # masked in anything sops or kubeseal print
        if method.name == "sealed-secrets":
            return cv.kubeseal(session, doc, inputs["cert"], inputs["scope"])
        return cv.sops_encrypt(session, yaml.safe_dump(doc, sort_keys=False), path)

    return encrypt
