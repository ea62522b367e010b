"""The headless subcommands. Each opens a Session, does one thing and returns an exit code."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from .catalog import items_for
from .checklist import Item, Verdict
from .cli import (EXIT_BLOCKED, EXIT_FAILED, EXIT_OK, EXIT_REFUSED, emit_json, parse_sets, stdin_interactive)
from .engine import Engine
from .session import NotAGitRepo, Session, UsageError
from .status_view import ICONS


def open_session(args) -> Session:
    return Session.open(args.repo or Path.cwd(), kubeconfig=args.kubeconfig, context=args.context)


@contextmanager
def locked(args, command: str):
    """A session holding the repository lock, with its state loaded."""
    session = open_session(args)
    session.store.acquire(command)
    try:
        session.store.load()
        yield session
    finally:
        session.store.release()


def exit_code_for(verdicts: list[tuple[Item, Verdict]], explicit: bool) -> int:
    counted = [(i, v) for i, v in verdicts if explicit or not i.unavailable]
    if any(v.status == "failed" for _, v in counted):
        return EXIT_FAILED
    if any(v.status == "blocked" for _, v in counted):
        return EXIT_BLOCKED
    return EXIT_OK


def print_verdict(item: Item, v: Verdict) -> None:
    print(f"{ICONS.get(v.status, '?')} {item.alias:>4} {item.id:<28} {v.status:<8} {v.message}")


# -- status / verify -----------------------------------------------------------------------
def cmd_status(args) -> int:
    session = open_session(args)
    session.store.load()  # read-only: the state file is replaced atomically, no lock needed
    from .status_view import emit

    emit(Engine(session).status_json(), args.json)
    return EXIT_OK


def cmd_verify(args) -> int:
    with locked(args, "verify") as session:
        engine = Engine(session)
        items = items_for(args.refs, engine.items)
        results = [(it, engine.verify(it.id)) for it in items]
    if args.json:
        emit_json({"results": [{"id": i.id, "alias": i.alias, "status": v.status, "message": v.message,
                                "evidence": v.evidence} for i, v in results]})
    else:
        for i, v in results:
            print_verdict(i, v)
    return exit_code_for(results, explicit=bool(args.refs))


def cmd_skip(args) -> int:
    with locked(args, "skip") as session:
        engine = Engine(session)
        v = engine.skip(args.item, args.reason)
        print_verdict(engine.item(args.item), v)
    return EXIT_OK


# -- run -----------------------------------------------------------------------------------
def ask_missing(item: Item, answers: dict, plain: bool) -> None:
    """Fill the item's unanswered questions: defaults headless, questionary prompts with --plain."""
    for q in item.questions:
        if q.key in answers:
            continue
        if plain and stdin_interactive():
            from screens.plain import ask_question

            answers[q.key] = ask_question(q)
        elif q.default is not None:
            answers[q.key] = q.default


def ask_token(session, item: Item, plain: bool) -> None:
    """Prompt, without echo, for a git token the item needs and the environment lacks.

    Only on a terminal: without one, the item's preview stops with "no token: export VAR=…".
    The token is kept in memory on the session (never stored) and masked from then on.
    """
    from .flux.prompt import prompt_text, remember_prompted_token, token_needed

    var = token_needed(session, item.id)
    if var is None or not stdin_interactive():
        return
    print(prompt_text(var), file=sys.stderr)
    if plain:
        from screens.plain import ask_token as ask

        value = ask(var)
    else:
        import getpass

        try:
            value = getpass.getpass(f"{var} (input hidden): ")
        except EOFError:  # ctrl-D: nothing typed
            value = ""
    remember_prompted_token(session, var, value)


def refuse_secret_sets(sets: dict[str, str]) -> None:
    """Tokens never come from --set: they would end up in shell history, `ps` and the state file."""
    from .flux.prompt import is_secret_answer_key

    for key in sets:
        if is_secret_answer_key(key):
            raise UsageError(f"--set {key}=… is refused: tokens and passwords are never taken on the command line "
                             "(they would end up in the shell history, in 'ps' and in the state file). Export the "
                             "token in the environment (GITHUB_TOKEN, GITEA_TOKEN or GIT_PASSWORD), or run the item "
                             "in a terminal to type it at a no-echo prompt.")


