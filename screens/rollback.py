"""The guided rollback screen: what can be undone now, each with its consequences spelled out.

Reachable from everywhere (the App's `u` binding and the command palette). Choosing an action
shows its preview (restore first asks which namespaces and kinds, and whether to overwrite, in
RestoreOptionsDialog, from what the backup holds; the same choices as the CLI's flags) (computed in a worker), then the confirmation (Cancel focused; destructive
actions need the context name typed), then runs it in a worker with its output streaming to
the command log, and shows the verification. The core is wizard.rollback; nothing is decided here.
"""
from __future__ import annotations

from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from wizard.checklist import Plan, Verdict
from wizard.rollback import Options, action, execute, overview
from wizard.rollback.fluxctl import kustomizations, ks_id, suspended
from wizard.rollback.restore import backup_contents, find_backup
from wizard.session import Blocked

from .dialogs.confirm import ConfirmDialog
from .dialogs.kustomization_choice import KustomizationChoiceDialog, scope_text
from .dialogs.restore_options import RestoreOptionsDialog, describe
from .messages import OutputLogged
from .widgets.title_bar import TitleBar


class Overview(Message):
    def __init__(self, rows, note: str | None = None, error: str | None = None) -> None:
        super().__init__()
        self.rows, self.note, self.error = rows, note, error


class Previewed(Message):
    def __init__(self, name: str, plan: Plan | None, error: str | None) -> None:
        super().__init__()
        self.name, self.plan, self.error = name, plan, error


class Listed(Message):
    """The cluster's Kustomizations as (NS/NAME, suspended), for the suspend/resume choice."""

    def __init__(self, name: str, rows: list[tuple[str, bool]] | None, error: str | None) -> None:
        super().__init__()
        self.name, self.rows, self.error = name, rows, error


class Finished(Message):
    def __init__(self, name: str, verdict: Verdict | None, error: str | None) -> None:
        super().__init__()
        self.name, self.verdict, self.error = name, verdict, error


