"""Starts a front end that lives outside the core: the TUI or the --plain prompts.

The only module in `wizard/` that names `screens`, through this one deferred call, so the core
(and the headless CLI) never load Textual or questionary unless a person asked for a screen.
"""
from __future__ import annotations

import importlib

FRONT_ENDS = ("tui", "plain", "plain-run")


def start(front: str, args) -> int:
    """`front`: "tui", "plain" (the menu of items) or "plain-run" (one item, asked with questionary)."""
    if front not in FRONT_ENDS:
        raise ValueError(f"unknown front end {front!r}")
    return importlib.import_module("screens.entry").start(front, args)
