"""A newcomer reaches the end by following Next (issues 21 and 16): the demo, applied by hand to a private
testbed (its PVCs and Secrets, plus a Secret made by `kubectl create`, as homelabs have), taken headless by
running whatever `status --json`'s `next` names, from 1.0 through Phase 4 and then 5.1, 5.2 and 5.4 (a
webhook receiver on 127.0.0.1). Each question gets its first offered choice; where only the user can
know an answer (the test event's code, where the controller's event endpoint listens), the test
answers as the user would. No dead end: Next never names an item that then refuses the same way
twice. Then verify-all is green twice, the second time from a fresh process with no token in the
environment; and the TUI, opened on the same repo (Pilot), verifies all from home and its Flux status
view shows nothing needing attention. 4.3's drift test changes only the wizard's canary, never the
owner's kube-system ConfigMaps (once tested on a homelab of its own). One journey serves both tests (it is
the slowest thing the suite does). Loopback only: kubectl get/apply/create and the wizard's own calls, never
logs/exec/port-forward/proxy.
"""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.e2e.homelab import CANARY, hand_applied_demo, items_of, kubectl_json
from tests.e2e.test_integrate_notifications import Receiver
from tests.helpers import run_cli, status_json

# A whole migration through Phase 5 on its own testbed: minutes, more with the live layer on the other worker.
pytestmark = [pytest.mark.testbed, pytest.mark.timeout(1200)]

GREEN = ("passed", "skipped")
PHASES_1_TO_4 = ("prep.", "repo.", "secrets.", "bootstrap.", "validate.")
THEN = ("integrate.docs", "integrate.no-manual-apply", "integrate.notifications")
WHY = "left to the cluster by the follow-next test"


def first_offered_answers(out: dict) -> dict[str, str]:
    """The first offered choice of each question a run waits on (`run --json`'s needs-answers), else its
    default; a reason asked with a choice (adopt-why.<object>) only when that choice is to leave. A
    refusal that names no question but proposes `answer KEY=VALUE` gets its first proposal."""
    answers: dict[str, str] = {}
    for q in out.get("questions") or []:
        if q.get("choices"):
            answers[q["key"]] = q["choices"][0]["value"]
        elif q.get("default") not in (None, ""):
            answers[q["key"]] = q["default"]
        elif "-why." in q["key"] and answers.get(q["key"].replace("-why.", ".", 1)) == "leave":
            answers[q["key"]] = WHY
    if not out.get("questions"):
        offer = re.search(r"answer ([\w.\-/]+)=([^\s;,()<]+)", out.get("message") or "")
        if offer:
            answers[offer.group(1)] = offer.group(2).rstrip(".")
    return answers


def json_of(res: subprocess.CompletedProcess) -> dict:
    text = res.stdout.strip()
    return json.loads(text[text.find("{"):]) if "{" in text else {}


class Journey:
    """Follows `next`, keeping the history of what it ran and saw."""

    def __init__(self, repo, env, receiver, events_url):
        self.repo, self.env, self.rx, self.events_url = repo, env, receiver, events_url
        self.history: list[tuple[str, int, str, str]] = []  # (item, exit code, status after, message)
        self.outputs: list[tuple[str, int, str]] = []  # (item, exit code, what it printed), every run
        # kube-system's ConfigMaps (resourceVersion, data) right before 4.3 and right after 4.4: the drift test
        # may change only the wizard's canary (it once picked the owner's kube-system/coredns-custom).
        self.kube_system: dict[str, dict] = {}

    def next(self) -> dict | None:
        return status_json(self.repo, self.env)["next"]

    def run(self, item: str, sets: dict[str, str]) -> subprocess.CompletedProcess:
        args = [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]
        res = run_cli("--repo", str(self.repo), "run", item, "--yes", "--json", *args, env=self.env, timeout=900)
        self.outputs.append((item, res.returncode, res.stdout + res.stderr))
        return res

    def user_answers(self, item: str, message: str) -> dict[str, str]:
        """What only the user knows, when the item's message asks for it."""
        if item == "integrate.notifications" and "events-url=" in message:
            return {"events-url": self.events_url}
        if item == "integrate.notifications" and "notify-received=" in message:
            code, _ = self.rx.wait_code()
            return {"notify-received": code} if code else {"notify-test": "resend"}
        return {}

    def step(self, item: str) -> None:
        if item == "validate.drift":
            self.kube_system["before 4.3"] = kube_system_configmaps(self.env)
        self._step(item)
        if item == "validate.healing":
            self.kube_system["after 4.4"] = kube_system_configmaps(self.env)

    def _step(self, item: str) -> None:
        sets: dict[str, str] = {}
        for _ in range(6):  # answering questions; each round answers what the last one named
            res = self.run(item, sets)
            text = res.stdout + res.stderr
            assert "Traceback" not in text, text
            if res.returncode != 3:
                break
            more = {k: v for k, v in first_offered_answers(json_of(res)).items() if k not in sets}
            if not more:
                break  # blocked on something that is no question: `next` must lead elsewhere now
            sets.update(more)
        it = items_of(status_json(self.repo, self.env))[item]
        self.history.append((item, res.returncode, it["status"], it["message"][:300]))
        extra = self.user_answers(item, it["message"])
        if extra:
            res = self.run(item, extra)
            it = items_of(status_json(self.repo, self.env))[item]
            self.history.append((item, res.returncode, it["status"], it["message"][:300]))

    def follow(self, until, max_steps: int = 90) -> None:
        for _ in range(max_steps):
            nxt = self.next()
            if nxt is None or until(nxt["id"]):
                return
            item = nxt["id"]
            if item == "integrate.image-automation":  # the testbed runs no image controllers
                run_cli("--repo", str(self.repo), "skip", item, "--reason", "no image controllers on this testbed",
                        env=self.env)
                continue
            self.step(item)
            same = [h for h in self.history if h[0] == item]
            # A dead end: Next keeps naming an item that ends the same way (status and message) again.
            assert len(same) < 3 or len({h[2:] for h in same[-3:]}) > 1, self.report()
        pytest.fail("Next did not get there within the step budget: " + self.report())

    def report(self) -> str:
        return "\n".join(f"{i}: exit {rc}, {st}: {msg}" for i, rc, st, msg in self.history[-25:])


