"""The checklist engine: verify, plan and run items, and store what happened.

Every status the engine stores comes from an item's live verify(). Running an item checks
its prerequisites (exit 3 when missing), guards cluster actions with the pinned identity
(exit 4), applies, and then verifies again: apply() itself never ticks anything.
"""
from __future__ import annotations

from collections.abc import Callable

from .journal import Kind
from .catalog import CATALOG, item_by_ref
from .checklist import Item, Plan, Question, Step, Verdict
from .runner import Cancelled, ToolError
from .state_format import Status
from .session import Blocked, NeedsAnswers, Session, WizardError
from .state import now


class Engine:
    """Drives items for one session. Front ends call these methods and render the results."""

    def __init__(self, session: Session, items: list[Item] | None = None) -> None:
        self.session = session
        self.items = items if items is not None else CATALOG

    def item(self, ref: str) -> Item:
        return item_by_ref(ref, self.items)

    def next_item(self) -> Item | None:
        return self.next_step()[0]

    def next_step(self) -> tuple[Item | None, Item | None]:
        """(the item to do next, the item it is a prerequisite of, when Next leads there first)."""
        from .status_view import next_step

        return next_step(self.items, self.session.state.to_json().get("items") or {})

    def missing_prerequisites(self, item: Item, recheck: bool = False) -> list[Item]:
        """Prerequisites that have not passed. With `recheck` (before running), one that was checked
        before and did not pass is checked live again: what failed then (3.4 before S.4 made its
        Secret) may be true now."""
        st = self.session.state
        missing = []
        for r in item.requires:
            if st.item(r).status in ("passed", "skipped"):
                continue
            if recheck and st.item(r).checked_at and st.item(r).status != "running" \
                    and self.verify(r).status == "passed":
                continue
            missing.append(self.item(r))
        return missing

    def _store(self, item: Item, verdict: Verdict) -> Verdict:
        st = self.session.state.item(item.id)
        redactor = self.session.runner.redactor
        # Tool output reaches verdicts unmasked (it is data); what is stored and shown is redacted.
        verdict = Verdict(verdict.status, redactor.redact(verdict.message), redactor.redact_obj(verdict.evidence),
                          verdict.needs)
        st.status, st.message, st.evidence = verdict.status, verdict.message, verdict.evidence
        st.needs = [n for n in verdict.needs if n != item.id]
        st.checked_at = now()
        self.session.store.save()
        return verdict

    def verify(self, ref: str) -> Verdict:
        """Run the live check now and store its verdict (with evidence)."""
        item = self.item(ref)
        if item.unavailable:
            return self._store(item, Verdict("blocked", f"not available yet: {item.unavailable}"))
        if self.session.state.item(item.id).status == "skipped":
            return Verdict(Status.SKIPPED, self.session.state.item(item.id).message)
        try:
            verdict = item.verify(self.session)
        except Cancelled:
            raise
        except WizardError as e:
            verdict = Verdict("blocked" if isinstance(e, Blocked) else "failed", str(e), needs=_needs_of(e))
        except ToolError as e:
            verdict = Verdict("failed", str(e), {"command": " ".join(e.argv)})
        return self._store(item, verdict)

    def plan(self, ref: str) -> Plan:
        item = self.item(ref)
        self.check_runnable(item)
        try:
            # Answers are validated first (exit 2 beats "which cluster?"); run() guards the cluster.
            plan = item.plan(self.session)
        except Cancelled:
            raise
        except NeedsAnswers as e:
            self._remember_asked(item, e.questions)
            raise
        except Blocked as e:
            if _needs_of(e):  # found while planning (2.0 adopting a Secret before S.2): `next` leads there
                self._store(item, Verdict("blocked", str(e), needs=_needs_of(e)))
            raise
        except ToolError as e:
            raise WizardError(f"{e} — nothing was changed; {_retry_advice(e, item.id)}") from e
        if plan is None:
            return check_plan(item)
        # The preview is shown and may be saved: a diff of a file that holds a Secret shows its lines.
        redact = self.session.runner.redactor.redact
        plan.summary = redact(plan.summary)
        plan.steps = [Step(s.kind, redact(s.description), redact(s.detail)) for s in plan.steps]
        return plan

    def _remember_asked(self, item: Item, questions) -> None:
        st, redact = self.session.state.item(item.id), self.session.runner.redactor.redact
        for q in questions:  # prompts name objects and files, never values; masked like all that is stored
            st.asked[q.key] = {"prompt": redact(q.prompt), "help": redact(q.help), "default": q.default,
                               "choices": [list(c) for c in q.choices] if q.choices else None}
        self.session.store.save()

    def answers_changed(self, item: Item) -> None:
        """What an item found it needs was found with the old answers (adopt a Secret: S.2 first); after a
        change (later) it is found again when the item is next checked or planned, not kept from before."""
        self.session.state.item(item.id).needs = []

    def saved_questions(self, item: Item) -> list[Question]:
        """The item's questions that have a saved answer, to change one: its declared questions and the
        ones it raised while planning (2.0's adopt.<object>, which a refusal may show was the wrong choice)."""
        answers = self.session.answers
        out = [q for q in item.questions if q.key in answers]
        declared = {q.key for q in item.questions}
        for key, q in self.session.state.item(item.id).asked.items():
            if key in declared or str(answers.get(key, "")).strip() == "":
                continue
            out.append(Question(key, q.get("prompt") or key, [tuple(c) for c in q["choices"]] if q.get("choices") else None,
                                q.get("default"), q.get("help") or ""))
        return out

    def _guard_cluster(self, item: Item) -> None:
        """Every item that talks to the cluster acts only on the pinned one (preflight is the
        one that pins, and handles a changed cluster itself: refuse, or --repin)."""
        if item.needs_cluster and not getattr(item, "pins_cluster", False):
            self.session.ensure_same_cluster()

    def check_runnable(self, item: Item) -> None:
        if item.unavailable:
            raise Blocked(f"{item.id} ({item.title}) is not available yet: {item.unavailable}")
        missing = self.missing_prerequisites(item, recheck=True)
        if missing:
            names = ", ".join(f"{m.alias} {m.id}" for m in missing)
            raise Blocked(f"{item.id} needs {names} to pass first; run those, then try again.")

    def run(self, ref: str, plan: Plan, progress: Callable[[str], None] = lambda line: None) -> Verdict:
        """Apply a previewed plan, then verify. The plan must come from plan() on this session."""
        item = self.item(ref)
        self.check_runnable(item)
        if plan.data.get("skip"):  # the plan is to skip (the user said so, e.g. 5.3 with image-automation=skip)
            progress(f"skipped: {plan.data['skip']}")
            return self.skip(item.id, plan.data["skip"])
        self._guard_cluster(item)
        if plan.data.get("check"):  # an item that only checks: running it is checking it, once it has settled
            item.settle(self.session, progress)
            return self.verify(item.id)
        st = self.session.state.item(item.id)
        st.status, st.message, st.checked_at = Status.RUNNING, "running", now()
        self.session.store.save()
        try:
            try:
                item.apply(self.session, plan, progress)
            except Cancelled:
                raise
            except ToolError as e:
                raise WizardError(f"{e} — the wizard's state is saved and consistent; "
                                  f"{_retry_advice(e, item.id)}") from e
        except BaseException as e:
            # Ctrl-C, a cancel, or a failure: record it honestly; never leave "running" behind.
            msg = "interrupted" if isinstance(e, (KeyboardInterrupt, Cancelled)) else str(e)
            status = "blocked" if isinstance(e, Blocked) else "failed"
            self._store(item, Verdict(status, f"{item.id} did not finish: {msg}", needs=_needs_of(e)))
            raise
        self.session.state.record(Kind.RAN, item=item.id, summary=plan.summary)
        verdict = self.verify(item.id)
        if verdict.status == "passed":
            self._check_waiting_on(item.id)
        return verdict

    def _check_waiting_on(self, done: str) -> None:
        """Items left pending until `done` ran (again_after: S.4's sops-age Secret needs bootstrap) are checked
        again now: 3.2 made what they waited for, so Next need not send the user back to them."""
        for other in self.items:
            if done in other.again_after and self.session.state.item(other.id).status == "pending":
                self.verify(other.id)

    def skip_consequence(self, ref: str) -> str | None:
        """What skipping this item gives up, said before it is skipped (the CLI prints it, the TUI's skip
        form shows it)."""
        return SKIP_CONSEQUENCES.get(self.item(ref).id)

    def skip(self, ref: str, reason: str) -> Verdict:
        if not reason.strip():
            raise WizardError("skipping an item needs a reason; pass --reason.")
        return self._store(self.item(ref), Verdict("skipped", f"skipped: {reason}", {"skipped_at": now()}))

    def reverify_passed(self, started=None, checked=None) -> dict[str, Verdict]:
        """On resume: check again every item that had passed; it may have drifted since. `started(n, total,
        item_id)` and `checked(item_id, verdict)` report the progress (a re-check takes a minute live)."""
        from .cluster.memo import one_moment

        todo = [item for item in self.items if self.session.state.item(item.id).status == "passed"]
        out = {}
        with one_moment(self.session):
            for n, item in enumerate(todo, 1):
                if started:
                    started(n, len(todo), item.id)
                out[item.id] = self.verify(item.id)
                if checked:
                    checked(item.id, out[item.id])
        return out

    def verify_many(self, refs: list[str]) -> list[Verdict]:
        """verify() of each item in turn, as one look at the cluster (wizard/cluster/memo.py one_moment)."""
        from .cluster.memo import one_moment

        with one_moment(self.session):
            return [self.verify(r) for r in refs]

    def status_json(self) -> dict:
        from .status_view import status_data

        return status_data(self.session.state.to_json(), self.items)


