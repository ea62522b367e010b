"""5.4 in one flow (issue 24, point 4), the core's part: the webhook address is a secret the front ends ask
for at the same no-echo prompt as a git token (never an answer, never only the environment), and the code
of the test event is asked right after the run that sent it (Item.follow_up), then the item is checked
again: no quitting, exporting and restarting, no second and third run. No cluster: the prompt is decided
from the repo (the encrypted Secret file is missing), and the follow-up flow is driven with a stand-in
engine whose verify is the part under test's caller, not a cluster check.
"""
from __future__ import annotations

import pytest

from tests.helpers import make_repo
from wizard.checklist import Verdict
from wizard.engine import Engine
from wizard.flux.prompt import remember_prompted_token, token_needed
from wizard.integrate import notify as nt
from wizard.phases.integrate.notifications import RECEIVED_NOW, Notifications
from wizard.session import Session, UsageError
from wizard.usecase import follow_up

URL = "https://hooks.example.invalid/services/T0/B0/" + "q8Zr" * 6


@pytest.fixture
def session(tmp_path, monkeypatch):
    monkeypatch.delenv(nt.URL_ENV, raising=False)
    s = Session.open(make_repo(tmp_path / "repo"))
    s.store.acquire()
    s.store.load()
    s.answers["secrets"] = "sops"
    yield s
    s.store.release()


def _prerequisites_passed(session) -> None:
    for ref in ("bootstrap.namespace",):
        session.state.item(ref).status = "passed"


def test_5_4_asks_for_the_webhook_address_at_the_no_echo_prompt_once_it_can_run(session):
    assert token_needed(session, "integrate.notifications") is None  # 3.4 first: that comes before any prompt
    _prerequisites_passed(session)
    assert token_needed(session, "integrate.notifications") == nt.URL_ENV
    assert token_needed(session, "5.4") == nt.URL_ENV


def test_no_prompt_when_the_environment_or_an_earlier_prompt_gave_it(session, monkeypatch):
    _prerequisites_passed(session)
    monkeypatch.setenv(nt.URL_ENV, URL)
    assert token_needed(session, "integrate.notifications") is None
    monkeypatch.delenv(nt.URL_ENV)
    remember_prompted_token(session, nt.URL_ENV, URL)
    assert token_needed(session, "integrate.notifications") is None
    assert nt.webhook_url(session) == URL


def test_a_typed_address_is_masked_kept_in_memory_only_and_must_be_a_url(session):
    with pytest.raises(UsageError, match="must be an http"):
        remember_prompted_token(session, nt.URL_ENV, "hooks.example.invalid/no-scheme-" + "x" * 20)
    with pytest.raises(UsageError, match="no HOMELAB_WIZARD_WEBHOOK_URL was typed"):
        remember_prompted_token(session, nt.URL_ENV, "  ")
    remember_prompted_token(session, nt.URL_ENV, URL)
    assert URL not in session.runner.redactor.redact(f"posting to {URL}")
    session.store.save()
    assert URL not in session.store.path.read_text()  # the state file never holds it


def _sent(session, code: str) -> None:
    session.state.record(nt.SENT, item="integrate.notifications", code=code, events_url="http://127.0.0.1:1/",
                         http_status=202)


def test_the_code_is_asked_right_after_the_run_that_sent_the_event(session):
    item = Notifications()
    pending = Verdict("pending", "a test event with code 0a1b2c3d went through")
    assert item.follow_up(session, pending) == ()  # nothing sent yet: nothing to confirm
    _sent(session, "0a1b2c3d")
    assert item.follow_up(session, pending) == (RECEIVED_NOW,)
    assert item.follow_up(session, Verdict("failed", "the Alert is not Ready")) == ()  # a failure says why instead
    session.answers["notify-received"] = "0a1b2c3d"
    assert item.follow_up(session, pending) == ()  # confirmed already


class Asker:
    def __init__(self, reply):
        self.reply, self.asked = reply, []

    def question(self, q):
        self.asked.append(q.key)
        return self.reply

    def token(self, var):
        return None

    def confirm(self, c, title):
        return None


class StandInEngine(Engine):
    """Engine.verify replaced by a record of the call and the answer it saw (no cluster here)."""

    def __init__(self, session):
        super().__init__(session)
        self.verified: list[tuple[str, str | None]] = []

    def verify(self, ref):
        self.verified.append((ref, self.session.answers.get("notify-received")))
        return Verdict("passed", "the test event arrived")


def test_the_follow_up_answer_is_saved_and_the_item_checked_again_in_the_same_run(session):
    _sent(session, "0a1b2c3d")
    engine, item = StandInEngine(session), Notifications()
    asker = Asker("0a1b2c3d")
    v = follow_up(engine, item, Verdict("pending", "sent"), asker)
    assert asker.asked == ["notify-received"] and v.status == "passed"
    assert engine.verified == [("integrate.notifications", "0a1b2c3d")]
    session.store.load()
    assert session.answers["notify-received"] == "0a1b2c3d"  # saved, as an answer typed in the form is


def test_without_anyone_to_ask_the_verdict_stands_and_nothing_is_stored(session):
    _sent(session, "0a1b2c3d")
    engine, item = StandInEngine(session), Notifications()
    v = follow_up(engine, item, Verdict("pending", "answer notify-received=<code>"), Asker(None))
    assert v.status == "pending" and engine.verified == [] and "notify-received" not in session.answers
