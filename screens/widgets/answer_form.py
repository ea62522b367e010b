"""A form for an item's questions: a Select for fixed choices, an Input for free text."""
from __future__ import annotations

import hashlib
import re

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Select, Static

from wizard.checklist import Question


def field_id(q: Question) -> str:
    """A widget id for the question (keys such as duplicate.Service/ns/name hold characters ids cannot)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", q.key)
    return f"answer-{safe}-{hashlib.sha1(q.key.encode()).hexdigest()[:8]}" if safe != q.key else f"answer-{q.key}"


def prefill(q: Question, answers: dict) -> str | None:
    """The stored answer, else the default; a stored value the question's own rule refuses is not offered
    (it answers another question sharing the key: 3.2's yes/no for image-automation, not 5.3's list)."""
    current = answers.get(q.key, q.default)
    if current and q.check and not q.choices and q.check(str(current)):
        return q.default
    return current


class AnswerForm(Vertical):
    """One field per Question, prefilled with the stored answer or the question's default."""

    def __init__(self, questions: tuple[Question, ...] | list[Question], answers: dict, **kwargs) -> None:
        super().__init__(**kwargs)
        self.questions = list(questions)
        self.answers = dict(answers)

    def compose(self) -> ComposeResult:
        for q in self.questions:
            current = prefill(q, self.answers)
            with Vertical(classes="answer-row", id=f"{field_id(q)}-row"):
                yield Label(q.prompt, classes="answer-prompt")
                if q.choices:
                    values = [v for v, _ in q.choices]
                    yield Select([(lbl, v) for v, lbl in q.choices], value=current if current in values else values[0],
                                 allow_blank=False, id=field_id(q))
                else:
                    yield Input(value=current or "", placeholder=q.default or "", id=field_id(q))
                if q.help:
                    yield Static(q.help, classes="answer-help")
                yield Label("", classes="answer-error", id=f"{field_id(q)}-error")

    def on_mount(self) -> None:
        self.show_what_applies()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.show_what_applies()

    def current(self) -> dict:
        """The stored answers with what the form holds now (a choice changes which questions apply)."""
        out = dict(self.answers)
        for q in self.questions:
            widget = self.query_one(f"#{field_id(q)}")
            if isinstance(widget, Select) and widget.value is not Select.NULL:
                out[q.key] = str(widget.value)
        return out

    def applying(self, now: dict) -> list[bool]:
        """Which questions the form asks now. A form with no field is never right: when none applies (a
        question a plan raised, declared with `when` for the item's own form: 2.5's ci-deploy), all are asked."""
        shown = [q.applies(now) for q in self.questions]
        return shown if any(shown) else [True] * len(self.questions)

    def show_what_applies(self) -> None:
        for q, show in zip(self.questions, self.applying(self.current())):
            self.query_one(f"#{field_id(q)}-row").display = show

    def values(self) -> dict[str, str] | None:
        """The validated answers of the questions that apply, or None after marking the wrong fields."""
        out: dict[str, str] = {}
        ok = True
        for q, asked in zip(self.questions, self.applying(self.current())):
            if not asked:
                continue
            widget = self.query_one(f"#{field_id(q)}")
            raw = widget.value if isinstance(widget, (Input, Select)) else ""
            error = self.query_one(f"#{field_id(q)}-error", Label)
            try:
                out[q.key] = q.validate("" if raw is Select.NULL else str(raw))
                error.update("")
                error.display = False
            except ValueError as e:
                error.update(str(e))
                error.display = True
                ok = False
        return out if ok else None
