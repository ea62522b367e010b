"""The home screen: the five phases (and the secrets group) with their progress, and what is next."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from wizard.catalog import PHASES

from .widgets.phase_list import Phase, PhaseList
from .widgets.title_bar import TitleBar


class HomeScreen(Screen):
    """Where the wizard starts: pick a phase; digits jump straight to one."""

    HELP = """\
The phases of the migration, in order. Each bar fills as items pass their live checks.
Open a phase to see its checklist, the evidence of each item and what running it would do.
"""
    BINDINGS = [
        Binding("enter", "open_selected", "Open phase", id="home.open"),
        # Not in the footer (no room at 80 columns): the Next line itself says "n goes there".
        Binding("n", "app.go_next", "Go to Next", show=False, id="home.next"),
        Binding("v", "app.verify_all", "Verify all", id="home.verify-all"),
        Binding("P", "app.open_plan", "Plan", id="home.plan"),
        Binding("S", "app.open_secrets", "Secrets", id="home.secrets"),
        Binding("F", "app.open_flux_status", "Flux", id="home.flux-status"),
        Binding("u", "app.rollback", "Undo", id="home.rollback"),
        *[Binding(num.lower(), f"app.open_phase('{pid}')", f"Phase {num}", show=False, id=f"home.phase-{num.lower()}")
          for pid, num, _ in PHASES],
    ]

    def compose(self) -> ComposeResult:
        engine = self.app.engine
        yield TitleBar("Phases")
        yield Static(id="home-summary")
        phases = [Phase(pid, num, title, [i for i in engine.items if i.phase == pid]) for pid, num, title in PHASES]
        yield PhaseList(phases, self.app.session.state, id="phases")
        yield Static(id="next-step")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(PhaseList).highlighted = 0
        self.query_one(PhaseList).border_title = "Phases: enter opens one; 1-5 and s jump"
        self.watch(self.app, "revision", self.show_state)

    def show_state(self, _revision: int = 0) -> None:
        session, engine = self.app.session, self.app.engine
        state = session.state
        cluster = state.cluster
        pinned = (f"{cluster.context} ({cluster.server})" if cluster else "not pinned yet (1.0 preflight pins it)")
        summary = Text.assemble(("Repository ", "dim"), (session.repo.name, "bold"), ("   Cluster ", "dim"), pinned)
        checking = getattr(self.app, "checking", None)
        if checking:  # a re-check of many items (resume, v): which one now, and how far
            n, total, item_id = checking
            item = engine.item(item_id)
            summary.append_text(Text.assemble("\n", ("Checking ", "bold"), f"{n} of {total}: ",
                                              f"{item.alias} {item.title}", ("  (x stops)", "dim")))
        self.query_one("#home-summary", Static).update(summary)
        self.query_one(PhaseList).show_state(state)
        nxt, first_for = engine.next_step()
        if nxt:
            st = state.item(nxt.id)
            # To run, failed, blocked, or pending while it waits on Flux: its last check's message tells them apart.
            why = f": {self.app.say(st.message)[:160]}" if st.message and st.checked_at else ""
            hint = Text.assemble(("Next: ", "bold"), f"{nxt.alias} {nxt.title}",
                                 (f", first, for {first_for.alias} {first_for.title}" if first_for else ""),
                                 ("  (n goes there)", "bold"), (f"  ({st.status}{why})", "dim"))
        else:
            hint = Text("Every available item has passed.", style="green")
        self.query_one("#next-step", Static).update(hint)

    def action_open_selected(self) -> None:
        phase_id = self.query_one(PhaseList).highlighted_phase
        if phase_id:
            self.app.action_open_phase(phase_id)

    def on_phase_list_phase_chosen(self, event: PhaseList.PhaseChosen) -> None:
        self.app.action_open_phase(event.phase_id)
