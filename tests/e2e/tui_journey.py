"""A newcomer in the real TUI, following its Next (issue 24): the keys a person presses, read off the screen.

At home the `Next:` line names an item; `n` opens it, `r` runs it (`k` skips 5.3, which this testbed
cannot run), and whatever the wizard then shows is answered as a newcomer would: the form as offered
(its first choices and defaults; typed only what only the user knows), the confirmation with the context
name typed where it asks for it, a hidden field for a secret. A step ends when the item's stored
state changed and nothing runs (the footer's `x Stop` gone), or when an error dialog said why not.
Not a test module itself: tests/e2e/test_follow_next.py drives it.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from wizard.catalog import CATALOG

from tests.terminal import Terminal

BY_ALIAS = {it.alias: it.id for it in CATALOG}
# The wizard's own command-line syntax: the TUI must speak in keys and fields, never in these.
RAW_CLI = re.compile(r"homelab-wizard (?:run|answer|skip|verify|status|rollback)\b|--set\b|--yes\b"
                     r"|\banswer [\w.\-/]+=|\brun (?:prep|repo|secrets|bootstrap|validate|integrate)\.", re.I)
NEXT = re.compile(r"Next: (\S+) ")
TYPED = re.compile(r"Type (\S+) to confirm:")
TOKEN = re.compile(r"(GIT_PASSWORD|HOMELAB_WIZARD_WEBHOOK_URL) for ")
PENDING_SECONDS = 300
COUNTS = re.compile(r"^\s*│?\s*(\d|S)\s+(.+?)\s+━+\s+(\d+)/(\d+) passed(.*?)\s*│?\s*$")


@dataclass
class Step:
    alias: str
    outcome: str  # "status: message" after the step, or "refused: what the error dialog said"
    keys: list[str] = field(default_factory=list)


class TuiJourney:
    """Drives `term` (the real binary on `repo`) by the keys a newcomer presses; keeps what it pressed and saw."""

    def __init__(self, term: Terminal, repo: Path, *, secrets: dict[str, str], typed: dict[str, tuple[str, str]],
                 code=None) -> None:
        self.term, self.repo = term, repo
        self.secrets = secrets  # hidden-field title -> what the user types (the webhook address)
        self.typed = typed  # a form's title -> (the prompt of the field only the user can fill, its value)
        self.code = code  # () -> the test event's code, once the receiver has it
        self.steps: list[Step] = []
        self.keys: list[str] = []  # every key pressed, in order (the closing note lists them)
        self.raw_cli: set[str] = set()  # screen lines that showed the wizard's CLI syntax
        self.seconds = 0.0
        self.forms: list[str] = []  # each form as it was sent
        self.confirms: list[str] = []  # the title of each confirmation answered
        self.pending_since: dict[str, float] = {}
        self.around = lambda when, alias: None  # called ("before" | "after", alias) around each step
        self.refusal: str | None = None
        self.trace: Path | None = None

    # -- what the screen shows -----------------------------------------------------------------
    def screen(self) -> str:
        text = self.term.text()
        if self.trace:  # the screen now, for a person watching a long run (tail -f)
            self.trace.write_text(text)
        for line in text.splitlines():
            if RAW_CLI.search(line):
                self.raw_cli.add(line.strip())
        return text

    def state_of(self, item_id: str) -> tuple:
        path = self.repo / ".git" / "homelab-wizard" / "state.json"
        for _ in range(20):  # written by rename: a read sees the old or the new file, never half of one
            try:
                it = (json.loads(path.read_text()).get("items") or {}).get(item_id) or {}
                return it.get("status"), it.get("checked_at"), it.get("message")
            except FileNotFoundError:  # nothing saved yet (a fresh repo)
                return None, None, None
            except (OSError, ValueError):
                time.sleep(0.05)
        raise AssertionError(f"{path} could not be read")

    @staticmethod
    def busy(text: str) -> bool:
        return bool(re.search(r"\bx Stop\b", text.splitlines()[-1] if text else ""))

    def press(self, *keys: str) -> None:
        self.keys.extend(keys)
        self.term.press(*keys)

    def type(self, text: str, shown_as: str | None = None) -> None:
        self.keys.append(shown_as or repr(text))
        self.term.type(text)

    # -- dialogs ---------------------------------------------------------------------------------
    def handle_dialog(self, text: str) -> str | None:
        """Answers the dialog on screen as a newcomer would; returns what it was, or None when none shows."""
        m = TYPED.search(text)
        if m or "Run it" in text:
            self.confirms.append(next((line.strip(" █") for line in text.splitlines() if "?" in line and " Run " in line
                                       or "Rollback: " in line), "?"))
        if m:
            # Into the field, clicked first: keys typed while a dialog still opens go to the screen under it
            # (an "x" there stops the running step).
            self.fill_field(m.group(0), m.group(1))  # "Type WORD to confirm:": the dialog's own words
            self.press("enter")
            return "typed confirmation"
        if "Run it" in text and re.search(r"\bRun [\dS]\.\d+ ", text):
            self.click_on(" Run it ")  # a click, not Tab-Enter: a Tab pressed while it opens is lost
            return "confirmation"
        m = TOKEN.search(text)
        if m:
            self.fill_field(m.group(0), self.secrets[m.group(1)], hidden=True)
            self.press("enter")
            return "hidden field"
        if "Welcome back" in text and "Continue" in text:
            self.press("escape")  # the re-check goes on behind it
            return "resume"
        if "Continue" in text and "Cancel" in text:
            self.fill_form(text)
            return "form"
        if re.search(r"\bClose\b", text):  # the error dialog's one button
            self.refusal = " ".join(line.strip() for line in text.splitlines() if line.strip())[:600]
            self.press("escape")  # the error dialog's own key (Enter depends on where the focus is)
            return "error"
        return None

    def fill_form(self, text: str) -> None:
        """The form as offered; a field only the user can fill is reached with Tab and typed into."""
        if "The test event went out" in text and self.code:
            code = self.code()
            assert code, "the webhook received no test event"
            self.fill_field("The test event went out", code)
        elif "Why skip" in text:
            self.fill_field("Why skip", "no image controllers on this testbed")
        else:
            for title, (label, value) in self.typed.items():
                if f"█  {title}" in text and value not in text:  # the dialog's own title (its border, then it)
                    self.fill_field(label, value)
        sent = self.term.text()
        assert self.forms[-2:] != [sent, sent], "the same form came back a third time:\n" + sent
        self.forms.append(sent)
        self.press("ctrl+s")
        # Gone, or redrawn with what is wrong (then the same form comes round again: the step budget or
        # the dead-end check reports it with the screen).
        self.term.wait_until(lambda t: t != self.forms[-1], "the form going away or saying what is wrong", 30)

    def click_on(self, label: str) -> None:
        """A click on the middle of the last place the screen shows `label` (a button's label row)."""
        lines = self.term.text().splitlines()
        row = max(i for i, line in enumerate(lines) if label in line)
        self.keys.append(f"<click{label.rstrip()}>")
        self.term.click(row, lines[row].index(label) + len(label) // 2)

    def fill_field(self, label: str, value: str, hidden: bool = False) -> None:
        """Clicks into the text field under the prompt holding `label` and types `value` there, as a person
        with a mouse would (the form's other fields keep what they offered). A hidden field shows dots."""
        for _ in range(3):  # a click that lands while the form still settles is lost: look, click again
            # The form draws its fields in more than one frame: wait for this one (and its box) to show.
            lines = self.term.wait_until(lambda t: label in t and "▊" in t.split(label, 1)[1],
                                         f"the field {label!r}", 30).splitlines()
            at = max(i for i, line in enumerate(lines) if label in line)  # the dialog's, drawn over the panes
            box = next(i for i in range(at + 1, len(lines)) if "▊" in lines[i] and "▔" in lines[i])
            self.keys.append(f"<click {label[:24]!r}…>")
            self.term.click(box + 1, lines[box + 1].index("▊") + 3)
            self.press("ctrl+u")
            self.type(value, shown_as="<hidden>" if hidden else None)
            if (("•" * min(len(value), 20)) if hidden else value) in self.term.text():
                return
        raise AssertionError(f"{value!r} did not go into the field {label!r}:\n{self.term.text()}")

    # -- the journey -------------------------------------------------------------------------------
    def settle(self, timeout: float = 900) -> str:
        """Answers dialogs and waits out running work until the screen rests with neither."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if self.handle_dialog(text) is None and not self.busy(text):
                return text
            assert time.monotonic() < deadline, f"still busy after {timeout}s:\n{text}"
            self.term.pump(0.3)

    def home(self) -> str:
        # The program's first frame (start-up takes seconds on a busy machine; Esc before it is echoed text).
        self.term.wait_until(lambda t: "homelab-wizard" in t, "the TUI's first screen", 120)
        for _ in range(6):
            text = self.settle()
            if "Next: " in text or "Every available item has passed." in text:
                return text
            self.press("escape")
        raise AssertionError("the home screen did not come back:\n" + self.term.text())

    def step(self, alias: str) -> None:
        item_id = BY_ALIAS[alias]
        self.around("before", alias)
        before = self.state_of(item_id)
        mark = len(self.keys)
        self.refusal = None
        for attempt in range(6):
            # A key pressed while the program is still starting (its first frame is drawn before it reads
            # keys) is lost; n again is harmless: it does nothing on the phase screen.
            self.press("n")
            try:
                self.term.wait_until(lambda t: "Next: " not in t, f"{alias}'s phase opening", 5 if attempt < 5 else 30)
                break
            except AssertionError:
                if attempt == 5:
                    raise
        self.press("k" if alias == "5.3" else "r")
        deadline = time.monotonic() + 1200
        while True:
            text = self.screen()
            if self.handle_dialog(text) is None and not self.busy(text):
                if self.refusal:
                    outcome = f"refused: {self.refusal}"
                    break
                now = self.state_of(item_id)
                if now != before and now[0] != "running":
                    outcome = f"{now[0]}: {now[2]}"
                    break
            assert time.monotonic() < deadline, f"{alias} did not finish:\n{text}"
            self.term.pump(0.3)
        self.steps.append(Step(alias, outcome, self.keys[mark:]))
        print(f"[tui journey] {alias}: {outcome[:200]}  (keys: {' '.join(self.keys[mark:])})", flush=True)
        self.around("after", alias)

    def follow(self, until=lambda alias: False, max_steps: int = 90) -> None:
        start = time.monotonic()
        try:
            for _ in range(max_steps):
                text = self.home()
                if "Every available item has passed." in text:
                    return
                m = NEXT.search(text)
                assert m, text
                alias = m.group(1)
                if until(alias):
                    return
                self.step(alias)
                if self.steps[-1].outcome.startswith("pending:"):
                    # Waiting on Flux (4.1 while apps waits on the controllers): a newcomer checks it again
                    # a little later; a dead end only when it still waits after PENDING_SECONDS.
                    since = self.pending_since.setdefault(alias, time.monotonic())
                    assert time.monotonic() - since < PENDING_SECONDS, f"{alias} still pending:\n" + self.report()
                    self.term.pump(3)
                    continue
                same = [s.outcome for s in self.steps if s.alias == alias]
                assert len(same) < 3 or len(set(same[-3:])) > 1, f"a dead end at {alias}:\n" + self.report()
            raise AssertionError("Next did not get there within the step budget:\n" + self.report())
        finally:
            self.seconds += time.monotonic() - start

    def phase_rows(self) -> dict[str, str]:
        """The home screen's phases: number -> its counts ('4/4 passed · 1 skipped')."""
        text = self.home()
        return {m.group(1): f"{m.group(3)}/{m.group(4)} passed{m.group(5)}".strip()
                for m in (COUNTS.match(line) for line in text.splitlines()) if m}

    def report(self) -> str:
        return "\n".join(f"{s.alias}: {s.outcome[:300]}" for s in self.steps[-25:])