SKIP_CONSEQUENCES = {
    "prep.backup": "without the Phase 1 backup there is nothing to restore from: the rollback screen's Restore "
                   "(and `rollback restore`) cannot bring back an object that Flux prunes or a later step breaks",
    "prep.inventory": "without the inventory, nothing lists what exists only in the cluster before 2.0 asks about it",
    "bootstrap.ownership": "without 3.0's preview, the fields Flux will take over from kubectl are not shown before "
                           "the first reconcile",
    "validate.drift": "without 4.3, nobody has seen Flux notice a change made by hand",
}


def check_plan(item: Item) -> Plan:
    """The plan of an item that only checks (3.3, 3.4, 4.1): running it checks it live now, after
    waiting for what it judges to settle (4.1 waits for Flux to finish with the pushed commit)."""
    steps = [Step("info", f"check {item.alias} {item.id} live now and store the verdict with its evidence")]
    if item.settles:
        steps.insert(0, Step("info", item.settles))
    return Plan(item.id, f"{item.alias} {item.title} only checks: running it checks it now.", steps,
                changes="nothing", data={"check": True})


def _needs_of(e: BaseException) -> tuple[str, ...]:
    """The items a Blocked error found this one needs first (a NeedsAnswers waits on the user instead)."""
    return tuple(getattr(e, "needs", ()) or ())


_UNREACHABLE = ("connection refused", "could not resolve", "no route to host", "timed out", "did not finish within",
                "unable to connect", "i/o timeout", "could not read from remote", "unable to access",
                "tls handshake", "eof")


def _retry_advice(e, item_id: str) -> str:
    """What to do after a tool failed: wait for the cluster or git server only when that is the cause."""
    text = str(e).lower()
    if any(w in text for w in _UNREACHABLE):
        return f"when the cluster and the git server respond again, run {item_id} again."
    return f"fix what the message above names, then run {item_id} again."
