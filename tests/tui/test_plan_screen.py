"""The Phase 2 plan screen: opened from the Phase 2 screen (P) or the palette, the tree before and
after, the moves, the generated files with their contents, folder classes with an override that
is stored as an answer and recomputes the plan, and the validation verdicts of 2.2 and 2.4."""
from __future__ import annotations

import pytest
from textual.widgets import DataTable

from screens.app import make_app
from screens.phase import PhaseScreen
from screens.plan import PlanScreen
from wizard.engine import Engine
from wizard.session import Session

from ..helpers import make_repo
from .conftest import SIZE, settle, text_of

SERVICES = "infrastructure/kubernetes/services"


@pytest.fixture
def option_a_session(tmp_path, no_cluster):
    """make_repo's two apps and a namespace, with Option A chosen through the core (1.1 passed)."""
    repo = make_repo(tmp_path / "homelab")
    s = Session.open(repo)
    s.store.acquire("tui-test")
    s.store.load()
    s.answers["option"] = "a"
    engine = Engine(s)
    verdict = engine.run("prep.structure", engine.plan("prep.structure"))
    assert verdict.status == "passed", verdict.message
    yield s
    s.store.release()


async def open_plan(pilot) -> PlanScreen:
    app = pilot.app
    await settle(pilot)
    while len(app.screen_stack) > 1:  # the resume prompt (1.1 passed earlier)
        app.pop_screen()
    app.action_open_phase("repo")
    await pilot.pause()
    assert isinstance(app.screen, PhaseScreen)
    await pilot.press("P")
    await settle(pilot)
    assert isinstance(app.screen, PlanScreen)
    return app.screen


def folders(screen: PlanScreen) -> dict[str, list[str]]:
    table = screen.query_one("#plan-folders", DataTable)
    return {str(row.value): [str(c) for c in table.get_row(row)] for row in table.rows}


