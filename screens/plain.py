"""`--plain`: the wizard as questionary prompts, for terminals where a full-screen TUI is unwelcome.

Uses unsafe_ask() so Ctrl-C raises KeyboardInterrupt, which the CLI turns into exit 130
with "the state was saved".
"""
from __future__ import annotations

import questionary

from wizard.checklist import Question


def ask_question(q: Question) -> str:
    if q.choices:
        return questionary.select(q.prompt, choices=[questionary.Choice(label, value=value) for value, label in q.choices],
                                  default=next((c for c in q.choices if c[0] == q.default), None) and q.default,
                                  instruction=q.help or None).unsafe_ask()
    return questionary.text(q.prompt, default=q.default or "", instruction=q.help or None).unsafe_ask()


def ask_token(var: str) -> str:
    """A git token, typed without echo (questionary masks it); the core keeps it in memory only."""
    return questionary.password(f"{var} (kept in memory for this session only, never stored):").unsafe_ask() or ""


def ask_confirm(message: str) -> bool:
    return bool(questionary.confirm(message, default=False).unsafe_ask())


def plain_wizard(args) -> int:
    """A loop: show the checklist, pick an item, preview it, confirm, run it."""
    from wizard import commands
    from wizard.engine import Engine

    with commands.locked(args, "plain") as session:
        engine = Engine(session)
        passed = [i for i in engine.items if session.state.item(i.id).status == "passed"]
        if passed and questionary.confirm(f"Resume: check again the {len(passed)} items that passed earlier?",
                                          default=True).unsafe_ask():
            for item_id, v in engine.reverify_passed().items():
                print(f"  {v.status:<8} {item_id}  {v.message}")
    while True:
        with commands.locked(args, "plain") as session:
            engine = Engine(session)
            choices = [questionary.Choice(f"{i.alias:>4} {i.title}  [{session.state.item(i.id).status}]", value=i.id,
                                          disabled=("not available yet" if i.unavailable else None))
                       for i in engine.items]
        choices.append(questionary.Choice("Quit", value=None))
        ref = questionary.select("Which item?", choices=choices).unsafe_ask()
        if ref is None:
            return 0
        args.item, args.set, args.dry_run, args.yes, args.repin, args.json = ref, [], False, False, False, False
        commands.cmd_run(args)