def confirm(plan, args) -> bool:
    if args.yes or plan.changes == "nothing":
        return True
    if not stdin_interactive():
        raise NonInteractive()
    if args.plain:
        from screens.plain import ask_confirm

        return ask_confirm("Go ahead?")
    reply = input("Go ahead? [y/N] ").strip().lower()
    return reply in ("y", "yes")


class NonInteractive(Exception):
    pass


def plan_with_answers(engine, session, item: Item, args):
    """The item's plan; with --plain on a terminal, the questions it turns out to need (which overlay,
    which copy of a duplicate…) are asked and the plan computed again. Headless they are an error
    (exit 3) that names each question."""
    from .session import NeedsAnswers

    for _ in range(5):
        try:
            return engine.plan(item.id)
        except NeedsAnswers as e:
            if not (getattr(args, "plain", False) and stdin_interactive()):
                raise
            from screens.plain import ask_question

            print(str(e), file=sys.stderr)
            for q in e.questions:
                if q.key not in session.answers:
                    session.answers[q.key] = ask_question(q)
            session.store.save()
    return engine.plan(item.id)


def cmd_run(args) -> int:
    sets = parse_sets(args.set)
    refuse_secret_sets(sets)
    with locked(args, f"run {args.item}") as session:
        engine = Engine(session)
        item = engine.item(args.item)
        if args.dry_run:  # it previews with the answers given and never stores them
            session.store.stored_answers = dict(session.answers)
        for key, value in sets.items():
            q = next((q for q in item.questions if q.key == key), None)
            try:
                session.answers[key] = q.validate(value) if q else value
            except ValueError as e:
                raise UsageError(str(e)) from None
        ask_missing(item, session.answers, args.plain)
        session.repin = args.repin
        session.store.save()
        ask_token(session, item, getattr(args, "plain", False))
        plan = plan_with_answers(engine, session, item, args)
        if args.json and args.dry_run:
            emit_json({"item": item.id, "summary": plan.summary, "changes": plan.changes,
                       "steps": [asdict(s) for s in plan.steps]})
            return EXIT_OK
        print(plan.render())
        if args.dry_run:
            print("\n(dry run: nothing was changed)")
            return EXIT_OK
        try:
            ok = confirm(plan, args)
        except NonInteractive:
            print(f"error: {item.id} would change the {plan.changes}; stdin is not a terminal, so pass --yes to "
                  "confirm (after checking the preview with --dry-run).", file=sys.stderr)
            return EXIT_REFUSED
        if not ok:
            print("cancelled: nothing was changed.")
            return EXIT_OK
        verdict = engine.run(item.id, plan, progress=lambda line: print(f"  {line}", flush=True))
    if args.json:
        emit_json({"id": item.id, "status": verdict.status, "message": verdict.message, "evidence": verdict.evidence})
    else:
        print_verdict(item, verdict)
    return exit_code_for([(item, verdict)], explicit=True)


# -- doctor --------------------------------------------------------------------------------
def cmd_doctor(args) -> int:
    from .doctor import ALL_TOOLS, check_cluster, check_repo, check_tools
    from .runner import Runner

    report: dict = {"tools": [], "repo": [], "cluster": []}
    try:
        session = open_session(args)
        session.store.load()
    except NotAGitRepo as e:
        # Tools can still be checked without a repository; the cluster needs one (its pin lives there).
        report["repo"] = [{"name": "repo", "ok": False, "detail": str(e), "data": {}}]
        report["tools"] = [asdict(c) for c in check_tools(Runner(audit_log=None), ALL_TOOLS)]
    else:
        cluster, sv, _ = check_cluster(session)
        k = session.kubectl
        report["cluster"] = [asdict(c) for c in cluster]
        report["tools"] = [asdict(c) for c in check_tools(session.runner, ALL_TOOLS, sv, k.kubeconfig, k.context)]
        report["repo"] = [asdict(c) for c in check_repo(session)]
    ok = all(c["ok"] for group in report.values() for c in group)
    if args.json:
        emit_json({"ok": ok, **report})
    else:
        for group, checks in report.items():
            print(f"{group}:")
            for c in checks:
                print(f"  {'✔' if c['ok'] else '✘'} {c['detail']}")
    return EXIT_OK if ok else EXIT_FAILED


