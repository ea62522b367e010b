"""The Flux status view with a real session on a temp repo and no cluster: reachable from the
Phase 3/4 screens (F) and the palette's action, a clear "not reachable" message, r and Esc;
and the rows it renders from Flux objects (suspended marked)."""
from __future__ import annotations

from textual.widgets import DataTable

from screens.flux_status import FluxStatusScreen, row_of
from screens.phase import PhaseScreen
from wizard.flux.status import ObjState

from .conftest import SIZE, settle, text_of, wait_for, wait_for_screen


def _message(screen) -> str:
    return text_of(screen.query_one("#flux-status-message"))


async def test_before_preflight_it_says_no_cluster_is_pinned_and_reads_nothing(app):
    """Issue 15 (point 5): not a raw 'connection to localhost:8080 refused'."""
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, FluxStatusScreen) and not app.screen.loading)
        text = _message(app.screen)
        assert text.startswith("No cluster pinned yet") and "1.0 prep.preflight" in text, text
        assert "refused" not in text and "localhost" not in text


async def test_no_cluster_shows_not_reachable_and_refresh_and_back(app, session):
    from wizard.state import ClusterIdentity

    session.state.cluster = ClusterIdentity("lab", "https://127.0.0.1:1", "uid-1")  # pinned, not reachable
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_open_phase("validate")
        await pilot.pause()
        assert isinstance(app.screen, PhaseScreen)
        await pilot.press("F")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FluxStatusScreen)
        await wait_for(pilot, lambda: not screen.loading)
        assert "The Flux objects could not be read" in _message(screen), _message(screen)
        assert "The kubeconfig has no context of that name" in _message(screen), _message(screen)
        assert "press g to try again" in _message(screen)
        assert "Unhandled Error" not in _message(screen)  # the tool's last line, not its noise
        # One sentence (wizard.explain); the tool's own text only behind d.
        assert "failed with exit code" not in _message(screen) and "d shows the tool's output" in _message(screen)
        await pilot.press("d")
        await wait_for(pilot, lambda: "failed with exit code" in _message(screen))
        await pilot.press("d")
        await wait_for(pilot, lambda: "failed with exit code" not in _message(screen))
        assert screen.query_one("#flux-status-table", DataTable).row_count == 0
        assert not app.busy  # the status read never blocks the wizard's steps

        await pilot.press("g")
        await pilot.pause()
        await wait_for(pilot, lambda: not screen.loading)
        assert "The Flux objects could not be read" in _message(screen)

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PhaseScreen)


async def test_the_screen_keys_work_from_every_screen_and_refresh_is_g_everywhere(app):
    """Issue 15 (point 3): P, S, F and u open their screens from home and from any phase; refresh is g."""
    from screens.home import HomeScreen
    from screens.plan import PlanScreen
    from screens.rollback import RollbackScreen
    from screens.secrets import SecretsScreen

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for where in ("home", "prep", "integrate"):
            for key, screen_type in (("P", PlanScreen), ("S", SecretsScreen), ("F", FluxStatusScreen),
                                     ("u", RollbackScreen)):
                app.action_go_home()
                if where != "home":
                    app.action_open_phase(where)
                await pilot.pause()
                from screens.dialogs.help import help_markdown

                footer = {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}
                if where == "home":  # the home footer shows them; every help lists them
                    assert key in footer, (where, key, sorted(footer))
                assert "| `P / S / F / u` |" in help_markdown(app.screen), (where, key)
                await pilot.press(key)
                await wait_for(pilot, lambda: isinstance(app.screen, screen_type))
                refresh = [b.binding.key for b in app.screen.active_bindings.values()
                           if b.binding.action == "refresh"]
                assert refresh in ([], ["g"]), (screen_type.__name__, refresh)
                await settle(pilot)
        app.action_go_home()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Flux status" in titles
        app.action_open_flux_status()  # already there: not pushed twice
        await pilot.pause()
        assert sum(isinstance(s, FluxStatusScreen) for s in app.screen_stack) == 1
        await wait_for(pilot, lambda: not app.screen.loading)


