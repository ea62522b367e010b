"""A newcomer reaches the end by following Next (issues 21, 16 and 24): the demo, applied by hand to a private
testbed (its PVCs and Secrets, plus a Secret made by `kubectl create`, as homelabs have), taken through the
real `homelab-wizard` binary's TUI in a terminal (a pty, read through pyte) by the keys a newcomer presses:
the home screen's Next, `n` to go there, `r` to run it, from 1.0 through Phase 4 and then 5.1, 5.2 and 5.4 (a
webhook receiver on 127.0.0.1, its address typed into the hidden field); 5.3 is skipped with `k` (no image
controllers here). Each form is sent as offered; where only the user can know an answer (the test event's
code, where the controller's event endpoint listens), the test types it as the user would (tests/e2e/
tui_journey.py). The headless CLI follows the same Next on the real-repo corpus (tests/live). No dead end: Next never names an item that then refuses the same way
twice. Then verify-all is green twice, the second time from a fresh process with no token in the
environment; and the TUI, opened on the same repo (Pilot), verifies all from home and its Flux status
view shows nothing needing attention. 4.3's drift test changes only the wizard's canary, never the
owner's kube-system ConfigMaps (once tested on a homelab of its own). One journey serves both tests (it is
the slowest thing the suite does). Loopback only: kubectl get/apply/create and the wizard's own calls, never
logs/exec/port-forward/proxy.
"""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from tests.live.follow_next import follow_next

from tests.e2e.homelab import CANARY, hand_applied_demo, items_of, kubectl_json
from tests.e2e.test_integrate_notifications import Receiver
from tests.e2e.tui_journey import TuiJourney
from tests.helpers import VENV_BIN, run_cli, status_json
from tests.terminal import Terminal

# Opt-in (make tui-journey), not in `make test` yet: a click or a key sent while a dialog is still settling its
# layout (FittedDialog fits its body after the first frames) can land on the wrong widget, so the journey is not
# yet reliable enough for CI. The headless journey (test_follow_next.py) runs in CI.
pytestmark = [pytest.mark.testbed, pytest.mark.timeout(1500),
              pytest.mark.skipif(os.environ.get("HOMELAB_WIZARD_PTY_JOURNEY") != "1",
                                 reason="the pty journey is opt-in: make tui-journey")]

GREEN = ("passed", "skipped")
PHASES_1_TO_4 = ("prep.", "repo.", "secrets.", "bootstrap.", "validate.")
THEN = ("integrate.docs", "integrate.no-manual-apply", "integrate.notifications")


def kube_system_configmaps(env) -> dict[str, tuple[str, dict]]:
    items = kubectl_json(env, "configmap", "-n", "kube-system")["items"]
    return {c["metadata"]["name"]: (c["metadata"]["resourceVersion"], c.get("data") or {}) for c in items}


def not_green(data: dict, prefixes) -> dict[str, str]:
    return {i: f"{it['status']}: {it['message'][:300]}" for i, it in items_of(data).items()
            if i.startswith(prefixes) and it["status"] not in GREEN}


COLS, ROWS = 120, 40


