"""The preview pane: what running the selected item would do (Plan.render()), before anything changes."""
from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from wizard.checklist import Item, Plan
from wizard.usecase import CHANGES


class PlanPreview(VerticalScroll, can_focus=True):
    """Shows the last plan computed for the highlighted item, or why it cannot be planned."""

    ALLOW_MAXIMIZE = True  # z zooms it (a scroll container is not maximizable by default)

    def compose(self):
        yield Static(id="preview-text")

    def on_mount(self) -> None:
        self.border_title = "Preview"

    def show(self, item: Item | None, plan: Plan | None, refusal: str | None = None) -> None:
        body = self.query_one("#preview-text", Static)
        if item is None:
            body.update("")
        elif item.unavailable:
            body.update(Text("Nothing to preview: this item is not available yet.", style="dim"))
        elif not item.acts and plan is None:
            body.update(Text("This item only checks: r (or v) checks it now; nothing changes.", style="dim"))
        elif refusal:
            body.update(Text.assemble(("Cannot run it yet: ", "bold yellow"), refusal))
        elif plan is None:
            body.update(Text("Press p to preview what running it would do, or r to run it "
                             "(you confirm before anything changes).", style="dim"))
        else:
            # Plans hold long paths and commands: wrap at words, and fold a word longer than the
            # pane, so the whole line is on screen without scrolling sideways (issue 15).
            text = Text(overflow="fold")
            text.append(f"This {CHANGES.get(plan.changes, plan.changes)}.\n", style="bold")
            text.append(getattr(self.app, "say", lambda t: t)(plan.render()))  # the TUI's words, not the CLI's
            body.update(text)
