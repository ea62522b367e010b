"""The headless subcommands: argparse's results in, printing and exit codes out. Each opens a
Session, asks the core's use cases (wizard/usecase.py) and renders what they return."""
from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

from ..catalog import items_for
from ..checklist import Item, Question, Verdict
from ..engine import Engine
from ..session import NeedsAnswers, NotAGitRepo, Session
from ..phrasing import for_cli
from ..status_view import ICONS
from .. import usecase
from . import EXIT_BLOCKED, EXIT_FAILED, EXIT_OK, EXIT_REFUSED, emit_json, stdin_interactive


def open_session(args) -> Session:
    return usecase.open_session(args.repo or str(Path.cwd()), args.kubeconfig, args.context)


def locked(args, command: str):
    """A session holding the repository lock, with its state loaded."""
    return usecase.locked(args.repo or str(Path.cwd()), args.kubeconfig, args.context, command)


def exit_code_for(verdicts: list[tuple[Item, Verdict]], explicit: bool) -> int:
    counted = [(i, v) for i, v in verdicts if explicit or not i.unavailable]
    if any(v.status == "failed" for _, v in counted):
        return EXIT_FAILED
    if any(v.status == "blocked" for _, v in counted):
        return EXIT_BLOCKED
    return EXIT_OK


def print_verdict(item: Item, v: Verdict) -> None:
    print(f"{ICONS.get(v.status, '?')} {item.alias:>4} {item.id:<28} {v.status:<8} {for_cli(v.message)}")


# -- status / verify -----------------------------------------------------------------------
def cmd_status(args) -> int:
    session = open_session(args)
    if not _tidy_after_a_killed_run(session):
        session.store.load()  # read-only: the state file is replaced atomically, no lock needed
    from ..status_view import emit

    emit(Engine(session).status_json(), args.json)
    return EXIT_OK


def _tidy_after_a_killed_run(session) -> bool:
    """When no other wizard holds the lock: remove the plaintext copies a killed run left, and load the
    state as the lock holder does (an item a killed run left "running" shows as interrupted). False
    when another wizard is working (its scratch copies are its own, its "running" item is true)."""
    from ..scratch import wipe
    from ..state import LockHeld

    try:
        session.store.acquire("status")
    except (LockHeld, OSError):  # another wizard works, or the git dir is read-only: only read
        return False
    try:
        removed = wipe(session)
        session.store.load()
    finally:
        session.store.release()
    if removed:
        print(f"removed {len(removed)} scratch copy(ies) of the repository that a killed run left in the "
              "wizard's data folder", file=sys.stderr)
    return True


def cmd_verify(args) -> int:
    with locked(args, "verify") as session:
        engine = Engine(session)
        items = items_for(args.refs, engine.items)
        results = list(zip(items, engine.verify_many([it.id for it in items])))
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
        warning = engine.skip_consequence(args.item)
        if warning:
            print(f"warning: {warning}.", file=sys.stderr)
        v = engine.skip(args.item, args.reason)
        print_verdict(engine.item(args.item), v)
    return EXIT_OK


# -- run -----------------------------------------------------------------------------------
class TerminalAsker:
    """The headless CLI's answers: flags first; a terminal may type a token or a confirmation, but
    questions come from --set (their defaults stand where there is one)."""

    def question(self, q: Question) -> str | None:
        return None

    def token(self, var: str) -> str | None:
        if not stdin_interactive():
            return None
        import getpass

        from ..flux.prompt import prompt_text

        print(prompt_text(var), file=sys.stderr)
        try:
            return getpass.getpass(f"{var} (input hidden): ")
        except EOFError:  # ctrl-D: nothing typed
            return ""

    def confirm(self, c: usecase.Confirmation, title: str) -> bool | None:
        if not stdin_interactive():
            return None
        if c.kind == "typed":
            reply = input(f"{title} It {c.why}. Type {c.word!r} to go ahead (anything else cancels): ").strip()
            return reply == c.word
        return input(f"{title} It {c.why}. Go ahead? [y/N] ").strip().lower() in ("y", "yes")


def not_run(outcome: usecase.Outcome) -> int | None:
    """The exit code of a run that was refused or cancelled (None when it ran): a refusal says which
    flag gives the missing confirmation."""
    if outcome.status == "cancelled":
        print("cancelled: nothing was changed.")
        return EXIT_OK
    if outcome.status != "refused":
        return None
    flag = {"allow-prune": "--allow-prune"}.get(outcome.needs or "", "--yes")
    print(f"error: {outcome.message}: pass {flag}" + (" (after checking the preview with --dry-run)."
                                                      if flag == "--yes" else "."), file=sys.stderr)
    return EXIT_REFUSED


def cmd_run(args) -> int:
    if getattr(args, "plain", False) and stdin_interactive():
        from ..launch import start  # --plain asks with questionary: the plain front end runs the item

        return start("plain-run", args)
    sets = usecase.parse_sets(args.set)
    with locked(args, f"run {args.item}") as session:
        # With --json, stdout is one JSON document: the preview and progress go to stderr for people.
        human = sys.stderr if args.json else sys.stdout

        def show(plan) -> None:
            if not (args.json and args.dry_run):
                print(plan.render(), file=human)

        out = usecase.run_item(session, args.item, TerminalAsker(), sets=sets, dry_run=args.dry_run,
                               assume_yes=args.yes, repin=args.repin, show=show,
                               progress=lambda line: print(f"  {line}", flush=True, file=human))
        item = Engine(session).item(args.item)
    if out.status == "previewed":
        if args.json:
            emit_json({"item": item.id, "summary": out.plan.summary, "changes": out.plan.changes,
                       "steps": [asdict(s) for s in out.plan.steps]})
        else:
            print("\n(dry run: nothing was changed)")
        return EXIT_OK
    code = not_run(out)
    if code is not None:
        if args.json:
            emit_json({"id": f"rollback.{out.name}", "status": out.status, "message": out.message or "",
                       "exit_code": code})
        return code
    verdict = out.verdict
    if args.json:
        emit_json({"id": item.id, "status": verdict.status, "message": verdict.message, "evidence": verdict.evidence})
    else:
        print_verdict(item, verdict)
    return exit_code_for([(item, verdict)], explicit=True)