@pytest.fixture(scope="module")
def followed(testbed_factory, tmp_path_factory):
    """The whole journey by the TUI's Next in a terminal, then verify-all twice headless:
    (env, repo, the TUI journey, the headless journey after it, what was seen)."""
    tmp_path = tmp_path_factory.mktemp("follow-next-tui")
    tb = testbed_factory("follow-next-tui")
    rx = Receiver()
    hook = f"http://127.0.0.1:{rx.port}/hooks/follow-next"
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "GIT_PASSWORD": CANARY}
    env.pop("HOMELAB_WIZARD_WEBHOOK_URL", None)  # typed into the TUI's hidden field, as a newcomer would
    events_url = f"http://127.0.0.1:{tb.ports['notification_events']}/"
    seen: dict = {}
    try:
        repo, _ = hand_applied_demo(tb, tmp_path, env)
        # Made by hand, in no file: 2.0 offers it, and adopting it needs S.2's key first.
        subprocess.run(["kubectl", "create", "secret", "generic", "grafana-oauth", "-n", "monitoring",
                        "--from-literal=admin-password=" + "hlw-hand-made-" + "5d1c"], env=env, check=True,
                       capture_output=True)
        tui_env = {k: v for k, v in env.items() if k != "HOMELAB_WIZARD_NONINTERACTIVE"}
        tui_env.update(TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        term = Terminal([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo)], tui_env, COLS, ROWS)
        tui = TuiJourney(term, repo, secrets={"HOMELAB_WIZARD_WEBHOOK_URL": hook},
                         # 5.4's form: the event endpoint is typed (clicked into); its choices stay as offered
                         typed={"5.4 Notifications": ("The notification-controller's event endpoint", events_url)},
                         code=lambda: rx.wait_code()[0])
        tui.trace = tmp_path / "screen.txt"
        kube_system: dict[str, dict] = {}

        def around(when: str, alias: str) -> None:
            # kube-system's ConfigMaps right before 4.3 and right after 4.4: the drift test may change only
            # the wizard's canary (it once picked the owner's kube-system/coredns-custom).
            if (when, alias) in (("before", "4.3"), ("after", "4.4")):
                kube_system[f"{when} {alias}"] = kube_system_configmaps(env)

        tui.around = around
        seen["kube-system"] = kube_system
        try:
            tui.follow(until=lambda alias: alias.startswith("5."))
            seen["at phase 5"] = status_json(repo, env)
            tui.follow()
            seen["tui rows"] = tui.phase_rows()
            tui.press("ctrl+q")
            seen["tui exit"] = term.close()
        finally:
            term.kill()
    finally:
        rx.stop()
    seen["after phase 5"] = status_json(repo, env)
    seen["first verify"] = run_cli("--repo", str(repo), "verify", "--json", env=env, timeout=900)
    # Phase 5 pushed after 4.2: until Flux fetches that commit 4.2 is pending and Next names it (a run asks
    # Flux for it now), as a newcomer sees on the home screen.
    journey = follow_next(repo, env)
    seen["after first verify"] = status_json(repo, env)
    no_token = {k: v for k, v in env.items() if k != "GIT_PASSWORD"}
    seen["second verify"] = run_cli("--repo", str(repo), "verify", "--json", env=no_token, timeout=900)
    seen["no token"] = status_json(repo, no_token)
    return env, repo, tui, journey, seen


