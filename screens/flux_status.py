"""The Flux status view: every Kustomization and source with Ready, revision, last reconcile and reason.

Pushed from the Phase 3/4 screens (`F`) or the command palette. The rows come from the headless
core (wizard.flux.status.flux_overview, `kubectl get -o json` only), fetched in an App thread
worker of its own group ("flux-status"), so looking at the status never blocks or is blocked by a
running step. A cluster that cannot be reached shows a clear message instead of rows.
"""
from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

import assets
from .widgets.title_bar import TitleBar

COLUMNS = ("Object", "Ready", "Revision", "Last reconcile", "Reason")


class FluxStatusFetched(Message):
    """The worker read the Flux objects (or could not reach the cluster)."""

    def __init__(self, rows: list, error: str = "", unpinned: bool = False) -> None:
        super().__init__()
        self.rows = rows
        self.error = error
        self.unpinned = unpinned  # no cluster pinned yet: nothing to read, nothing is wrong


def ready_cell(st) -> Text:
    if st.suspended:
        return Text("suspended", style="bold yellow")
    if st.ready:
        return Text("Ready" if st.current else "Ready (older spec)", style="green" if st.current else "yellow")
    return Text("not Ready", style="bold red")


def revision_cell(revision: str | None) -> str:
    """'main@sha1:0123456789abcdef…' -> 'main@sha1:0123456789ab' (the table stays readable)."""
    if not revision:
        return "—"
    head, _, digest = revision.rpartition(":")
    return f"{head}:{digest[:12]}" if head else revision[:24]


def in_reading_order(rows: list) -> list:
    """What needs attention first (not Ready, then suspended), then the sources, then the Kustomizations,
    each by namespace/name: with dozens of Kustomizations the few that matter are at the top, highlighted,
    instead of somewhere in the list (issue 24, point 8)."""
    def key(st):
        attention = 0 if not st.ready and not st.suspended else 1 if st.suspended else 2
        return (attention, st.ref.startswith("Kustomization "), st.ref.split(" ", 1)[-1], st.ref)

    return sorted(rows, key=key)


def row_of(st) -> tuple:
    reason = st.reason or ""
    if not st.ready and st.message:
        reason = f"{reason}: {st.message}" if reason else st.message
    return (st.ref, ready_cell(st), revision_cell(st.revision), st.last_reconcile or "—", reason or "—")


