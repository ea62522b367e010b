"""The front ends' one entry point, called by wizard.launch: the TUI or the --plain prompts."""
from __future__ import annotations

from pathlib import Path

from wizard import usecase


def start(front: str, args) -> int:
    if front == "tui":
        from .app import run_app

        with usecase.locked(args.repo or str(Path.cwd()), args.kubeconfig, args.context, "tui") as session:
            return run_app(session, getattr(args, "notice", None))
    from . import plain

    if front == "plain-run":
        return plain.run_one(args)
    return plain.plain_wizard(args)
