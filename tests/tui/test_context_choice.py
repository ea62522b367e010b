"""Issue 15: running 1.0 asks which kubeconfig context to pin, each choice showing its server.

The kubeconfig has two contexts on closed loopback ports (nothing is listening, and nothing else is
ever named): the choice is read from the file by the real kubectl; the run then stops at the
unreachable server, after every kubectl call went to the chosen context."""
from __future__ import annotations

import html
import json
import os
import re

from textual.widgets import Select

from screens.dialogs.answers import AnswersDialog
from screens.dialogs.error import ErrorDialog
from tests.helpers import VENV_BIN

from .conftest import mounted_select, text_of, wait_for, wait_for_screen

KUBECONFIG = {
    "apiVersion": "v1", "kind": "Config", "current-context": "home-admin",
    "clusters": [{"name": "home", "cluster": {"server": "https://127.0.0.1:1"}},
                 {"name": "work", "cluster": {"server": "https://127.0.0.1:2"}}],
    "contexts": [{"name": "home-admin", "context": {"cluster": "home", "user": "admin"}},
                 {"name": "work-admin", "context": {"cluster": "work", "user": "admin"}}],
    "users": [{"name": "admin", "user": {"token": "not-a-real-token"}}],
}


def screen_rows(app) -> list[str]:
    """The terminal's rows as text, read from a screenshot (what is really drawn, clipping included)."""
    rows: dict[float, list] = {}
    for m in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', app.export_screenshot()):
        rows.setdefault(float(m.group(2)), []).append((float(m.group(1)), m.group(3)))
    return [html.unescape("".join(t for _, t in sorted(row))).replace("\xa0", " ") for row in rows.values()]


def kubectl_calls(session) -> list[list[str]]:
    lines = session.runner.audit_log.read_text().splitlines()
    return [rec["argv"] for rec in map(json.loads, lines) if os.path.basename(rec["argv"][0]) == "kubectl"]


async def test_running_preflight_asks_the_context_and_pins_the_chosen_one(app, session, tmp_path, monkeypatch):
    (tmp_path / "kubeconfig").write_text(json.dumps(KUBECONFIG))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    monkeypatch.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "r")  # phase 1, its first item (1.0), run
        dialog = await wait_for_screen(pilot, AnswersDialog, "#answer-context")
        select = await mounted_select(pilot, dialog.query_one("#answer-context", Select))
        options = [str(prompt) for prompt, _ in select._options]
        assert options == ["home-admin  →  https://127.0.0.1:1", "work-admin  →  https://127.0.0.1:2"]
        # The current-context is preselected, and its server is on screen at 80 columns.
        assert select.value == "home-admin"
        assert "https://127.0.0.1:1" in text_of(select.query_one("SelectCurrent #label"))
        assert any("home-admin  →  https://127.0.0.1:1" in row for row in screen_rows(app))

        select.value = "work-admin"
        await pilot.press("ctrl+s")  # Continue: the plan is made again, against the chosen context
        # The chosen server is closed: the run stops before its confirmation and says why.
        error = await wait_for_screen(pilot, ErrorDialog, "#error-message")
        await wait_for(pilot, lambda: not app.work_running())
        assert "context 'work-admin' is not reachable" in text_of(error.query_one("#error-message"))
        assert session.answers["context"] == "work-admin"
        assert session.kubectl.context == "work-admin"
        assert "127.0.0.1:2" in app.plan_refusals["prep.preflight"]  # the chosen server is unreachable
        assert session.state.cluster is None  # nothing was pinned
        pinned = [argv for argv in kubectl_calls(session) if "--context" in argv]
        assert pinned and all(argv[argv.index("--context") + 1] == "work-admin" for argv in pinned)