class FluxStatusScreen(Screen):
    """A table of the Flux objects; r reads them again, Esc goes back."""

    CSS_PATH = Path(assets.__file__).parent / "styles" / "flux_status.tcss"
    HELP = """\
The Kustomizations and sources (GitRepository, OCIRepository, HelmRepository…) in the cluster,
read with kubectl: Ready state, the revision applied (Kustomizations) or fetched (sources),
the last reconcile (the Ready condition's transition time) and its reason. Suspended objects
are marked; Flux changes nothing for them. The highlighted row's whole reason is shown, wrapped,
under the table. g reads the cluster again; d shows the tool's own output of an error; Esc goes back.
"""
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="flux-status.back"),
        Binding("g", "refresh", "Refresh", id="flux-status.refresh"),
        Binding("d", "toggle_details", "Details", id="flux-status.details"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list = []
        self.error = ""
        self.details = ""  # the tool's own text behind an error sentence (d shows it)
        self.showing_details = False
        self.loading = False

    def compose(self) -> ComposeResult:
        yield TitleBar("Flux status")
        yield Label("Flux status: Kustomizations and sources", classes="dialog-title", id="flux-status-title")
        yield Static("Reading the Flux objects…", id="flux-status-message")
        yield DataTable(id="flux-status-table", cursor_type="row", zebra_stripes=True)
        # Reasons are long ("BuildFailed: kustomize build failed: …"); the table cuts them at the
        # column, so the highlighted row's reason is shown whole here, wrapped.
        yield Static(id="flux-status-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#flux-status-table", DataTable)
        table.border_title = "Flux objects"
        table.add_columns(*COLUMNS)
        self.action_refresh()

    def action_refresh(self) -> None:
        if self.loading:
            return
        self.loading = True
        self.query_one("#flux-status-message", Static).update("Reading the Flux objects…")
        app, screen = self.app, self

        def work() -> None:
            from wizard.flux.status import flux_overview

            try:
                rows = flux_overview(app.session)
            except Exception as e:  # noqa: BLE001 - shown on the screen
                unpinned = app.session.state.cluster is None
                screen.post_message(FluxStatusFetched([], str(e).strip() or type(e).__name__, unpinned))
                return
            screen.post_message(FluxStatusFetched(rows))

        app.run_worker(work, name="flux-status", group="flux-status", description="Reading the Flux status",
                       thread=True, exclusive=True, exit_on_error=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_details":
            return True if self.details else None
        return True

    def action_toggle_details(self) -> None:
        if self.details:
            self.showing_details = not self.showing_details
            self._show_error()

    def _show_error(self) -> None:
        """One sentence (wizard.explain, as the rollback screen words it); the tool's text behind d."""
        from wizard.explain import explain

        sentence, self.details = explain(self.error)
        text = Text.assemble(("The Flux objects could not be read", "bold red"),
                             f" (read at {self._read_at}): {sentence}\nWhen that is fixed, press g to try again.")
        if self.details:
            text.append("\n\nDetails (d hides them)\n" + self.details if self.showing_details
                        else "\nd shows the tool's output.", style="dim")
        self.query_one("#flux-status-message", Static).update(text)
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#flux-status-table")
    def show_reason(self, event: DataTable.RowHighlighted) -> None:
        ref = event.row_key.value if event.row_key else None
        st = next((r for r in self.rows if r.ref == ref), None)
        detail = self.query_one("#flux-status-detail", Static)
        if st is None:
            detail.update("")
            return
        reason = row_of(st)[-1]
        detail.update(Text.assemble((f"{st.ref}: ", "bold"), reason))

    @on(FluxStatusFetched)
    def show(self, message: FluxStatusFetched) -> None:
        self.loading = False
        self.rows, self.error = message.rows, message.error
        self.details, self.showing_details = "", False
        table = self.query_one("#flux-status-table", DataTable)
        table.clear()
        self.query_one("#flux-status-detail", Static).update("")
        msg = self.query_one("#flux-status-message", Static)
        self._read_at = at = time.strftime("%H:%M:%S")
        if message.unpinned:
            msg.update(Text.assemble(("No cluster pinned yet", "bold"), f": {message.error}."))
            msg.set_class(False, "-error")
            self.refresh_bindings()
            return
        if message.error:
            msg.set_class(True, "-error")
            self._show_error()
            return
        self.refresh_bindings()
        msg.set_class(False, "-error")
        for st in in_reading_order(message.rows):
            table.add_row(*row_of(st), key=st.ref)
        if message.rows:
            table.move_cursor(row=0)  # the first that needs attention, its whole reason shown below
        if not message.rows:
            msg.update(f"No Flux Kustomizations or sources in the cluster (read at {at}): Flux is not bootstrapped yet.")
            return
        kss = [r for r in message.rows if r.ref.startswith("Kustomization ")]
        bad = [r for r in message.rows if r.suspended or not r.ready]
        suspended = sum(r.suspended for r in message.rows)
        named = ", ".join(r.ref.split(" ", 1)[-1] for r in in_reading_order(bad)[:3]) + (", …" if len(bad) > 3 else "")
        summary = (f"{len(kss)} Kustomization(s), {len(message.rows) - len(kss)} source(s); "
                   + (f"{len(bad)} need attention ({named}, at the top)" if bad else "all Ready")
                   + (f", {suspended} suspended" if suspended else "") + f" (read at {at}; g to refresh)")
        msg.update(summary)