def kube_system_configmaps(env) -> dict[str, tuple[str, dict]]:
    items = kubectl_json(env, "configmap", "-n", "kube-system")["items"]
    return {c["metadata"]["name"]: (c["metadata"]["resourceVersion"], c.get("data") or {}) for c in items}


def not_green(data: dict, prefixes) -> dict[str, str]:
    return {i: f"{it['status']}: {it['message'][:300]}" for i, it in items_of(data).items()
            if i.startswith(prefixes) and it["status"] not in GREEN}


@pytest.fixture(scope="module")
def followed(testbed_factory, tmp_path_factory):
    """The whole journey by Next, then verify-all twice: (env, repo, journey, the results of each step)."""
    tmp_path = tmp_path_factory.mktemp("follow-next")
    tb = testbed_factory("follow-next")
    rx = Receiver()
    hook = f"http://127.0.0.1:{rx.port}/hooks/follow-next"
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "GIT_PASSWORD": CANARY,
           "HOMELAB_WIZARD_WEBHOOK_URL": hook}
    seen: dict = {}
    try:
        repo, _ = hand_applied_demo(tb, tmp_path, env)
        # Made by hand, in no file: 2.0 offers it, and adopting it needs S.2's key first.
        subprocess.run(["kubectl", "create", "secret", "generic", "grafana-oauth", "-n", "monitoring",
                        "--from-literal=admin-password=" + "hlw-hand-made-" + "5d1c"], env=env, check=True,
                       capture_output=True)
        journey = Journey(repo, env, rx, f"http://127.0.0.1:{tb.ports['notification_events']}/")
        journey.follow(until=lambda item: item.startswith("integrate."))
        seen["at phase 5"] = status_json(repo, env)
        journey.follow(until=lambda item: False)
    finally:
        rx.stop()
    seen["after phase 5"] = status_json(repo, env)
    seen["first verify"] = run_cli("--repo", str(repo), "verify", "--json", env=env, timeout=900)
    # Phase 5 pushed after 4.2: until Flux fetches that commit 4.2 is pending and Next names it (a run asks
    # Flux for it now), as a newcomer sees on the home screen.
    journey.follow(until=lambda item: False)
    seen["after first verify"] = status_json(repo, env)
    no_token = {k: v for k, v in env.items() if k not in ("GIT_PASSWORD", "HOMELAB_WIZARD_WEBHOOK_URL")}
    seen["second verify"] = run_cli("--repo", str(repo), "verify", "--json", env=no_token, timeout=900)
    seen["no token"] = status_json(repo, no_token)
    return env, repo, journey, seen


def test_following_next_reaches_phase_5_with_no_dead_end_and_stays_green(followed):
    env, repo, journey, seen = followed
    data = seen["at phase 5"]
    assert not not_green(data, PHASES_1_TO_4), (not_green(data, PHASES_1_TO_4), journey.report())
    # Next led through what 2.0 found it needs (the Secret is written encrypted), not into its refusal.
    order = [h[0] for h in journey.history]
    assert order.index("secrets.keys") < max(i for i, h in enumerate(order) if h == "repo.adopt"), journey.report()
    # The demo's ClusterIssuers need cert-manager, which neither the repo nor the cluster has: 2.1 asked
    # about them, by file and line, before anything changed (Flux would fail infra-configs and the apps).
    asked = [(item, out) for item, rc, out in journey.outputs if rc == 3]
    assert any("class.infrastructure/kubernetes/certificates" in out and "letsencrypt-staging" in out
               and "cluster-issuer.yaml:" in out for _, out in asked), [(i, o[:1500]) for i, o in asked]
    # 3.2 gave Flux S.2's age key: Next never sent the user back to S.4 after bootstrap.
    after_bootstrap = order[order.index("bootstrap.run") + 1:]
    assert "secrets.decryption" not in after_bootstrap, journey.report()

    data = seen["after phase 5"]
    assert data["next"] is None, journey.report()
    assert not not_green(data, PHASES_1_TO_4 + THEN), journey.report()
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
    ks = journey.kube_system
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

    env, repo, _, _ = followed
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
