"""A newcomer reaches the end by following Next (issue 21): the demo, applied by hand to a private
testbed (with a Secret made by `kubectl create`, as homelabs have), taken headless by running
whatever `status --json`'s `next` names, from 1.0 through Phase 4 and then 5.1, 5.2 and 5.4 (a
webhook receiver on 127.0.0.1). Each question gets its first offered choice; where only the user can
know an answer (the test event's code, where the controller's event endpoint listens), the test
answers as the user would. No dead end: Next never names an item that then refuses the same way
twice. Then verify-all is green twice, the second time from a fresh process with no token in the
environment. Loopback only: kubectl get/apply/create and the wizard's own calls, never
logs/exec/port-forward/proxy.
"""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.e2e.homelab import CANARY
from tests.e2e.test_integrate_notifications import Receiver
from tests.e2e.test_whole_journey import hand_applied_demo, items_of
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

    def next(self) -> dict | None:
        return status_json(self.repo, self.env)["next"]

    def run(self, item: str, sets: dict[str, str]) -> subprocess.CompletedProcess:
        args = [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]
        return run_cli("--repo", str(self.repo), "run", item, "--yes", "--json", *args, env=self.env, timeout=900)

    def user_answers(self, item: str, message: str) -> dict[str, str]:
        """What only the user knows, when the item's message asks for it."""
        if item == "integrate.notifications" and "events-url=" in message:
            return {"events-url": self.events_url}
        if item == "integrate.notifications" and "notify-received=" in message:
            code, _ = self.rx.wait_code()
            return {"notify-received": code} if code else {"notify-test": "resend"}
        return {}

    def step(self, item: str) -> None:
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


def not_green(data: dict, prefixes) -> dict[str, str]:
    return {i: f"{it['status']}: {it['message'][:300]}" for i, it in items_of(data).items()
            if i.startswith(prefixes) and it["status"] not in GREEN}


def test_following_next_reaches_phase_5_with_no_dead_end_and_stays_green(testbed_factory, tmp_path):
    tb = testbed_factory("follow-next")
    rx = Receiver()
    hook = f"http://127.0.0.1:{rx.port}/hooks/follow-next"
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "GIT_PASSWORD": CANARY,
           "HOMELAB_WIZARD_WEBHOOK_URL": hook}
    try:
        repo, _ = hand_applied_demo(tb, tmp_path, env)
        # Made by hand, in no file: 2.0 offers it, and adopting it needs S.2's key first.
        subprocess.run(["kubectl", "create", "secret", "generic", "grafana-oauth", "-n", "monitoring",
                        "--from-literal=admin-password=" + "hlw-hand-made-" + "5d1c"], env=env, check=True,
                       capture_output=True)
        journey = Journey(repo, env, rx, f"http://127.0.0.1:{tb.ports['notification_events']}/")
        journey.follow(until=lambda item: item.startswith("integrate."))
        data = status_json(repo, env)
        assert not not_green(data, PHASES_1_TO_4), (not_green(data, PHASES_1_TO_4), journey.report())
        # Next led through what 2.0 found it needs (the Secret is written encrypted), not into its refusal.
        order = [h[0] for h in journey.history]
        assert order.index("secrets.keys") < max(i for i, h in enumerate(order) if h == "repo.adopt"), journey.report()
        journey.follow(until=lambda item: False)
    finally:
        rx.stop()
    data = status_json(repo, env)
    assert data["next"] is None, journey.report()
    assert not not_green(data, PHASES_1_TO_4 + THEN), journey.report()

    first = run_cli("--repo", str(repo), "verify", "--json", env=env, timeout=900)
    # Phase 5 pushed after 4.2: until Flux fetches that commit 4.2 is pending and Next names it (a run asks
    # Flux for it now), as a newcomer sees on the home screen.
    journey.follow(until=lambda item: False)
    data = status_json(repo, env)
    assert not not_green(data, PHASES_1_TO_4 + THEN), (not_green(data, PHASES_1_TO_4 + THEN), first.stdout[-3000:])
    no_token = {k: v for k, v in env.items() if k not in ("GIT_PASSWORD", "HOMELAB_WIZARD_WEBHOOK_URL")}
    again = run_cli("--repo", str(repo), "verify", "--json", env=no_token, timeout=900)
    results = {r["id"]: f"{r['status']}: {r['message'][:300]}" for r in json.loads(again.stdout)["results"]}
    bad = {i: r for i, r in results.items() if i.startswith(PHASES_1_TO_4 + THEN) and not r.startswith(GREEN)}
    assert not bad, bad
    assert status_json(repo, no_token)["next"] is None
