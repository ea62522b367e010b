"""How the core words an answer, and how each front end says to give one.

The core's messages name a question as "answer KEY=VALUE" ("choose a method: answer
secrets=sops"); they never name a front end's flag. The headless CLI shows that as
`--set KEY=VALUE`; the TUI and --plain ask it in a form or a prompt, so the wording stands.
"""
from __future__ import annotations

import re

# "answer KEY=" or "the answer KEY=", where KEY is a question key (option, helm.<folder>, duplicate.<ref>, keep.<file:line>)
_ANSWER = re.compile(r"\b(?:the )?answer (?=[A-Za-z][\w./:<>*-]*=)")


def for_cli(text: str) -> str:
    """The core's wording with each answer as the CLI takes it: `--set KEY=VALUE`."""
    return _ANSWER.sub("--set ", text)
