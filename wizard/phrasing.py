"""How the core words an answer, and how each front end says to give one.

The core's messages name a question as "answer KEY=VALUE" ("choose a method: answer
secrets=sops"); they never name a front end's flag. The headless CLI shows that as
`--set KEY=VALUE`; the TUI and --plain ask it in a form or a prompt, so the wording stands.
"""
from __future__ import annotations

import re

# "answer KEY=" or "the answer KEY=", where KEY is a question key (option, helm.<folder>, duplicate.<ref>, keep.<file:line>)
_ANSWER = re.compile(r"\b(?:[Tt]he )?[Aa]nswer (?=[A-Za-z][\w./:<>*-]*=)")


def for_cli(text: str) -> str:
    """The core's wording with each answer as the CLI takes it: `--set KEY=VALUE`."""
    return _ANSWER.sub("--set ", text)


# "run 2.0 repo.adopt", "run repo.adopt", "run secrets.decryption (S.4)": an item named in CLI words.
_RUN = re.compile(r"\brun (?:(?P<alias>[0-9S]\.[0-9]) )?(?P<id>(?:prep|repo|secrets|bootstrap|validate|integrate)"
                  r"\.[a-z-]+)(?: \((?P<alias2>[0-9S]\.[0-9])\))?")
_ANSWER_PAIR = re.compile(r"\b(?:[Tt]he )?[Aa]nswer (?P<key>[A-Za-z][\w./:<>*-]*)=(?P<value>[^\s,;)]*)")


def for_tui(text: str, items, prompts: dict[str, str] | None = None) -> str:
    """The core's wording as the TUI says it: an item by its number and title, with the key that runs it
    (r on its row), and an answer as the form field to fill (a opens the item's answers), not CLI syntax.
    `items` are the checklist items; `prompts` maps question keys to their form labels."""
    by_id = {it.id: it for it in items}
    prompts = prompts or {}

    def run(m: re.Match) -> str:
        it = by_id.get(m.group("id"))
        return f"run {it.alias} {it.title} (r on its row)" if it else m.group(0)

    def answer(m: re.Match) -> str:
        key, value = m.group("key"), m.group("value")
        field = prompts.get(key)
        said = f"“{field}”" if field else f"the answer {key}"
        return f"set {said} to {value} (a opens the item's answers)" if value else f"fill {said} (a opens the item's answers)"

    return _ANSWER_PAIR.sub(answer, _RUN.sub(run, text))
