"""A phase screen: its checklist, the evidence of the selected item, a preview and the live log."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Static

from wizard.catalog import PHASES
from wizard.checklist import Item

from .widgets.checklist import Checklist
from .widgets.command_log import CommandLog
from .widgets.evidence import EvidenceView
from .widgets.phase_list import counts_text, phase_counts
from .widgets.plan_preview import PlanPreview
from .widgets.title_bar import TitleBar


class PhaseScreen(Screen):
    """The checklist of one phase. Keys act on the highlighted item; Esc goes back home."""

    HELP = """\
Move through the items with the arrow keys; the right-hand panes follow the highlight.
v checks the item now, p previews what running it would do, r runs it (after a form for
its answers and a confirmation), a edits its answers, k skips it (with a reason, recorded; a
skipped item counts as done for what comes after it). Output of running commands streams into
the command log. Tab moves between the panes; z zooms the focused pane to the whole screen
(z or Esc again to go back), for a long preview or log on a small terminal.
"""
    BINDINGS = [
        Binding("escape", "back", "Back", show=False, id="phase.back"),  # in the help; the footer has no room at 80 columns
        Binding("v", "verify_item", "Verify", id="phase.verify"),
        Binding("V", "verify_phase", "Verify phase", show=False, id="phase.verify-phase"),  # help and palette
        Binding("p", "preview_item", "Preview", id="phase.preview"),
        Binding("r", "run_item", "Run", id="phase.run"),
        Binding("a", "edit_answers", "Answers", id="phase.answers"),
        Binding("k", "skip_item", "Skip", id="phase.skip"),
        Binding("z", "zoom", "Zoom pane", show=False, id="phase.zoom"),  # in the help and the palette
    ]

    def __init__(self, phase_id: str, item_id: str | None = None) -> None:
        super().__init__()
        self.phase_id = phase_id
        self.start_on = item_id
        self.number, self.phase_title = next((num, title) for pid, num, title in PHASES if pid == phase_id)
        self.title = self.phase_title

    @property
    def items(self) -> list[Item]:
        return [it for it in self.app.engine.items if it.phase == self.phase_id]

    def compose(self) -> ComposeResult:
        yield TitleBar(self.title)
        yield Static(id="phase-heading")
        with Horizontal(id="phase-body"):
            yield Checklist(self.items, id="checklist")
            with Vertical(id="phase-detail"):
                yield EvidenceView(id="evidence")
                yield PlanPreview(id="preview")
                yield CommandLog(id="log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Checklist).highlighted = self._first_to_do()
        self.watch(self.app, "revision", self.show_state)

    def highlight(self, item_id: str) -> None:
        ids = [it.id for it in self.items]
        if item_id in ids:
            self.query_one(Checklist).highlighted = ids.index(item_id)

    def _first_to_do(self) -> int:
        """The item to start on: the one asked for (n at home), else the item Next names when it is in
        this phase, else the first that has not passed and can run now (2.1 on a repo with no cluster
        pinned, where 2.0 waits for 1.0), else the first."""
        state, engine = self.app.session.state, self.app.engine
        ids = [it.id for it in self.items]
        nxt = engine.next_step()[0]
        for wanted in (self.start_on, nxt.id if nxt else None):
            if wanted in ids:
                return ids.index(wanted)
        for i, it in enumerate(self.items):
            if (not it.unavailable and state.item(it.id).status not in ("passed", "skipped")
                    and not engine.missing_prerequisites(it)):
                return i
        return 0

    @property
    def selected_item(self) -> Item | None:
        try:
            return self.query_one(Checklist).selected_item
        except NoMatches:  # asked before compose (the footer checks bindings early)
            return None

    def show_state(self, _revision: int = 0) -> None:
        app = self.app
        state = app.session.state
        self.query_one(Checklist).show_state(state, app.active_items)
        label = f"Phase {self.number}" if self.number.isdigit() else "Secrets"
        self.query_one("#phase-heading", Static).update(Text.assemble(
            (f"{label}: {self.phase_title}", "bold"), "   ", (counts_text(self.items, phase_counts(self.items, state)), "dim")))
        self.show_selected()

    def show_selected(self) -> None:
        app, item = self.app, self.selected_item
        if item is None:
            self.query_one(EvidenceView).show(None)
            self.query_one(PlanPreview).show(None, None)
            return
        st = app.session.state.item(item.id)
        status = "running" if item.id in app.active_items else st.status
        self.query_one(EvidenceView).show(item, st, status, app.engine.missing_prerequisites(item),
                                          app.progress.get(item.id))
        self.query_one(PlanPreview).show(item, app.plans.get(item.id), app.plan_refusals.get(item.id))
        self.refresh_bindings()

    def on_checklist_item_highlighted(self, _event: Checklist.ItemHighlighted) -> None:
        self.show_selected()

    def on_option_list_option_selected(self, _event) -> None:
        self.action_preview_item()

    # -- actions -------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in ("run_item", "preview_item", "verify_item", "verify_phase", "edit_answers", "skip_item"):
            return True
        item = self.selected_item
        busy = self.app.busy
        if action in ("run_item", "preview_item"):
            # An item that only checks runs by checking (its plan says so), as the CLI's `run` does.
            return None if busy or item is None or item.unavailable else True
        if action in ("verify_item", "skip_item"):
            return None if busy or item is None or (action == "skip_item" and item.unavailable) else True
        if action == "verify_phase":
            return None if busy else True
        if action == "edit_answers":
            return None if busy or item is None or item.unavailable or not (
                item.questions or self.app.engine.saved_questions(item)) else True
        return True

    def action_back(self) -> None:
        if self.maximized is not None:  # Esc first leaves a zoomed pane, as z does
            self.minimize()
            return
        self.app.pop_screen()

    def action_zoom(self) -> None:
        """The focused pane fills the screen (at 80x24 the evidence and preview get a few lines)."""
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused, container=False)

    def action_verify_item(self) -> None:
        if self.selected_item is not None:
            self.app.start_verify([self.selected_item.id], self.selected_item.id)

    def action_verify_phase(self) -> None:
        self.app.start_verify([it.id for it in self.items], f"phase {self.number} ({self.phase_title})")

    def action_preview_item(self) -> None:
        if self.check_action("preview_item", ()):
            self.app.request_preview(self.selected_item.id)

    def action_run_item(self) -> None:
        if self.check_action("run_item", ()):
            self.app.request_run(self.selected_item.id)

    def action_skip_item(self) -> None:
        """Skip with a reason (the CLI's `skip ITEM --reason`): asked in the form, stored by the engine."""
        from types import SimpleNamespace

        from wizard.checklist import Question
        from wizard.session import WizardError
        from wizard.state import StateError

        from .dialogs.answers import AnswersDialog
        from .dialogs.error import ErrorDialog

        if not self.check_action("skip_item", ()):
            return
        app, item = self.app, self.selected_item
        warning = app.engine.skip_consequence(item.id)
        reason = Question("skip-reason", f"Why skip {item.alias} {item.id}? (recorded with the item)",
                          help=f"Warning: {warning}." if warning else "")
        form = SimpleNamespace(alias=item.alias, title=f"Skip: {item.title}", questions=[reason])

        def answered(answers: dict | None) -> None:
            if answers is None:
                return
            try:
                verdict = app.engine.skip(item.id, answers["skip-reason"])
            except (WizardError, StateError) as e:
                app.push_screen(ErrorDialog(f"{item.id} was not skipped", str(e)))
                return
            app.write_log(f"{item.id}: {verdict.message}")
            app.revision += 1

        app.push_screen(AnswersDialog(form, {}), answered)

    def action_edit_answers(self) -> None:
        if self.check_action("edit_answers", ()):
            self.app.edit_answers(self.selected_item.id)

    def action_open_plan(self) -> None:
        self.app.action_open_plan()

    def action_open_secrets(self) -> None:
        self.app.action_open_secrets()

    def action_open_flux_status(self) -> None:
        self.app.action_open_flux_status()