class RollbackScreen(Screen):
    """Lists the rollback actions; Enter previews one, the Run button confirms and runs it."""

    HELP = """\
What can be undone now, from the wizard's own records: each action says what it would do and
what it would leave. The first action that can run is highlighted: press Enter for its preview (below the list); the Run
button then asks for confirmation (actions that delete or may let Flux prune ask you to type
the context name). g looks again at what can be undone; Esc goes back.
"""
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="rollback.back"),
                Binding("g", "refresh", "Refresh", id="rollback.refresh"),
                Binding("d", "toggle_details", "Details", id="rollback.details")]
    # The list takes what its rows need, up to 40%: the preview below it stays in view at 80x24.
    DEFAULT_CSS = """
    #rollback-actions { height: auto; max-height: 40%; }
    #rollback-detail { height: 1fr; min-height: 5; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows = []
        self.plan: Plan | None = None
        self.chosen: str | None = None
        self.restore_options: Options | None = None  # the last choices, offered again
        self.ks_choices: dict[str, list[str]] = {}  # suspend/resume: the last Kustomizations chosen
        self.details = ""  # the tool's own text behind the last error's sentence (d shows it)
        self.error_note = ""
        self.showing_details = False
        self.note: str | None = None  # the last action's result, kept above the description

    def compose(self) -> ComposeResult:
        yield TitleBar("Rollback")
        yield Label("Rollback: undo part of the migration", classes="dialog-title", id="rollback-title")
        yield OptionList(id="rollback-actions")
        with VerticalScroll(id="rollback-detail"):
            yield Static("Looking at what can be undone now…", id="rollback-text")
        with Horizontal(classes="dialog-buttons"):
            yield Button("Back", id="rollback-back")
            yield Button("Run…", id="rollback-run", variant="error", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_details":
            return True if self.details else None
        return True

    def show_error(self, head: str, error: str) -> str:
        """One sentence for the error (wizard.explain); the tool's text waits behind d."""
        from wizard.explain import explain

        sentence, self.details = explain(error)
        self.error_note = f"{head}:\n{escape(sentence)}"
        self.showing_details = False
        self.refresh_bindings()
        self._show_note()
        return self.error_note

    def _show_note(self) -> None:
        if not self.details:
            extra = ""
        elif self.showing_details:
            extra = f"\n\n[b]Details[/b] (d hides them)\n{escape(self.details)}"
        else:
            extra = "\n\n[dim]d shows the tool's output[/dim]"
        self.query_one("#rollback-text", Static).update(self.error_note + extra)

    def action_toggle_details(self) -> None:
        if self.details:
            self.showing_details = not self.showing_details
            self._show_note()

    def action_refresh(self, note: str | None = None, *, chained: bool = False) -> None:
        """Recompute what can be undone; `note` (the last action's result) stays on top of the text.

        Until the new list arrives the old one is greyed out and takes no keys: after an action its rows
        are stale (a revert just run still offered as available), and acting on one would surprise."""
        app = self.app
        ol = self.query_one("#rollback-actions", OptionList)
        ol.disabled = ol.loading = True

        def work():
            try:
                rows = overview(app.session)
            except Exception as e:  # noqa: BLE001 - shown on the screen; the list takes keys again
                self.post_message(Overview(None, note, str(e)))
                return
            self.post_message(Overview(rows, note))

        if app._start(work, "rollback-overview", "Looking at what can be undone", chained=chained) is None:
            ol.disabled = ol.loading = False  # not started (another step runs): the list stays as it was

    @on(Overview)
    def show_overview(self, message: Overview) -> None:
        ol = self.query_one("#rollback-actions", OptionList)
        ol.disabled = ol.loading = False
        if message.error is not None:
            self.show_error("What can be undone could not be read (g reads it again)", message.error)
            return
        self.rows = message.rows
        self.chosen, self.plan = None, None  # a fresh list: nothing is previewed yet
        ol.clear_options()
        for r in self.rows:
            mark = "✔" if r.available else "·"
            ol.add_option(Option(f"{mark} {r.title}\n    {r.reason}", id=r.name, disabled=not r.available))
        self.note = message.note
        first = next((i for i, r in enumerate(self.rows) if r.available), None)
        if first is None:
            self.query_one("#rollback-text", Static).update(
                (f"{message.note}\n\n" if message.note else "") + "Nothing can be undone at this point of the migration.")
        else:
            # The first action that can run is highlighted, so Enter previews it at once; the text below
            # follows the highlight (describe_highlighted).
            ol.highlighted = first
            self.describe(self.rows[first])
        ol.focus()

    def describe(self, row) -> None:
        self.query_one("#rollback-text", Static).update(
            (f"{self.note}\n\n" if self.note else "") + f"[b]{row.title}[/b] ({row.name})\n{row.consequences}"
            + "\n\nPress Enter to see its preview (↑/↓ for another action).")

    @on(OptionList.OptionHighlighted, "#rollback-actions")
    def describe_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """What the highlighted action would do. Moving off the action whose preview is shown puts that
        preview away (and disables Run): what the screen shows is always what is highlighted."""
        if event.option.id == self.chosen:
            return
        row = next((r for r in self.rows if r.name == event.option.id), None)
        if row is None or not row.available:
            return
        self.chosen, self.plan = None, None
        self.query_one("#rollback-run", Button).disabled = True
        self.describe(row)

    @on(OptionList.OptionSelected, "#rollback-actions")
    def preview(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id
        self.chosen, self.plan = name, None
        self.query_one("#rollback-run", Button).disabled = True
        if action(name).name == "restore":
            self.ask_restore_options()
        elif action(name).name in ("suspend", "resume"):
            self.list_kustomizations(action(name).name)
        else:
            self.start_preview(name, Options())

    def list_kustomizations(self, name: str) -> None:
        """Suspend/resume: read the cluster's Kustomizations (in a worker), then let the user choose."""
        self.query_one("#rollback-text", Static).update("Reading the Flux Kustomizations…")
        session = self.app.session

        def work():
            try:
                kss = kustomizations(session)
                rows = None if kss is None else [(ks_id(k), suspended(k)) for k in kss]
                self.post_message(Listed(name, rows, None))
            except Exception as e:  # noqa: BLE001 - shown on the screen
                self.post_message(Listed(name, None, str(e)))

        self.app._start(work, "rollback-list", "Reading the Flux Kustomizations")

    @on(Listed)
    def choose_kustomizations(self, message: Listed) -> None:
        if message.name != self.chosen:
            return
        if message.error or not message.rows:
            # The action's own preview says what is wrong (Flux not installed, cluster unreachable).
            self.start_preview(message.name, Options(), chained=True)
            return
        self.app.push_screen(KustomizationChoiceDialog(message.name, message.rows,
                                                       self.ks_choices.get(message.name)),
                             partial(self._kustomizations_chosen, message.name))

    def _kustomizations_chosen(self, name: str, opts: Options | None) -> None:
        if opts is None:
            self.chosen = None
            self.query_one("#rollback-text", Static).update(f"{name.capitalize()} cancelled: nothing was changed."
                                                            "\n\nChoose an action and press Enter to see its preview.")
            self.query_one("#rollback-actions", OptionList).focus()
            return
        self.ks_choices[name] = opts.kustomizations
        self.start_preview(name, opts)

    def ask_restore_options(self) -> None:
        """Restore: choose namespaces, kinds and overwrite from what the backup holds, then preview."""
        text = self.query_one("#rollback-text", Static)
        try:
            info = find_backup(self.app.session)
            if info is None:
                raise Blocked("there is no complete Phase 1 backup to restore from; run prep.backup first.")
            namespaces, kinds = backup_contents(info)
        except Exception as e:  # noqa: BLE001 - shown on the screen
            self.show_error("[b]restore[/b] cannot run now", str(e))
            return
        text.update("Choose what to restore (Esc cancels)…")
        source = (f"Backup of {info.created_at} ({info.index.get('objects', '?')} objects, "
                  f"{len(namespaces)} namespace(s), {len(kinds)} kind(s)) at {info.path}")
        self.app.push_screen(RestoreOptionsDialog(namespaces, kinds, source=escape(source), opts=self.restore_options),
                             self._restore_chosen)

    def _restore_chosen(self, opts: Options | None) -> None:
        if opts is None:
            self.chosen = None
            self.query_one("#rollback-text", Static).update("Restore cancelled: nothing was changed.\n\n"
                                                            "Choose an action and press Enter to see its preview.")
            self.query_one("#rollback-actions", OptionList).focus()
            return
        self.restore_options = opts
        self.start_preview("restore", opts)

    def start_preview(self, name: str, opts: Options, *, chained: bool = False) -> None:
        """`chained`: called from a worker's message while that worker is still finishing."""
        act = action(name).name
        scope = (f" ({escape(describe(opts))})" if act == "restore"
                 else f" ({escape(scope_text(act, opts.kustomizations))})" if act in ("suspend", "resume") else "")
        self.query_one("#rollback-text", Static).update(f"Preparing the preview of {name}{scope}…")
        session = self.app.session

        def work():
            try:
                plan = action(name).plan(session, opts)
                self.post_message(Previewed(name, plan, None))
            except Exception as e:  # noqa: BLE001 - shown on the screen
                self.post_message(Previewed(name, None, str(e)))

        self.app._start(work, "rollback-plan", f"Previewing rollback {name}", chained=chained)

    @on(Previewed)
    def show_preview(self, message: Previewed) -> None:
        if message.name != self.chosen:
            return
        text = self.query_one("#rollback-text", Static)
        if message.error:
            self.show_error(f"[b]{message.name}[/b] cannot run now", message.error)
            return
        self.details = ""
        self.refresh_bindings()
        self.plan = message.plan
        body = message.plan.render()
        if message.plan.data.get("prune_risk"):
            body += "\n\nWith prune on, Flux may delete the objects listed above."
        text.update(body)
        self.query_one("#rollback-detail").scroll_home(animate=False)
        self.query_one("#rollback-run", Button).disabled = message.plan.changes == "nothing"

    @on(Button.Pressed, "#rollback-back")
    def back(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#rollback-run")
    def confirm(self) -> None:
        if self.plan is None or self.chosen is None:
            return
        act, plan, session = action(self.chosen), self.plan, self.app.session
        from wizard.usecase import rollback_confirmation

        c = rollback_confirmation(session, act, plan)  # the core's policy: the CLI asks the same
        word = c.word if c.kind == "typed" else None
        body = f"{plan.summary}\n\n{next((r.consequences for r in self.rows if r.name == act.name), '')}"
        if act.name == "restore":
            chosen = Options(namespaces=plan.data.get("namespaces") or [], kinds=plan.data.get("kinds") or [],
                             overwrite=bool(plan.data.get("overwrite")))
            body += f"\n\nChosen: {escape(describe(chosen))}."
        if word:  # said as the items' confirmation says it
            body += f"\n\nIt acts on the cluster of context {word!r}."
        self.app.push_screen(ConfirmDialog(f"Rollback: {act.title}?", body, ok_label="Run it", require_text=word,
                                           danger=act.destructive), partial(self._decided, act.name, plan))

    def _decided(self, name: str, plan: Plan, go: bool | None) -> None:
        if not go:
            self.app.notify("Cancelled: nothing was changed.", title=f"rollback {name}")
            return
        app, session = self.app, self.app.session
        self.query_one("#rollback-run", Button).disabled = True
        self.query_one("#rollback-text", Static).update(f"Running {name}… (output in the command log)")
        app.write_log(f"rollback {name}: {plan.summary}")

        def work():
            try:
                verdict = execute(session, action(name), plan,
                                  progress=lambda line: app.post_message(OutputLogged(line)))
                self.post_message(Finished(name, verdict, None))
            except Exception as e:  # noqa: BLE001 - shown on the screen
                self.post_message(Finished(name, None, str(e)))

        app._start(work, "rollback-run", f"Rollback {name}")

    @on(Finished)
    def finished(self, message: Finished) -> None:
        text = self.query_one("#rollback-text", Static)
        if message.error:
            note = self.show_error(f"[b]{message.name}[/b] stopped", message.error)
        else:
            v = message.verdict
            note = f"[b]{message.name}[/b]: {v.status}\n{escape(v.message)}"
            text.update(note)
        self.app.revision += 1
        self.plan = None
        # The run's worker is still finishing when this arrives: the read-only overview is chained
        # after it (otherwise it is refused as "another step is still running" and the list goes stale).
        self.action_refresh(note, chained=True)
