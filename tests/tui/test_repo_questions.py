"""Questions only the repo raises (which copy of a duplicate to keep) are asked in the TUI's answers form.

A real git repo whose two folders define the same ConfigMap with different data; 2.2's plan blocks
with NeedsAnswers, the App opens the form with a Select of the two places, and once answered the
plan is prepared again and previews removing just the other document.
"""
from __future__ import annotations

from textual.widgets import Select

from screens.dialogs.answers import AnswersDialog
from screens.dialogs.confirm import ConfirmDialog
from screens.dialogs.resume import ResumeDialog
from screens.widgets.answer_form import field_id
from wizard.checklist import Question
from wizard.engine import Engine
from wizard.session import Session

from .conftest import SIZE, git, mounted_select, settle, text_of, wait_for, wait_for_screen

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: web\ndata:\n  mode: {mode}\n"
DEPLOY = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: web\nspec:\n  ports:\n    - port: 80\n"


def make_repo(path):
    files = {"web/settings.yaml": CM.format(mode="live"),
             "old/bundle.yaml": "# the old copy, kept for reference\n" + CM.format(mode="stale") + "---\n" + DEPLOY.replace("web\n  namespace", "old\n  namespace")}
    for rel, body in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(body)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "by hand")
    return path


async def test_a_duplicate_is_asked_in_the_form_and_the_preview_removes_one_document(tmp_path, no_cluster):
    from screens.app import make_app

    repo = make_repo(tmp_path / "homelab")
    s = Session.open(repo)
    s.store.acquire("tui-test")
    try:
        s.store.load()
        engine = Engine(s)
        s.answers["option"] = "a"
        assert engine.run("prep.structure", engine.plan("prep.structure")).status == "passed"
        app = make_app(s)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await wait_for_screen(pilot, ResumeDialog, "#resume-list")  # 1.1 had passed: welcome back
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, ResumeDialog))
            app.request_run("repo.kustomizations")
            q_key = "duplicate.ConfigMap/web/settings"
            fid = f"#{field_id(Question(q_key, ''))}"
            await wait_for_screen(pilot, AnswersDialog, fid)  # the form's field, not only the screen
            select = await mounted_select(pilot, app.screen.query_one(fid, Select))
            labels = "\n".join(text_of(w) for w in app.screen.query("Static"))
            assert "ConfigMap web/settings is defined 2 times" in labels
            select.value = "web/settings.yaml:1"
            await pilot.press("ctrl+s")
            await settle(pilot)
            await wait_for_screen(pilot, ConfirmDialog, "#confirm-body")
            assert s.answers[q_key] == "web/settings.yaml:1"
            preview = app.plans["repo.kustomizations"].render()  # what the confirmation is about
            assert "remove-documents" in preview and "-  mode: stale" in preview
        assert git(repo, "status", "--porcelain") == ""  # previewed only: nothing changed yet
    finally:
        s.store.release()
