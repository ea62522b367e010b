"""`homelab-wizard`: the TUI by default, and headless subcommands with the same abilities.

Exit codes (DESIGN.md): 0 ok; 1 a check failed; 2 bad usage or input; 3 blocked by a missing
precondition; 4 refused for safety (other cluster, dirty tree, lock held); 130 interrupted.
The TUI (Textual) and the --plain prompts (questionary) are imported only when used, so the
headless commands start fast and work where neither is installed.
"""
from __future__ import annotations

import argparse
import json
import os
import sys


from .ascii_fallback import install as install_ascii_fallback
from ..exitcodes import EXIT_BLOCKED, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_REFUSED, EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="homelab-wizard", description="Move a hand-applied Kubernetes homelab to Flux CD GitOps.")
    p.add_argument("--repo", default=None, help="the git repository of your manifests (default: the current directory)")
    p.add_argument("--kubeconfig", default=None, help="kubeconfig file (default: kubectl's own default)")
    p.add_argument("--context", default=None, help="kubeconfig context to pin (default: the current context)")
    p.add_argument("--plain", action="store_true", help="ask questions in the terminal (questionary) instead of the TUI")
    p.add_argument("--version", action=VersionAction, help="print the installed version and exit")
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("status", help="stored progress of every item")
    s.add_argument("--json", action="store_true")
    v = sub.add_parser("verify", help="run live checks now and store the results")
    v.add_argument("refs", nargs="*", metavar="PHASE|ITEM")
    v.add_argument("--json", action="store_true")
    r = sub.add_parser("run", help="preview and run one item")
    r.add_argument("item")
    r.add_argument("--dry-run", action="store_true", help="show the preview only")
    r.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an answer (repeatable)")
    r.add_argument("--repin", action="store_true", help="with prep.preflight: pin the current cluster instead of the old one")
    r.add_argument("--json", action="store_true")
    k = sub.add_parser("skip", help="skip an item, with a reason (it never shows as passed)")
    k.add_argument("item")
    k.add_argument("--reason", required=True)
    d = sub.add_parser("doctor", help="tools, versions, cluster, repo")
    d.add_argument("--json", action="store_true")
    d.add_argument("--install-tools", action="store_true",
                   help="install the pinned flux and kubeseal into the wizard's data dir (built with Go; asks first)")
    d.add_argument("--yes", action="store_true", help="with --install-tools: do not ask")
    rb = sub.add_parser("rollback", help="undo part of the migration")
    rb.add_argument("action", nargs="?", metavar="ACTION",
                    help="restore | revert | discard | suspend | resume | stop-gitops (none: list what can be undone now)")
    rb.add_argument("--dry-run", action="store_true", help="show the preview only")
    rb.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    rb.add_argument("--namespace", action="append", default=[], help="restore: only this namespace (repeatable, or a,b)")
    rb.add_argument("--kind", action="append", default=[], help="restore: only this kind, e.g. ConfigMap or Deployment.apps")
    rb.add_argument("--overwrite", action="store_true", help="restore: replace objects that exist (default: skip them)")
    rb.add_argument("--kustomization", action="append", default=[], metavar="[NS/]NAME",
                    help="suspend/resume: only this Kustomization (default: all)")
    rb.add_argument("--no-suspend", action="store_true", help="revert: do not suspend Flux first (needs --allow-prune)")
    rb.add_argument("--allow-prune", action="store_true", help="accept that Flux may delete the listed objects")
    rb.add_argument("--no-push", action="store_true", help="revert: make the revert commits but do not push")
    rb.add_argument("--json", action="store_true")
    dm = sub.add_parser("demo", help="write a sample homelab repo and open the wizard on it")
    dm.add_argument("dir", nargs="?", default=None)
    return p


