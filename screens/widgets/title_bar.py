"""A one-line title bar: the app, the repository and where you are.

A plain Static instead of Textual's Header: the header's three sub-widgets cost start-up
time the first screen cannot spare (see benchmarks/first_screen.py), and there is no clock
to show.
"""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TitleBar(Static):
    """Shows 'homelab-wizard · <repo> · <where>' docked at the top of a screen."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, where: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.where = where

    def on_mount(self) -> None:
        parts = [(self.app.title, "bold"), ("  ·  ", "dim"), (self.app.session.repo.name, "")]
        if self.where:
            parts += [("  ·  ", "dim"), (self.where, "")]
        self.update(Text.assemble(*parts))
