"""The Phase 2 plan screen: the chosen option's layout before and after, moves, generated files, validation.

Pushed from the Phase 2 phase screen (`P`) or the command palette. Everything shown is computed
by the headless core (wizard.views.phase2_plan) in an App worker and
delivered to the screen as a `PlanComputed` message. A folder's classification can be cycled
(infrastructure → apps → exclude); the choice is stored as the `class.<folder>` answer and the
plan is computed again. Nothing here changes the repository: running the items stays on the
phase screen (preview, confirm, run).
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

import assets
from wizard.checklist import Step
from wizard.views.phase2_plan import PLAN_ITEMS, PlanSnapshot, compute_snapshot
from .widgets.fit_columns import elide_left, fit_columns
from .widgets.title_bar import TitleBar

VALIDATION_ITEMS = ("repo.kustomizations", "repo.flux-manifests")
CLASSES = ("infrastructure", "apps", "exclude")
CLASS_WIDTH = max(len(c) for c in CLASSES) + 2  # never cut: the class is what c changes (+ " ◀" when it did)

CLASS_CHOICES = (("infrastructure", "infrastructure (controllers and configs, applied first)"),
                 ("apps", "apps (applied after infrastructure)"),
                 ("exclude", "exclude (left out of Flux)"))


def tree_text(folders: list[str]) -> Text:
    """Folders as an indented tree (every ancestor shown once)."""
    nodes: set[tuple[str, ...]] = set()
    for f in folders:
        parts = PurePosixPath(f).parts
        for i in range(1, len(parts) + 1):
            nodes.add(parts[:i])
    text = Text(no_wrap=True, overflow="ellipsis")
    for parts in sorted(nodes):
        text.append("  " * (len(parts) - 1) + parts[-1] + "/\n", style="bold" if "/".join(parts) in folders else "dim")
    return text or Text("(no manifest folders)", style="dim")


def steps_text(snap: PlanSnapshot, kinds: tuple[str, ...]) -> Text:
    """The plan steps of the given kinds, item by item, with their details (diffs or file contents)."""
    text = Text(no_wrap=True, overflow="ignore")
    for item_id in PLAN_ITEMS:
        plan = snap.plans.get(item_id)
        steps: list[Step] = [s for s in plan.steps if s.kind in kinds] if plan else []
        if not steps and item_id not in snap.refusals:
            continue
        text.append(f"{item_id}", style="bold")
        text.append(f"  ({plan.summary if plan else 'not planned'})\n", style="dim")
        if item_id in snap.refusals:
            text.append(f"  {'cannot plan it yet' if plan else 'cannot plan it'}: {snap.refusals[item_id]}\n",
                        style="yellow")
        for s in steps:
            text.append(f"  [{s.kind}] {s.description}\n")
            for line in s.detail.splitlines():
                style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
                text.append(f"      {line}\n", style=style)
    return text or Text("Nothing to write or edit.", style="dim")


class PlanComputed(Message):
    """The worker finished computing the plan screen's snapshot."""

    def __init__(self, snapshot: PlanSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class PlanScreen(Screen):
    """Phase 2 plan: folders and their classes on the left, tree/moves/files/validation on the right."""

    CSS_PATH = Path(assets.__file__).parent / "styles" / "plan.tcss"
    HELP = """\
The plan of the chosen option (A or B), computed from the repository as it is now.
c chooses the class of the highlighted folder (infrastructure, apps or exclude), stored as the
folder's answer; the plan is then computed again. h asks for a Helm chart that replaces the
highlighted folder's manifests (a HelmRelease scaffold, written by 2.4; empty answers drop it).
v re-runs the validation of 2.2 and 2.4, g recomputes the plan. Run the items from the Phase 2
screen (Esc).
"""
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", show=False, id="plan.back"),  # in the help: no room at 80 columns
        Binding("c", "cycle_class", "Class…", id="plan.cycle-class"),
        Binding("h", "helm", "Helm", id="plan.helm"),
        Binding("v", "validate", "Validate", id="plan.validate"),
        Binding("g", "refresh", "Recompute", id="plan.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.snapshot: PlanSnapshot | None = None
        self.changed: str | None = None  # the folder whose class c changed last

    def compose(self) -> ComposeResult:
        yield TitleBar("Phase 2 plan")
        yield Label("Phase 2 plan", classes="dialog-title", id="plan-title")
        with Horizontal(id="plan-body"):
            yield DataTable(id="plan-folders", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="plan-detail"):
                with Horizontal(id="plan-trees"):
                    yield Static(id="plan-before", classes="plan-tree")
                    yield Static(id="plan-after", classes="plan-tree")
                yield Static(id="plan-moves", classes="plan-section")
                yield Static(id="plan-validation", classes="plan-section")
                yield Static(id="plan-files", classes="plan-section")  # long (file contents): last
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#plan-folders", DataTable)
        table.border_title = "Folders (c: change class)"
        self._columns(table)
        self.query_one("#plan-before", Static).border_title = "Before"
        self.query_one("#plan-after", Static).border_title = "After"
        self.query_one("#plan-moves", Static).border_title = "Moves (git mv)"
        self.query_one("#plan-files", Static).border_title = "Generated and edited files"
        self.query_one("#plan-validation", Static).border_title = "Validation (2.2, 2.4)"
        self.query_one("#plan-moves", Static).update(Text("Computing the plan…", style="dim"))
        self.watch(self.app, "revision", self.show_validation)
        self.action_refresh()

    def _columns(self, table: DataTable) -> tuple[int, int]:
        """Columns that fit the table: the class whole, as it is what c changes; the folder and its target share
        the rest, long paths shortened from the left (the trees beside show them whole)."""
        folder_w, _, target_w = fit_columns(table, [("Folder", None, 3), ("Class", CLASS_WIDTH, 0), ("Target", None, 2)])
        return folder_w, target_w

    def on_resize(self) -> None:
        if self.snapshot is not None:
            self.show_snapshot(PlanComputed(self.snapshot))

    # -- computing -------------------------------------------------------------------------------
    def action_refresh(self) -> None:
        app, screen = self.app, self

        def work() -> None:
            try:
                snap = compute_snapshot(app.session, app.engine)
            except Exception as e:  # noqa: BLE001 - shown on the screen, not a crash
                snap = PlanSnapshot(error=f"{type(e).__name__}: {e}")
            screen.post_message(PlanComputed(snap))

        app._start(work, "plan-screen", "Computing the Phase 2 plan")

    @on(PlanComputed)
    def show_snapshot(self, message: PlanComputed) -> None:
        snap = self.snapshot = message.snapshot
        table = self.query_one("#plan-folders", DataTable)
        keep = table.cursor_row
        folder_w, target_w = self._columns(table)
        for r in snap.folders:
            # The class alone (the value c cycles through); the tier shows in the target's path.
            cls = Text(r.role, style="bold reverse" if r.key == self.changed else "")
            if r.key == self.changed:
                cls.append(" ◀")
            target = "" if r.role == "exclude" else (r.target if r.target != r.path else "(stays)")
            table.add_row(elide_left(r.path, folder_w), cls, elide_left(target, target_w), key=r.key)
        if snap.folders:
            table.move_cursor(row=min(keep, len(snap.folders) - 1))
        title = self.query_one("#plan-title", Label)
        if snap.error:
            title.update(f"Phase 2 plan: {snap.error}")
            self.query_one("#plan-moves", Static).update(Text(snap.error, style="yellow"))
            return
        title.update(f"Phase 2 plan: Option {snap.option.upper()}, cluster {snap.cluster}")
        self.query_one("#plan-before", Static).update(tree_text(snap.before))
        self.query_one("#plan-after", Static).update(tree_text(snap.after))
        moves = Text(no_wrap=True, overflow="ignore")
        for src, dest in snap.moves:
            moves.append(f"{src}/  →  {dest}/\n")
        for w in snap.warnings:
            moves.append(f"warning: {w}\n", style="yellow")
        self.query_one("#plan-moves", Static).update(moves or Text("No folder moves.", style="dim"))
        self.query_one("#plan-files", Static).update(steps_text(snap, ("write", "edit", "mkdir")))
        self.show_validation()
        table.focus()

    def show_validation(self, _revision: int = 0) -> None:
        state = self.app.session.state
        text = Text()
        for item_id in VALIDATION_ITEMS:
            st = state.item(item_id)
            style = {"passed": "green", "failed": "red", "blocked": "yellow"}.get(st.status, "dim")
            text.append(f"{item_id}: {st.status}\n", style=f"bold {style}")
            if st.message:
                text.append(f"  {st.message}\n")
            ev = st.evidence or {}
            for label in ("problems", "warnings", "questions"):
                for line in (ev.get(label) or [])[:10]:
                    text.append(f"  {label[:-1]}: {line}\n", style="dim")
        text.append("v validates again (kubectl kustomize builds, objects before = after).", style="dim")
        self.query_one("#plan-validation", Static).update(text)

    # -- actions ---------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("cycle_class", "helm", "validate", "refresh"):
            if self.app.busy:
                return None
            if action in ("cycle_class", "helm") and not (self.snapshot and self.snapshot.folders):
                return None
        return True

    def action_cycle_class(self) -> None:
        """c: a chooser of the three classes for the highlighted folder (its current class first chosen),
        not a blind cycle through them."""
        from types import SimpleNamespace

        from wizard.checklist import Question

        from .dialogs.answers import AnswersDialog

        if not self.check_action("cycle_class", ()):
            return
        table = self.query_one("#plan-folders", DataTable)
        row = self.snapshot.folders[table.cursor_row]
        key = f"class.{row.key}"
        q = Question(key, f"Class of {row.key}/", list(CLASS_CHOICES), default=row.role if row.role in CLASSES
                     else CLASSES[0])
        form = SimpleNamespace(alias="2.1", title=f"Class of {row.key}/", questions=[q])

        def chosen(answers: dict | None) -> None:
            if not answers or answers.get(key) == row.role:
                return
            new = answers[key]
            if self.app._save_answers({key: new}):
                self.changed = row.key  # highlighted in the table once the plan is recomputed
                self.app.write_log(f"class.{row.key}={new} (plan recomputed)")
                self.notify(f"{row.key}/ is now {new}; the plan is computed again.", title="Class changed")
                self.action_refresh()

        self.app.push_screen(AnswersDialog(form, {key: q.default}), chosen)

    def action_helm(self) -> None:
        """The Helm scaffold answers for the highlighted folder: the core's declared questions, in the form."""
        from types import SimpleNamespace

        from wizard.repo.helm import questions_for

        from .dialogs.answers import AnswersDialog

        if not self.check_action("helm", ()):
            return
        row = self.snapshot.folders[self.query_one("#plan-folders", DataTable).cursor_row]
        if row.role == "exclude":
            self.notify(f"{row.key}/ is left out of Flux; give it a class first (c).", severity="warning")
            return
        form = SimpleNamespace(alias="2.4", title=f"Helm chart for {row.key}/ (a HelmRelease replaces its manifests)",
                               questions=questions_for(row.key))

        def answered(answers: dict | None) -> None:
            if answers is not None and self.app._save_answers(answers):
                chart = answers.get(f"helm.{row.key}")
                self.app.write_log(f"helm.{row.key}={chart} (2.4 writes the HelmRelease)" if chart
                                   else f"helm.{row.key}: no Helm scaffold")
                self.action_refresh()

        self.app.push_screen(AnswersDialog(form, self.app.session.answers), answered)

    def action_validate(self) -> None:
        self.app.start_verify(list(VALIDATION_ITEMS), "the Phase 2 layout (2.2, 2.4)")