# -- doctor --------------------------------------------------------------------------------
def install_tools(args) -> int:
    """Install the pinned flux, kubeseal and age that are not on PATH (asks first unless --yes)."""
    from ..doctor import INSTALLABLE, check_tools
    from ..runner import Runner
    from ..tools import install

    runner = Runner(audit_log=None)
    missing = [t for t in INSTALLABLE if runner.which(t) is None]
    if not missing:
        print(f"{', '.join(INSTALLABLE)} are already on PATH; nothing to install.")
        return EXIT_OK
    todo = install.plan(missing, which=runner.which)
    for t in todo:
        print(f"  {t.describe()}")
    if not args.yes:
        if not stdin_interactive():
            print("error: installing tools needs confirmation: pass --yes (after reading the lines above).",
                  file=sys.stderr)
            return EXIT_REFUSED
        if input("Install them? [y/N] ").strip().lower() not in ("y", "yes"):
            print("cancelled: nothing was installed.")
            return EXIT_OK
    install.install(runner, todo, progress=lambda line: print(f"  {line}", flush=True))
    checks = check_tools(runner, list(INSTALLABLE))  # found where the wizard looks, with their versions
    for c in checks:
        print(f"  {'✔' if c.ok else '✘'} {c.detail}")
    return EXIT_OK if all(c.ok for c in checks) else EXIT_FAILED


def cmd_doctor(args) -> int:
    from ..doctor import ALL_TOOLS, check_cluster, check_repo, check_tools
    from ..runner import Runner

    if getattr(args, "install_tools", False):
        return install_tools(args)

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
    from ..rollback import Options, overview

    if not args.action:
        # Only reads (the state file is replaced whole, never half written): no lock, so it also works while
        # the TUI holds the repo.
        session = open_session(args)
        session.store.load()
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
    with locked(args, f"rollback {args.action}") as session:
        opts = Options(namespaces=_split(args.namespace), kinds=_split(args.kind), overwrite=args.overwrite,
                       kustomizations=_split(args.kustomization), no_suspend=args.no_suspend,
                       allow_prune=args.allow_prune, push=not args.no_push)

        def show(plan) -> None:
            if not (args.json and args.dry_run):
                print(plan.render())

        out = usecase.run_rollback(session, args.action, opts, TerminalAsker(), dry_run=args.dry_run,
                                   assume_yes=args.yes, show=show, progress=lambda line: print(f"  {line}", flush=True))
    plan = out.plan
    if out.status == "previewed":
        if args.json and args.dry_run:
            emit_json({"action": out.name, "summary": plan.summary, "changes": plan.changes,
                       "steps": [asdict(s) for s in plan.steps], "prune_risk": plan.data.get("prune_risk", {})})
        else:
            print("\n(dry run: nothing was changed)" if args.dry_run else "\nnothing to do.")
        return EXIT_OK
    code = not_run(out)
    if code is not None:
        if args.json:
            emit_json({"id": f"rollback.{out.name}", "status": out.status, "message": out.message or "",
                       "exit_code": code})
        return code
    verdict = out.verdict
    if args.json:
        emit_json({"action": out.name, "status": verdict.status, "message": verdict.message,
                   "evidence": verdict.evidence})
    else:
        print(f"{ICONS.get(verdict.status, '?')} rollback {out.name}: {verdict.status}  {verdict.message}")
    return EXIT_OK if verdict.passed else EXIT_FAILED


def _split(values) -> list[str]:
    return [v.strip() for raw in (values or []) for v in raw.split(",") if v.strip()]


def cmd_demo(args) -> int:
    from ..demo import default_demo_dir, existing_demo, write_demo

    dest = Path(args.dir) if args.dir else default_demo_dir()
    reused = existing_demo(dest)
    repo = write_demo(dest)
    # An existing demo is opened as it is (a migration of it may be half done): saying it was written would
    # suggest a fresh one.
    print(f"the demo repo at {repo} already exists: opening it as it is (to start over, remove that folder)"
          if reused else f"demo repo written to {repo}")
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
        args.notice = f"{e} So this is the demo: a sample homelab repo to try the wizard on."
        print(f"{e}\nStarting the demo instead.", file=sys.stderr)
        args.dir = None
        return cmd_demo(args)
    return launch_ui(args)


def launch_ui(args) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise usecase.UsageError("the wizard's screens need a terminal; in scripts use the headless commands "
                                 "(homelab-wizard status, verify, run ITEM --yes …; see --help).")
    from ..launch import start

    return start("plain" if args.plain else "tui", args)


__all__ = ["cmd_status", "cmd_verify", "cmd_run", "cmd_doctor", "cmd_rollback", "cmd_demo", "cmd_skip",
           "interactive", "EXIT_REFUSED"]
