"""The Helm scaffold answers (helm.<folder>, helm-repo.<folder>) are declared questions the TUI asks too.

On the Phase 2 plan screen, h on a folder opens the core's questions for it in the answers form; once
answered, 2.4's preview replaces that folder's manifests with a HelmRelease (issue 12).
"""
from __future__ import annotations

from textual.widgets import DataTable, Input

from screens.dialogs.answers import AnswersDialog
from screens.dialogs.confirm import ConfirmDialog
from screens.dialogs.resume import ResumeDialog
from screens.plan import PlanScreen
from screens.widgets.answer_form import field_id
from wizard.engine import Engine
from wizard.repo.helm import questions_for
from wizard.session import Session

from .conftest import SIZE, git, settle, wait_for, wait_for_screen

GRAFANA = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: grafana\n  namespace: monitoring\nspec:\n"
           "  selector:\n    matchLabels: {app: grafana}\n  template:\n    metadata:\n      labels: {app: grafana}\n"
           "    spec:\n      containers:\n        - name: grafana\n          image: grafana/grafana:11.0.0\n")
WEB = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: web\nspec:\n  ports:\n    - port: 80\n"


def make_repo(path):
    for rel, body in {"apps/grafana/grafana.yaml": GRAFANA, "apps/web/service.yaml": WEB}.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(body)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "by hand")
    return path


async def test_h_on_a_plan_folder_asks_the_helm_questions_and_2_4_previews_the_release(tmp_path, no_cluster):
    from screens.app import make_app

    repo = make_repo(tmp_path / "homelab")
    s = Session.open(repo)
    s.store.acquire("tui-test")
    try:
        s.store.load()
        engine = Engine(s)
        s.answers["option"] = "a"
        for ref in ("prep.structure", "repo.cluster-dir", "repo.kustomizations", "repo.apps"):
            assert engine.run(ref, engine.plan(ref)).status == "passed", ref
        app = make_app(s)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await wait_for_screen(pilot, ResumeDialog, "#resume-list")
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, ResumeDialog))
            app.push_screen(PlanScreen())
            await wait_for_screen(pilot, PlanScreen, "#plan-folders")
            await wait_for(pilot, lambda: app.screen.snapshot is not None and app.screen.snapshot.folders)
            keys = [r.key for r in app.screen.snapshot.folders]
            table = app.screen.query_one("#plan-folders", DataTable)
            table.move_cursor(row=keys.index("apps/grafana"))
            await pilot.press("h")
            chart_q, repo_q, _ = questions_for("apps/grafana")
            await wait_for_screen(pilot, AnswersDialog, f"#{field_id(repo_q)}")
            form = app.screen
            form.query_one(f"#{field_id(chart_q)}", Input).value = "grafana"  # wrong format: the form says so
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, AnswersDialog)
            assert "<chart>@<version>" in str(form.query_one(f"#{field_id(chart_q)}-error").render())
            form.query_one(f"#{field_id(chart_q)}", Input).value = "grafana@8.5.2"
            form.query_one(f"#{field_id(repo_q)}", Input).value = "https://grafana.github.io/helm-charts"
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen))
            assert s.answers["helm.apps/grafana"] == "grafana@8.5.2"
            assert s.answers["helm-repo.apps/grafana"] == "https://grafana.github.io/helm-charts"
            assert s.answers["helm-values.apps/grafana"] == ""  # optional: left empty, accepted
            await settle(pilot)
            app.request_run("repo.flux-manifests")
            await wait_for(pilot, lambda: isinstance(app.screen, (AnswersDialog, ConfirmDialog)))
            if isinstance(app.screen, AnswersDialog):  # 2.4's own questions (prune), defaults kept
                await pilot.press("ctrl+s")
            await wait_for_screen(pilot, ConfirmDialog, "#confirm-body")
            preview = app.plans["repo.flux-manifests"].render()
            assert "Helm scaffold for apps/grafana: HelmRelease" in preview
            assert "git rm apps/grafana/grafana.yaml" in preview
        # previewed only: 2.1-2.2's staged files, nothing of 2.4
        assert not (repo / "apps/grafana/helm-release.yaml").exists() and (repo / "apps/grafana/grafana.yaml").is_file()
        assert "helm-release" not in git(repo, "status", "--porcelain")
    finally:
        s.store.release()