class VersionAction(argparse.Action):
    """`--version`: the installed distribution's version, looked up only when asked (startup stays fast)."""

    def __init__(self, option_strings, dest, **kw):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("homelab-wizard")
        except PackageNotFoundError:  # run from a checkout that was never installed
            v = "unknown (not installed; pip install . in the checkout)"
        print(f"homelab-wizard {v}")
        parser.exit(EXIT_OK)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = None
    install_ascii_fallback()  # before anything prints: no command dies on a terminal that cannot show → or ✔
    try:
        if "status" in argv:
            # `status` is what scripts poll: read the state file without a Session when that is safe.
            from ..status_view import fast_status

            code = fast_status(argv)
            if code is not None:
                return code
        from ..signals import handle_termination, restore

        handlers = handle_termination()  # SIGTERM and SIGHUP stop a run as Ctrl-C does (children, scratch, state)
        say_ignored_git_env()
        try:
            args = build_parser().parse_args(argv)
            return dispatch(args)
        finally:
            restore(handlers)
    except BrokenPipeError:
        # `homelab-wizard status | head`: the reader left; no traceback. stdout goes to /dev/null
        # so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except KeyboardInterrupt as e:
        from ..signals import Terminated

        if isinstance(e, Terminated):
            print(f"\nstopped by {e.name}: the running step was stopped and recorded as interrupted, its scratch "
                  "copies removed; run the same command again to resume.", file=sys.stderr)
            return e.exit_code
        print("\ninterrupted: the state was saved; run the same command again to resume.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as e:
        # A full disk or a read-only folder: say which file, and that what was saved is consistent
        # (state and files are replaced atomically, so a failed write leaves the previous version).
        where = e.filename or "a file"
        print(f"error: cannot write {where}: {e.strerror or e}. The previous version of every file the wizard "
              "writes is still in place; free some space or make it writable, then run the command again.",
              file=sys.stderr)
        return EXIT_FAILED
    except Exception as e:
        code = exit_code_for_error(e)
        if code is None:
            raise
        from ..phrasing import for_cli

        print(f"error: {for_cli(str(e))}", file=sys.stderr)
        if args is not None and args.command == "run" and args.json:  # a script reads the refusal as data
            emit_json(error_json(e, code))
        for q in getattr(e, "questions", None) or []:  # NeedsAnswers: each question, answerable with --set
            choices = " | ".join(v for v, _ in q.choices or []) or "…"
            print(f"  {q.key}: {q.prompt}\n    --set {q.key}=<{choices}>", file=sys.stderr)
        return code


def say_ignored_git_env() -> None:
    """Once per command: which of the shell's git variables the wizard ignores (the runner drops them)."""
    from ..paths import redirecting_git_env

    for name in redirecting_git_env():
        print(f"note: {name} is set in this shell ({os.environ[name]}); the wizard ignores it, so every git command "
              "it runs, its state, lock and audit log go to the repository you named (--repo, or the current "
              "directory).", file=sys.stderr)


def error_json(e: Exception, code: int) -> dict:
    """What `--json` prints for an error: its sentence, and each question it waits on (NeedsAnswers)
    with the choices, the default and the file:line it is about, so a script can answer with --set."""
    questions = getattr(e, "questions", None) or []
    return {"status": "needs-answers" if questions else ("blocked" if code == EXIT_BLOCKED else "error"),
            "exit_code": code, "message": str(e),
            "questions": [{**q.as_json(), "where": getattr(q, "where", None) or None} for q in questions]}


def exit_code_for_error(e: Exception) -> int | None:
    """The exit code for an error the user can act on, None for a bug (shown as a traceback).

    The error classes are imported here rather than at the top so that `status` does not load
    the runner and tool modules just to be able to catch their errors.
    """
    from ..runner import ToolError
    from ..session import WizardError
    from ..state import StateError

    if isinstance(e, StateError):  # LockHeld included: another wizard holds the repo
        return EXIT_REFUSED
    if isinstance(e, WizardError):
        return e.exit_code
    if isinstance(e, ToolError):  # a tool failed outside an item's own handling: its redacted message
        return EXIT_FAILED
    return None


def dispatch(args) -> int:
    from . import commands

    if args.command is None:
        return commands.interactive(args)
    return getattr(commands, f"cmd_{args.command}")(args)


def emit_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def stdin_interactive() -> bool:
    return sys.stdin.isatty() and os.environ.get("HOMELAB_WIZARD_NONINTERACTIVE") != "1"



__all__ = ["main", "build_parser", "dispatch", "emit_json", "stdin_interactive", "EXIT_OK", "EXIT_FAILED",
           "EXIT_USAGE", "EXIT_BLOCKED", "EXIT_REFUSED", "EXIT_INTERRUPTED"]
