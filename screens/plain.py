"""`--plain`: the wizard as questionary prompts, for terminals where a full-screen TUI is unwelcome.

It renders the core's use cases (wizard/usecase.py) like the CLI and the TUI do: the same
questions, the same confirmation policy. Uses unsafe_ask() so Ctrl-C raises KeyboardInterrupt,
which the CLI turns into exit 130 with "the state was saved".
"""
from __future__ import annotations

import sys
from pathlib import Path

import questionary

from wizard import usecase
from wizard.checklist import Question
from wizard.status_view import ICONS

QUIT = "\0quit"  # no item id can be this


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


class PlainAsker:
    """The core's questions as questionary prompts (module functions, so tests can stand in for a user)."""

    def question(self, q: Question) -> str | None:
        print(f"{q.key}: {q.prompt}", file=sys.stderr)
        return ask_question(q)

    def token(self, var: str) -> str | None:
        from wizard.flux.prompt import prompt_text

        print(prompt_text(var), file=sys.stderr)
        return ask_token(var)

    def confirm(self, c: usecase.Confirmation, title: str) -> bool | None:
        if c.kind == "typed":
            reply = questionary.text(f"{title} It {c.why}. Type {c.word!r} to go ahead (anything else cancels):"
                                     ).unsafe_ask()
            return (reply or "").strip() == c.word
        return ask_confirm(f"{title} It {c.why}. Go ahead?")


def _where(args) -> tuple[str, str | None, str | None]:
    return args.repo or str(Path.cwd()), args.kubeconfig, args.context


def run_one(args) -> int:
    """One item: preview, the questions it needs, the confirmation, the run; back to the caller."""
    sets = usecase.parse_sets(args.set)
    with usecase.locked(*_where(args), f"run {args.item}") as session:
        out = usecase.run_item(session, args.item, PlainAsker(), sets=sets, dry_run=args.dry_run,
                               assume_yes=args.yes, repin=args.repin,
                               show=lambda plan: print(plan.render()),
                               progress=lambda line: print(f"  {line}", flush=True))
    if out.status == "previewed":
        print("\n(dry run: nothing was changed)")
    elif out.status in ("cancelled", "refused"):
        print("cancelled: nothing was changed." if out.status == "cancelled" else f"not run: {out.message}.")
    else:
        v = out.verdict
        print(f"{ICONS.get(v.status, '?')} {out.name}: {v.status}  {v.message}")
    return out.exit_code  # the CLI's own mapping: a blocked item is 3 here too


def plain_wizard(args) -> int:
    """A loop: show the checklist, pick an item, preview it, confirm, run it; a blocked or failed item
    comes back to the menu with its message. Quit exits with the code of the last item run (as the CLI's
    `run` of that item would), 0 when none ran."""
    from wizard.engine import Engine
    from wizard.session import WizardError

    with usecase.locked(*_where(args), "plain") as session:
        engine = Engine(session)
        passed = [i for i in engine.items if session.state.item(i.id).status == "passed"]
        if passed and questionary.confirm(f"Resume: check again the {len(passed)} items that passed earlier?",
                                          default=True).unsafe_ask():
            engine.reverify_passed(started=lambda n, total, item_id: print(f"  checking {n} of {total}: {item_id}…",
                                                                             flush=True),
                                   checked=lambda item_id, v: print(f"  {v.status:<8} {item_id}  {v.message}"))
    last = 0
    while True:
        with usecase.locked(*_where(args), "plain") as session:
            engine = Engine(session)
            choices = [questionary.Choice(f"{i.alias:>4} {i.title}  [{session.state.item(i.id).status}]", value=i.id,
                                          disabled=("not available yet" if i.unavailable else None))
                       for i in engine.items]
        # Not value=None: questionary gives a choice without a value its title, and "Quit" was then taken for
        # an item id.
        choices.append(questionary.Choice("Quit", value=QUIT))
        ref = questionary.select("Which item?", choices=choices).unsafe_ask()
        if ref == QUIT:
            return last
        args.item, args.set, args.dry_run, args.yes, args.repin = ref, [], False, False, False
        try:
            last = run_one(args)
        except WizardError as e:
            print(f"error: {e}", file=sys.stderr)
            last = e.exit_code