def test_following_the_tuis_next_reaches_phase_5_with_no_dead_end_and_stays_green(followed):
    env, repo, tui, journey, seen = followed
    print(f"\nthe TUI journey: {len(tui.steps)} steps, {len(tui.keys)} keys, {tui.seconds:.0f}s\n"
          + "\n".join(f"{s.alias}: {' '.join(s.keys)}" for s in tui.steps) + "\nconfirmations: " + "; ".join(tui.confirms))
    data = seen["at phase 5"]
    assert not not_green(data, PHASES_1_TO_4), (not_green(data, PHASES_1_TO_4), tui.report())
    # Next led through what 2.0 found it needs (the Secret is written encrypted), not into its refusal.
    order = [s.alias for s in tui.steps]
    assert order.index("S.2") < max(i for i, a in enumerate(order) if a == "2.0"), tui.report()
    # The demo's ClusterIssuers need cert-manager, which neither the repo nor the cluster has: 2.1 asked
    # about them before anything changed (Flux would fail infra-configs and the apps), in the form.
    assert any("letsencrypt-staging" in form and "cluster-issuer.yaml:" in form for form in tui.forms), tui.forms
    # 3.2 gave Flux S.2's age key: Next never sent the user back to S.4 after bootstrap.
    assert "S.4" not in order[order.index("3.2") + 1:], tui.report()
    # Every phase green on the TUI's home screen (5.3 skipped: no image controllers here), and no screen
    # spoke the wizard's command-line syntax.
    rows = seen["tui rows"]
    assert set(rows) >= {"1", "2", "S", "3", "4", "5"}, rows
    for phase, counts in rows.items():
        done = re.match(r"(\d+)/(\d+) passed(?: · (\d+) skipped)?$", counts)
        assert done and int(done.group(1)) + int(done.group(3) or 0) == int(done.group(2)), rows
    assert seen["tui exit"] == 0
    assert not tui.raw_cli, tui.raw_cli

    data = seen["after phase 5"]
    assert data["next"] is None, tui.report()
    assert not not_green(data, PHASES_1_TO_4 + THEN), tui.report()
    assert journey.dead_end is None and journey.reached is None, journey.describe()
    data = seen["after first verify"]
    assert not not_green(data, PHASES_1_TO_4 + THEN), (not_green(data, PHASES_1_TO_4 + THEN),
                                                       seen["first verify"].stdout[-3000:])
    results = {r["id"]: f"{r['status']}: {r['message'][:300]}" for r in json.loads(seen["second verify"].stdout)["results"]}
    bad = {i: r for i, r in results.items() if i.startswith(PHASES_1_TO_4 + THEN) and not r.startswith(GREEN)}
    assert not bad, bad
    assert seen["no token"]["next"] is None
    # 4.3 changed the wizard's own canary and 4.4 saw Flux put it back; the owner's kube-system ConfigMaps
    # (the demo's coredns-custom, which 4.3 once picked and edited by itself) were not touched.
    drift = items_of(seen["no token"])["validate.drift"]["evidence"]
    assert (drift["target"]["kind"], drift["target"]["namespace"], drift["target"]["name"]) == (
        "ConfigMap", "flux-system", "homelab-wizard-drift-canary"), drift["target"]
    assert drift["flux_diff"]["exit_code"] == 1
    assert kubectl_json(env, "configmap", "-n", "flux-system", "homelab-wizard-drift-canary")["data"] == {
        "drift-check": "as-in-git"}
    ks = seen["kube-system"]
    assert "coredns-custom" in ks.get("before 4.3", {}), ks
    assert ks["after 4.4"] == ks["before 4.3"]
    # every PVC of the demo is Bound on the testbed, as on a homelab with a provisioner
    pvcs = kubectl_json(env, "pvc", "-A")["items"]
    assert pvcs and all(p["status"].get("phase") == "Bound" for p in pvcs)


async def test_after_the_journey_the_tui_verifies_every_phase_green_and_flux_status_is_all_ready(followed, monkeypatch):
    from textual.widgets import DataTable

    from screens.app import make_app
    from screens.dialogs.resume import ResumeDialog
    from screens.flux_status import FluxStatusScreen
    from tests.tui.conftest import settle, text_of, tui_session, wait_for, wait_for_screen

    env, repo, _, _, _ = followed
    with tui_session(repo, env, monkeypatch, keys=("KUBECONFIG", "PATH", "HOMELAB_WIZARD_DATA", "GIT_PASSWORD")) as session:
        app = make_app(session)
        async with app.run_test(size=(150, 44)) as pilot:
            await wait_for_screen(pilot, ResumeDialog, "#resume-list", timeout=60)
            await settle(pilot)
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("v")  # verify all, from home
            await wait_for(pilot, lambda: app.work_running(), timeout=10)
            await wait_for(pilot, lambda: not app.work_running(), timeout=600)
            await settle(pilot)
            bad = {i: f"{st.status}: {st.message[:200]}" for i, st in session.state.items.items()
                   if i.startswith(PHASES_1_TO_4) and st.status not in GREEN}
            assert not bad, bad
            app.action_open_phase("validate")
            await pilot.pause()
            await pilot.press("F")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, FluxStatusScreen)
            await wait_for(pilot, lambda: not screen.loading, timeout=60)
            assert not screen.error, screen.error
            table = screen.query_one("#flux-status-table", DataTable)
            assert table.row_count >= 4
            summary = text_of(screen.query_one("#flux-status-message"))
            assert "all Ready" in summary and "need attention" not in summary, summary