def _obj(kind, name, ready=True, suspend=False, reason="ReconciliationSucceeded", message="Applied"):
    status = {"observedGeneration": 1,
              "conditions": [{"type": "Ready", "status": "True" if ready else "False", "reason": reason,
                              "message": message, "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
    if kind == "Kustomization":
        status["lastAppliedRevision"] = "main@sha1:0123456789abcdef0123456789abcdef01234567"
    else:
        status["artifact"] = {"revision": "main@sha1:0123456789abcdef0123456789abcdef01234567"}
    return {"kind": kind, "metadata": {"name": name, "namespace": "flux-system", "generation": 1},
            "spec": {"suspend": suspend}, "status": status}


async def test_rows_show_ready_revision_reconcile_reason_and_mark_suspended(app):
    from screens.flux_status import FluxStatusFetched

    rows = [ObjState.of(_obj("GitRepository", "flux-system")),
            ObjState.of(_obj("Kustomization", "apps")),
            ObjState.of(_obj("Kustomization", "infra", suspend=True)),
            ObjState.of(_obj("Kustomization", "broken", ready=False, reason="BuildFailed", message="kustomize failed"))]
    async with app.run_test(size=(140, 34)) as pilot:
        await settle(pilot)
        app.action_open_flux_status()
        await pilot.pause()
        screen = app.screen
        await wait_for(pilot, lambda: not screen.loading)
        screen.post_message(FluxStatusFetched(rows))
        await pilot.pause()
        table = screen.query_one("#flux-status-table", DataTable)
        cells = {str(table.get_row(k)[0]): [str(c) for c in table.get_row(k)] for k in table.rows}
        assert cells["Kustomization flux-system/apps"][1:] == [
            "Ready", "main@sha1:0123456789ab", "2026-01-01T00:00:00Z", "ReconciliationSucceeded"]
        assert cells["Kustomization flux-system/infra"][1] == "suspended"
        assert cells["Kustomization flux-system/broken"][1] == "not Ready"
        assert cells["Kustomization flux-system/broken"][4] == "BuildFailed: kustomize failed"
        assert cells["GitRepository flux-system/flux-system"][1] == "Ready"
        msg = _message(screen)
        assert "3 Kustomization(s), 1 source(s)" in msg and "2 need attention" in msg and "1 suspended" in msg


async def test_with_many_kustomizations_the_ones_needing_attention_come_first_and_are_named(app):
    """Issue 24 (point 8): the Flux status screen was hard to read once many Kustomizations existed: rows in
    the cluster's order, the broken one somewhere in the middle."""
    from screens.flux_status import FluxStatusFetched

    rows = [ObjState.of(_obj("Kustomization", f"app-{i:02}")) for i in range(30)]
    rows[17] = ObjState.of(_obj("Kustomization", "app-17", ready=False, reason="HealthCheckFailed", message="timeout"))
    rows[5] = ObjState.of(_obj("Kustomization", "app-05", suspend=True))
    rows.insert(12, ObjState.of(_obj("GitRepository", "flux-system")))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.action_open_flux_status()
        await pilot.pause()
        screen = app.screen
        await wait_for(pilot, lambda: not screen.loading)
        screen.post_message(FluxStatusFetched(rows))
        await pilot.pause()
        table = screen.query_one("#flux-status-table", DataTable)
        order = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert order[:3] == ["Kustomization flux-system/app-17", "Kustomization flux-system/app-05",
                             "GitRepository flux-system/flux-system"], order[:5]
        assert order[3:] == sorted(order[3:])
        await wait_for(pilot, lambda: "timeout" in text_of(screen.query_one("#flux-status-detail")))
        msg = _message(screen)
        assert "2 need attention (flux-system/app-17, flux-system/app-05, at the top)" in msg, msg


async def test_a_long_reason_is_shown_whole_and_wrapped_under_the_table_at_80_columns(app):
    """Issue 15 (point 10): reasons were cut at the column ("BuildFailed: se")."""
    from screens.flux_status import FluxStatusFetched

    long = ("kustomize build failed: accumulating resources from 'apps/homelab': "
            "'/tmp/kustomization-123/apps/homelab/missing.yaml' no such file or directory")
    rows = [ObjState.of(_obj("Kustomization", "apps", ready=False, reason="BuildFailed", message=long))]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.action_open_flux_status()
        screen = await wait_for_screen(pilot, FluxStatusScreen, "#flux-status-detail")
        await wait_for(pilot, lambda: not screen.loading)
        screen.post_message(FluxStatusFetched(rows))
        detail = screen.query_one("#flux-status-detail")
        await wait_for(pilot, lambda: "no such file or directory" in text_of(detail))
        assert text_of(detail) == f"Kustomization flux-system/apps: BuildFailed: {long}"
        await pilot.pause()
        assert detail.region.height >= 3 and detail.region.right <= 80  # wrapped, not cut


def test_row_of_without_revision():
    st = ObjState("Kustomization flux-system/x", False, False, "", "", None, None, False)
    assert row_of(st)[2] == "—" and row_of(st)[4] == "—"


async def test_every_screen_has_its_own_help_section(app):
    """Issue 15 (point 2): the rollback screen's help had an empty "This screen" section."""
    from screens.flux_status import FluxStatusScreen as Flux
    from screens.home import HomeScreen
    from screens.phase import PhaseScreen as Phase
    from screens.plan import PlanScreen
    from screens.rollback import RollbackScreen
    from screens.secrets import SecretsScreen

    for screen_type in (HomeScreen, Phase, PlanScreen, RollbackScreen, SecretsScreen, Flux):
        assert (getattr(screen_type, "HELP", "") or "").strip(), f"{screen_type.__name__} has no help text"


async def test_every_screen_has_the_app_header(app):
    """Issue 15 (point 11): the plan, secrets, Flux status and rollback screens lacked the title bar."""
    from screens.widgets.title_bar import TitleBar

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in ("P", "S", "F", "u"):
            app.action_go_home()
            await pilot.pause()
            await pilot.press(key)
            await wait_for(pilot, lambda: len(app.screen_stack) > 1 and app.screen.query(TitleBar))
            assert app.screen.query_one(TitleBar).region.y == 0
            await settle(pilot)
