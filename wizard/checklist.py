"""The checklist model: items, verdicts, plans and the questions items ask.

An item is ticked only by its live `verify()`; `apply()` acts and then the engine verifies.
Front ends (TUI, headless CLI, questionary) render these objects and never decide a status.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .state_format import Status

if TYPE_CHECKING:  # pragma: no cover
    from .session import Session


@dataclass
class Verdict:
    """The outcome of a live check, with the evidence it was based on."""

    status: Status  # passed | failed | blocked | skipped | pending (a plain string is converted)
    message: str
    evidence: dict = field(default_factory=dict)
    # Items this one found it needs first, in the repo or the cluster, beyond the catalog's declared
    # prerequisites (2.0 adopting a Secret needs S.2's key): `next` leads there before coming back.
    needs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.status = Status(self.status)  # a misspelt status fails here, not as a silent "unknown"
        self.needs = tuple(self.needs)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class Step:
    """One thing an action will do, shown in the preview before anything happens."""

    kind: str  # command | write | move | mkdir | pin | info
    description: str
    detail: str = ""


@dataclass
class Plan:
    """What `apply()` would do, computed against the repo and cluster as they are now."""

    item_id: str
    summary: str
    steps: list[Step] = field(default_factory=list)
    changes: str = "nothing"  # nothing | repo | cluster | local (user's data dir) | state
    data: dict = field(default_factory=dict)

    def render(self) -> str:
        lines = [self.summary, ""]
        for i, s in enumerate(self.steps, 1):
            lines.append(f"{i}. [{s.kind}] {s.description}")
            if s.detail:
                lines.extend("     " + ln for ln in s.detail.splitlines())
        return "\n".join(lines)


@dataclass
class Question:
    """An answer an item needs; `--set key=value` headless, a form field in the TUI."""

    key: str
    prompt: str
    choices: list[tuple[str, str]] | None = None  # (value, label)
    default: str | None = None
    help: str = ""
    optional: bool = False  # empty is an answer: the item then uses what the prompt says it falls back to
    check: Callable[[str], str | None] | None = None  # a format rule: what is wrong with a value, or None
    # Asked only when this holds for the answers so far (Sealed Secrets' certificate after choosing SOPS: never).
    when: Callable[[dict], bool] | None = None
    where: str = ""  # the file:line the question is about, when it is about one

    def as_json(self) -> dict:
        """The question as `run --json` prints it (key, prompt, choices, default, file:line)."""
        return {"key": self.key, "prompt": self.prompt, "default": self.default, "where": self.where,
                "choices": [{"value": v, "label": label} for v, label in self.choices or []],
                "optional": self.optional,
                # asked only once another answer calls for it (a reason after "leave"): answer the others first
                "conditional": self.when is not None}

    def applies(self, answers: dict) -> bool:
        return self.when is None or bool(self.when(answers))

    def validate(self, value: str) -> str:
        value = value.strip()
        if not value and self.optional:
            return ""
        if self.choices and value not in [c[0] for c in self.choices]:
            allowed = ", ".join(c[0] for c in self.choices)
            raise ValueError(f"{self.key}={value!r} is not one of: {allowed}")
        if not value:
            raise ValueError(f"{self.key} needs a value")
        problem = self.check(value) if self.check else None
        if problem:
            raise ValueError(f"{self.key}={value!r}: {problem}")
        return value


class Item:
    """A checklist item. Subclasses implement verify() and, when they act, plan() and apply()."""

    questions: tuple[Question, ...] = ()
    unavailable: str | None = None  # "not available yet" reason, when another issue builds it

    def follow_up(self, session, verdict: "Verdict") -> tuple[Question, ...]:
        """Questions to ask right after a run, in the same flow, before the item is checked again (5.4: the
        code its test event carried). None by default."""
        return ()

    # An item's id, alias, title, prerequisites and cluster need are written once, in wizard/catalog.py
    # (which `status` reads without importing any item); an item class finds them there by its name.
    @property
    def meta(self):
        from .catalog import meta_of

        return meta_of(type(self))

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def alias(self) -> str:
        return self.meta.alias

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def requires(self) -> tuple[str, ...]:
        return self.meta.requires

    @property
    def needs_cluster(self) -> bool:
        return self.meta.needs_cluster

    @property
    def again_after(self) -> tuple[str, ...]:
        return self.meta.again_after

    @property
    def phase(self) -> str:
        return self.id.split(".", 1)[0]

    def suggested(self, session: "Session") -> dict[str, str]:
        """Answers worked out from the repo (the provider a remote's URL implies), offered as defaults."""
        return {}

    @property
    def acts(self) -> bool:
        return type(self).apply is not Item.apply

    def verify(self, session: "Session") -> Verdict:
        raise NotImplementedError

    def plan(self, session: "Session") -> Plan | None:
        return None

    settles = ""  # what settle() waits for, in the words of a plan step ("" when it does not wait)

    def settle(self, session: "Session", progress: Callable[[str], None]) -> None:
        """Wait, bounded, until what verify() judges has settled (Flux finishing with the pushed commit).
        Running an item that only checks calls it before verify(); verify() itself never waits."""

    def apply(self, session: "Session", plan: Plan, progress: Callable[[str], None]) -> None:
        raise NotImplementedError(f"{self.id} has no action")


class NotYetAvailable(Item):
    """An item whose implementation belongs to another issue: never passed, never faked."""

    def verify(self, session: "Session") -> Verdict:
        return Verdict("blocked", f"not available yet: {self.unavailable}")