async def test_plan_screen_shows_trees_moves_files_and_validation(option_a_session):
    app = make_app(option_a_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plan(pilot)
        rows = folders(screen)
        assert rows[SERVICES][1] == "apps" and rows[SERVICES][2] == "apps/services"
        assert rows["infrastructure/kubernetes/databases"][1].startswith("infrastructure")
        assert "Option A" in str(screen.query_one("#plan-title").content)
        assert "services/" in text_of(screen.query_one("#plan-before"))
        after = text_of(screen.query_one("#plan-after"))
        assert "apps/" in after and "clusters/" in after
        assert f"{SERVICES}/  →  apps/services/" in text_of(screen.query_one("#plan-moves"))
        files = text_of(screen.query_one("#plan-files"))
        assert f"write {SERVICES}/kustomization.yaml" in files
        assert "resources:" in files  # the generated content is shown
        assert "clusters/homelab/apps.yaml" in files  # 2.4 projected past its refusal
        validation = text_of(screen.query_one("#plan-validation"))
        assert "repo.kustomizations: pending" in validation

        await pilot.press("v")
        await settle(pilot)
        assert option_a_session.state.item("repo.kustomizations").status == "failed"
        assert "has no kustomization.yaml" in text_of(screen.query_one("#plan-validation"))
        await pilot.press("escape")
        assert isinstance(app.screen, PhaseScreen)


async def choose_class(pilot, new: str) -> None:
    """c opens a chooser of the classes (issue 24, point 8: it changed the class with no chooser)."""
    from textual.widgets import Select

    from screens.dialogs.answers import AnswersDialog

    from .conftest import mounted_select, wait_for_screen

    before = pilot.app.screen
    await pilot.press("c")
    dialog = await wait_for_screen(pilot, AnswersDialog, "#answer-form Select")
    select = await mounted_select(pilot, dialog.query_one("#answer-form Select", Select))
    assert [v for _, v in select._options] == ["infrastructure", "apps", "exclude"]
    select.value = new
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert pilot.app.screen is before


async def test_class_override_is_stored_and_changes_the_plan(option_a_session):
    app = make_app(option_a_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plan(pilot)
        table = screen.query_one("#plan-folders", DataTable)
        table.move_cursor(row=table.get_row_index(SERVICES))
        await choose_class(pilot, "exclude")  # apps → exclude, in the chooser c opens
        assert option_a_session.answers[f"class.{SERVICES}"] == "exclude"
        assert folders(screen)[SERVICES][1] == "exclude ◀"  # what c just changed is marked (issue 15, point 9)
        cell = table.get_row(SERVICES)[1]
        assert "reverse" in str(cell.style)
        others = [str(c[1]) for k, c in folders(screen).items() if k != SERVICES]
        assert all("◀" not in c for c in others)
        assert "apps/services" not in text_of(screen.query_one("#plan-moves"))
        assert f"{SERVICES}/kustomization.yaml" not in text_of(screen.query_one("#plan-files"))

        table.move_cursor(row=table.get_row_index(SERVICES))
        await choose_class(pilot, "infrastructure")  # stays where it is under Option A
        assert option_a_session.answers[f"class.{SERVICES}"] == "infrastructure"
        assert folders(screen)[SERVICES][1] == "infrastructure ◀"
        assert folders(screen)[SERVICES][2] == "(stays)"
        assert "No folder moves." in text_of(screen.query_one("#plan-moves"))
    assert f"class.{SERVICES}" in option_a_session.store.path.read_text()  # saved, not only in memory


async def test_plan_screen_without_an_option_says_what_to_do(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_open_plan()
        await settle(pilot)
        assert isinstance(app.screen, PlanScreen)
        assert "choose Option A or B first" in text_of(app.screen.query_one("#plan-moves"))


async def test_plan_and_secrets_screens_are_in_the_command_palette(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Phase 2 plan" in titles and "Secrets" in titles


async def test_the_class_column_is_never_cut_at_80x24(option_a_session):
    """Issue 15 (point 9): the Class column read 'infruct' at 80x24; it shows the real class names whole."""
    from screens.plan import CLASSES

    app = make_app(option_a_session)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_plan(pilot)
        table = screen.query_one("#plan-folders", DataTable)
        classes = {c.split(" ")[0] for _, c, _ in folders(screen).values()}
        assert classes and classes <= set(CLASSES)
        width = list(table.columns.values())[1].get_render_width(table)
        assert width >= max(len(c) for c in CLASSES)
        help_text = type(screen).HELP
        assert all(c in help_text for c in CLASSES)


def assert_fits(table: DataTable) -> None:
    """Every column inside the table's width and every cell inside its column (issue 24, point 8: at 120x40
    the class read 'infrastruct' and the target was off screen)."""
    columns = list(table.columns.values())
    assert sum(c.width + 2 for c in columns) <= table.size.width, [(str(c.label), c.width) for c in columns]
    for row in table.rows:
        for cell, column in zip(table.get_row(row), columns):
            assert len(str(cell)) <= column.width, (str(column.label), str(cell), column.width)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_folder_table_fits_the_screen_with_every_class_whole(tmp_path, no_cluster, size):
    from tests.tui.test_secrets_screen import DEMO

    files = {str(p.relative_to(DEMO)): p.read_text() for p in DEMO.rglob("*") if p.is_file()}
    s = Session.open(make_repo(tmp_path / "demo", files))
    s.store.acquire("tui-test")
    try:
        s.store.load()
        s.answers["option"] = "a"
        engine = Engine(s)
        assert engine.run("prep.structure", engine.plan("prep.structure")).status == "passed"
        app = make_app(s)
        async with app.run_test(size=size) as pilot:
            screen = await open_plan(pilot)
            table = screen.query_one("#plan-folders", DataTable)
            assert table.row_count >= 8
            assert_fits(table)
            classes = {str(table.get_row(r)[1]) for r in table.rows}
            assert classes <= {"infrastructure", "apps", "exclude"}, classes  # whole, never 'infrastruct'
            for r in table.rows:  # a path whole, or its end after an ellipsis (the end names the folder)
                cell = str(table.get_row(r)[0])
                assert cell == r.value or (cell.startswith("…") and r.value.endswith(cell[1:])), (cell, r.value)
    finally:
        s.store.release()
