"""The demo after S.3 with sops, with a Secret value that is an everyday word (issue 14's "Done when").

The demo's Postgres Secret has `POSTGRES_USER: homelab` in namespace `homelab`, and DB_PASSWORD=homelab
is in the environment. Real git, sops, age and kubectl kustomize; no cluster. Through the CLI 1.1 and
S.1-S.3 pass; then the TUI's "verify all" (v on the home screen) checks every item: nothing fails
because of masking (a mask read as a YAML alias), and no path or namespace shows `***`.
"""
from __future__ import annotations

from tests.helpers import NO_CLUSTER, cli_env, run_cli
from wizard.demo import write_demo
from wizard.session import Session

from screens.dialogs.resume import ResumeDialog

from .conftest import SIZE, settle, wait_for, wait_for_screen


async def test_verify_all_right_after_s3_on_the_demo(tmp_path, monkeypatch):
    env = cli_env(**NO_CLUSTER, HOMELAB_WIZARD_DATA=str(tmp_path / "data"), DB_PASSWORD="homelab")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    repo = write_demo(tmp_path / "demo")
    assert "POSTGRES_USER: homelab" in "".join(p.read_text() for p in repo.rglob("*secret*.yaml"))
    for args in (("run", "1.1", "--set", "option=a", "--yes"),
                 ("run", "secrets.scan", "--set", "secrets=sops", "--yes"),
                 ("run", "secrets.keys", "--yes"), ("run", "secrets.convert", "--yes")):
        res = run_cli("--repo", str(repo), *args, env=env)
        assert res.returncode == 0, f"{args}: {res.stdout}\n{res.stderr}"
        assert "***" not in res.stdout + res.stderr, res.stdout

    from screens.app import make_app

    s = Session.open(repo)
    s.store.acquire("tui-test")
    try:
        s.store.load()
        app = make_app(s)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await wait_for_screen(pilot, ResumeDialog, "#resume-list")  # items had passed: welcome back
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, ResumeDialog))
            await pilot.press("v")
            await settle(pilot)
            for item_id in ("prep.structure", "secrets.scan", "secrets.keys", "secrets.convert"):
                st = s.state.item(item_id)
                assert st.status == "passed", f"{item_id}: {st.message}"
            for item in app.engine.items:
                st = s.state.item(item.id)
                assert "ScannerError" not in st.message and "alias" not in st.message, f"{item.id}: {st.message}"
                assert "***" not in st.message and "***" not in str(st.evidence), f"{item.id}: {st.message}"
    finally:
        s.store.release()
    audit = (repo / ".git/homelab-wizard/audit.jsonl").read_text()
    assert "clusters/***" not in audit and "namespace: ***" not in audit