# -- rollback, demo, the TUI -------------------------------------------------------------------
def cmd_rollback(args) -> int:
    """`rollback`: what can be undone now; `rollback ACTION [--dry-run] [--yes]`: preview, confirm, run, verify."""
    from .rollback import Options, action, execute, overview

    with locked(args, f"rollback {args.action or ''}".strip()) as session:
        if not args.action:
            rows = overview(session)
            if args.json:
                emit_json({"actions": [r.as_dict() for r in rows]})
                return EXIT_OK
            print("What can be undone now (homelab-wizard rollback ACTION --dry-run shows the preview):")
            for r in rows:
                print(f"\n{'✔' if r.available else '·'} {r.name:<12} {r.title}")
                print(f"    now: {r.reason}")
                if r.available:
                    print(f"    what it does: {r.consequences}")
            return EXIT_OK
        act = action(args.action)
        opts = Options(namespaces=_split(args.namespace), kinds=_split(args.kind), overwrite=args.overwrite,
                       kustomizations=_split(args.kustomization), no_suspend=args.no_suspend,
                       allow_prune=args.allow_prune, push=not args.no_push)
        plan = act.plan(session, opts)
        if args.json and args.dry_run:
            emit_json({"action": act.name, "summary": plan.summary, "changes": plan.changes,
                       "steps": [asdict(s) for s in plan.steps], "prune_risk": plan.data.get("prune_risk", {})})
            return EXIT_OK
        print(plan.render())
        if args.dry_run:
            print("\n(dry run: nothing was changed)")
            return EXIT_OK
        if plan.changes == "nothing":
            print("\nnothing to do.")
            return EXIT_OK
        risk = plan.data.get("prune_risk") or {}
        if risk and not args.allow_prune:
            n = sum(len(v) for v in risk.values())
            print(f"error: with prune on, Flux may delete up to {n} object(s) listed above. Suspend first "
                  "('homelab-wizard rollback suspend'), or pass --allow-prune if that is what you want.", file=sys.stderr)
            return EXIT_REFUSED
        if not args.yes:
            if not stdin_interactive():
                print(f"error: rollback {act.name} would change the {plan.changes}; stdin is not a terminal, so pass "
                      "--yes to confirm (after checking the preview with --dry-run).", file=sys.stderr)
                return EXIT_REFUSED
            if not _typed_confirmation(session, act):
                print("cancelled: nothing was changed.")
                return EXIT_OK
        verdict = execute(session, act, plan, progress=lambda line: print(f"  {line}", flush=True))
    if args.json:
        emit_json({"action": act.name, "status": verdict.status, "message": verdict.message, "evidence": verdict.evidence})
    else:
        print(f"{ICONS.get(verdict.status, '?')} rollback {act.name}: {verdict.status}  {verdict.message}")
    return EXIT_OK if verdict.passed else EXIT_FAILED


def _split(values) -> list[str]:
    return [v.strip() for raw in (values or []) for v in raw.split(",") if v.strip()]


def _typed_confirmation(session, act) -> bool:
    from .rollback.base import confirmation_word

    if not act.destructive:
        reply = input("Go ahead? [y/N] ").strip().lower()
        return reply in ("y", "yes")
    word = confirmation_word(session)
    reply = input(f"This is destructive. Type {word!r} to go ahead (anything else cancels): ").strip()
    return reply == word


def cmd_demo(args) -> int:
    from .demo import default_demo_dir, write_demo

    dest = Path(args.dir) if args.dir else default_demo_dir()
    repo = write_demo(dest)
    print(f"demo repo written to {repo}")
    if not stdin_interactive() or not sys.stdout.isatty():
        print(f"open it with: homelab-wizard --repo {repo}")
        return EXIT_OK
    args.repo = str(repo)
    return launch_ui(args)


def interactive(args) -> int:
    """No subcommand: the TUI on the repo, or the demo when there is no repo here."""
    try:
        open_session(args)
    except NotAGitRepo as e:
        if args.repo:
            raise
        print(f"{e}\nStarting the demo instead.", file=sys.stderr)
        args.dir = None
        return cmd_demo(args)
    return launch_ui(args)


def launch_ui(args) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("the wizard's screens need a terminal; in scripts use the headless commands "
                         "(homelab-wizard status, verify, run ITEM --yes …; see --help).")
    if args.plain:
        from screens.plain import plain_wizard

        return plain_wizard(args)
    session = open_session(args)
    session.store.acquire("tui")
    try:
        session.store.load()
        from screens.app import run_app

        return run_app(session)
    finally:
        session.store.release()


__all__ = ["cmd_status", "cmd_verify", "cmd_run", "cmd_doctor", "cmd_rollback", "cmd_demo", "cmd_skip",
           "interactive", "EXIT_REFUSED"]
