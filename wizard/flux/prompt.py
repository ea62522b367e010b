"""The no-echo token prompt, headless part: when to ask, and what to do with the answer.

The front ends (the CLI's getpass, the TUI's password Input, --plain's questionary.password)
ask; this module decides whether a token is needed and keeps a typed one in memory only, on
`session.prompted_tokens`, after registering it with the session's redactor so it is masked in
everything shown or stored (output, evidence, the audit log). It never reaches the state file,
argv or the audit log; git and flux get it through the environment (see creds.py).
"""
from __future__ import annotations

import re

from ..integrate.notify import URL_ENV
from ..redact import MASK
from ..runner import ToolError
from ..session import UsageError, WizardError
from . import creds

# Items whose preview or run resolves the git credential (creds.resolve): a run of one of them
# without a token would stop with "no token: export …". 4.2 only reads (the cluster, and the remote as
# 2.5 pushes to it), so it needs none.
TOKEN_ITEMS = ("bootstrap.credentials", "bootstrap.run")
# 5.4's webhook address is a secret too (it carries the hook's key): typed at the same no-echo prompt.
WEBHOOK_ITEM = "integrate.notifications"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# --set keys that would put a token on the command line (shell history, `ps`, the state file).
_SECRET_KEY = re.compile(r"(^|[-_])(token|password|passwd|pat)$", re.I)


def token_needed(session, item_id: str | None = None) -> str | None:
    """The environment variable the front end should prompt for, or None.

    None when the item does not use the git credential or its prerequisites have not passed yet,
    when the answers describe ssh auth, when a token is already in the environment or was typed
    earlier in this session, or when the answers are incomplete or wrong (the item's own preview
    then says what is missing, which beats asking for a token first).
    """
    if item_id is not None:
        from ..catalog import CATALOG

        item = next((it for it in CATALOG if item_id in (it.id, it.alias)), None)
        if item is None or item.id not in TOKEN_ITEMS + (WEBHOOK_ITEM,):  # front ends may run items of their own
            return None
        if any(session.state.item(r).status not in ("passed", "skipped") for r in item.requires):
            return None  # "needs … to pass first" comes before any question about a token
        if item.id == WEBHOOK_ITEM:
            from ..phases.integrate.notifications import webhook_url_needed

            return URL_ENV if webhook_url_needed(session) else None
    try:
        cred = creds.resolve(session, need_token=False)
    except (WizardError, ToolError):
        return None
    if cred.auth != "token" or cred.token:
        return None
    return creds.TOKEN_ENV[cred.provider]


def prompt_text(var: str) -> str:
    """What the front ends show above the no-echo field: where the token goes, and what it needs."""
    if var == URL_ENV:
        return ("The webhook address (Slack, Discord or any https URL that takes a JSON POST) is a secret: paste it "
                "here (nothing is shown as you type). It is kept in memory for this session only, written to the repo "
                "only encrypted, masked in every log, and never stored in the wizard's state.")
    provider = next((p for p, v in creds.TOKEN_ENV.items() if v == var), None)
    need = creds.TOKEN_HELP.get(provider, "") if provider else ""
    return (f"{var} is not set in the environment. Type the token here (nothing is shown as you type). "
            "It is kept in memory for this session only, handed to git and flux through the environment, "
            f"masked in every log, and never stored. {need}").strip()


def remember_prompted_token(session, var: str, value: str) -> None:
    """Keep a token typed at a no-echo prompt for this session: masked first, then held in memory.

    Raises UsageError (nothing is kept) for an unknown variable, an empty value, a value with
    control characters (a newline would break git's credential protocol), or one too short for
    the redactor to mask.
    """
    known = (*creds.TOKEN_ENV.values(), URL_ENV)
    if var not in known:
        raise UsageError(f"{var!r} is not a secret the wizard asks for ({', '.join(sorted(known))})")
    value = (value or "").strip()
    what = "webhook address" if var == URL_ENV else "token"
    if not value:
        raise UsageError(f"no {var} was typed; type the {what}, or cancel and export {var} instead.")
    if var == URL_ENV and not value.startswith(("https://", "http://")):
        raise UsageError("the webhook address must be an http(s) URL (what was typed is not shown); paste it again.")
    if _CONTROL.search(value):
        raise UsageError(f"the {var} typed holds a control character (a line break?); type or paste the {what} "
                         "alone.")
    redactor = session.runner.redactor
    redactor.add(value)  # masked from now on, before anything can print or log it
    if MASK not in redactor.redact(value):
        raise UsageError(f"the {var} typed is too short to be a token: the wizard could not mask it in its logs. "
                         f"Use an access token, or export {var} instead.")
    tokens = getattr(session, "prompted_tokens", None)
    if tokens is None:
        tokens = {}
        session.prompted_tokens = tokens
    tokens[var] = value


def is_secret_answer_key(key: str) -> bool:
    """True for a --set key that would carry a token or password (those are refused)."""
    k = key.strip()
    return k.upper() in creds.TOKEN_ENV.values() or bool(_SECRET_KEY.search(k))
