"""What a front end needs to run an item or a rollback action, decided once, in the core.

The headless CLI, `--plain` and the TUI each render these objects and answer through an Asker;
none of them has rules of its own: which questions are missing, which token a run needs, and
what confirmation it takes (none, yes/no, or a typed word, plus what `--yes` alone cannot stand
for) are answered here.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from .checklist import Plan, Question, Verdict
from .engine import Engine
from .runner import Cancelled
from .session import NeedsAnswers, Session, UsageError


@dataclass(frozen=True)
class Confirmation:
    """How a change is confirmed. kind: "none" (changes nothing), "yes" (a yes/no question) or
    "typed" (the user types `word`). `acknowledge` names a risk that an unattended `--yes` does not
    cover and needs its own explicit option (`allow-prune`)."""

    kind: str
    word: str | None = None
    why: str = ""
    acknowledge: str | None = None


class Asker(Protocol):
    """How a front end asks its user. A method returns None when it cannot ask (no terminal)."""

    def question(self, q: Question) -> str | None: ...

    def token(self, var: str) -> str | None: ...

    def confirm(self, c: Confirmation, title: str) -> bool | None: ...


# -- sessions ----------------------------------------------------------------------------------
def open_session(repo: str | None, kubeconfig: str | None = None, context: str | None = None) -> Session:
    return Session.open(repo or ".", kubeconfig=kubeconfig, context=context)


@contextmanager
def locked(repo: str | None, kubeconfig: str | None, context: str | None, command: str) -> Iterator[Session]:
    """A session holding the repo's lock, with its state loaded; saved and released on the way out.

    The scratch folder of plaintext copies is wiped as the lock is taken (what a killed run left)
    and as it is let go (what this one made), so no plaintext copy outlives the command."""
    from .scratch import wipe

    session = open_session(repo, kubeconfig, context)
    session.store.acquire(command)
    try:
        wipe(session)
        session.store.load()
        yield session
    finally:
        try:
            wipe(session)
        finally:
            session.store.release()


# -- the confirmation policy --------------------------------------------------------------------
CHANGES = {
    "nothing": "changes nothing",
    "state": "records a choice in the wizard's state only",
    "repo": "changes files in the repository",
    "local": "writes files in your data directory, outside the repository",
    "cluster": "changes the cluster",
}


def what_it_changes(plan: Plan) -> str:
    return CHANGES.get(plan.changes, f"changes the {plan.changes}")


def pinned_word(session) -> str:
    """The word a destructive step asks for: the pinned context name (else the branch, else the repo)."""
    from .repo.gitstate import current_branch

    if session.state.cluster:
        return session.state.cluster.context
    return session.context or current_branch(session) or session.repo.name


def confirmation(session, plan: Plan, *, destructive: bool = False, prune_risk: bool = False) -> Confirmation:
    """One rule for every front end, for items and rollbacks alike: nothing changes, no question; the
    cluster changes (a suspend as much as a bootstrap), or something is destroyed, or Flux may prune: type
    the pinned context's name; else (the repo only) yes/no. The prune risk also needs its own
    acknowledgement when nobody types (an unattended --yes)."""
    why = what_it_changes(plan)
    if plan.changes == "nothing":
        return Confirmation("none", why=why)
    if "cluster" in plan.changes or destructive or prune_risk:
        return Confirmation("typed", pinned_word(session), why=why, acknowledge="allow-prune" if prune_risk else None)
    return Confirmation("yes", why=why)


def item_confirmation(session, plan: Plan) -> Confirmation:
    return confirmation(session, plan)


def rollback_confirmation(session, act, plan: Plan) -> Confirmation:
    return confirmation(session, plan, destructive=act.destructive, prune_risk=bool(plan.data.get("prune_risk")))


def _ask(asker: Asker, c: Confirmation, title: str, plan: Plan, what: str) -> "Outcome | None":
    """Ask for the confirmation `c`: None to go ahead, else how the run ends (cancelled, or refused
    where nobody can answer)."""
    go = asker.confirm(c, title)
    if go is None:
        return Outcome("refused", plan, needs="confirm", name=what,
                       message=f"{what} would change the {plan.changes}; nobody can confirm here, so confirm it "
                               "explicitly (after checking the preview)")
    return None if go else Outcome("cancelled", plan, name=what)


# -- items ---------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """How a run ended: "previewed" (dry run), "cancelled" (the user said no), "refused" (nobody could
    confirm: `message` says what to pass) or "ran" (`verdict` is the live check after it)."""

    status: str
    plan: Plan | None = None
    verdict: Verdict | None = None
    message: str = ""
    needs: str | None = None  # refused: the acknowledgement that was missing ("allow-prune"), or "confirm"
    name: str = ""  # the item id or the rollback action's name

    @property
    def exit_code(self) -> int:
        """The one mapping of the CLI and --plain (DESIGN.md exit codes): a preview or a "no" is 0, a
        refusal 4, and a run its verdict's: failed 1, blocked 3, else 0."""
        from .exitcodes import EXIT_BLOCKED, EXIT_FAILED, EXIT_OK, EXIT_REFUSED

        if self.status == "refused":
            return EXIT_REFUSED
        if self.status != "ran" or self.verdict is None:
            return EXIT_OK
        return {"failed": EXIT_FAILED, "blocked": EXIT_BLOCKED}.get(self.verdict.status, EXIT_OK)


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """KEY=VALUE answers, as the CLI's --set gives them."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--set {pair!r} is not KEY=VALUE (for example --set option=a)")
        k, v = pair.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def set_answers(session, item, sets: dict[str, str]) -> None:
    from .flux.prompt import is_secret_answer_key

    for key, value in sets.items():
        if is_secret_answer_key(key):
            raise UsageError(f"--set {key}=… is refused: tokens and passwords are never taken as answers (they "
                             "would end up in the shell history, in 'ps' and in the state file). Export the token "
                             "in the environment (GITHUB_TOKEN, GITEA_TOKEN or GIT_PASSWORD), or type it at the "
                             "no-echo prompt.")
        q = next((q for q in item.questions if q.key == key), None) or _declared_elsewhere(key)
        try:
            session.answers[key] = q.validate(value) if q else value
        except ValueError as e:
            raise UsageError(str(e)) from None


def _declared_elsewhere(key: str):
    """The question of another item with this key (option=z given to 2.1 is checked as 1.1 would)."""
    from .catalog import CATALOG

    return next((q for it in CATALOG for q in it.questions if q.key == key), None)


def fill_questions(session, questions, asker: Asker, suggested: dict | None = None) -> None:
    """Ask each unanswered question that applies; where the front end cannot ask, the default (the
    item's suggestion, else the question's own) stands."""
    from dataclasses import replace

    for q in questions:
        if q.key in session.answers or not q.applies(session.answers):
            continue
        q = replace(q, default=(suggested or {}).get(q.key, q.default))
        value = asker.question(q)
        if value is None:
            value = q.default
        if value is not None:
            session.answers[q.key] = value


def token_for(session, item, asker: Asker) -> None:
    """The git token the item needs and the environment lacks, typed without echo and kept in memory."""
    from .flux.prompt import remember_prompted_token, token_needed

    var = token_needed(session, item.id)
    if var is None:
        return
    value = asker.token(var)
    if value is not None:
        remember_prompted_token(session, var, value)


def plan_item(engine: Engine, item, asker: Asker) -> Plan:
    """The item's plan; questions it turns out to need (which overlay, which copy of a duplicate) are
    asked and the plan made again. Where nobody can answer them, NeedsAnswers names each one."""
    session = engine.session
    for _ in range(5):
        try:
            return engine.plan(item.id)
        except NeedsAnswers as e:
            if not _answer(session, e, asker):
                raise
    return engine.plan(item.id)


def run_item(session, ref: str, asker: Asker, *, sets: dict[str, str] | None = None, dry_run: bool = False,
             assume_yes: bool = False, repin: bool = False, show: Callable[[Plan], None] = lambda plan: None,
             progress: Callable[[str], None] = lambda line: None) -> Outcome:
    """Preview `ref` with the given answers, confirm it by the policy, run it and verify it.
    A dry run never stores the answers it was given."""
    engine = Engine(session)
    item = engine.item(ref)
    if dry_run:
        session.store.stored_answers = dict(session.answers)
    given = dict(sets or {})
    before = {k: session.answers.get(k) for k in given}
    try:
        set_answers(session, item, given)
        if sets:
            engine.answers_changed(item)
        engine.check_runnable(item)  # what it needs first says so before any question is asked
        fill_questions(session, item.questions, asker, item.suggested(session))
        session.repin = repin
        session.store.save()
        token_for(session, item, asker)
        plan = plan_item(engine, item, asker)
    except NeedsAnswers:
        raise  # the answers given held; the run uses them once the open questions are answered
    except UsageError:
        _forget(session, before)  # refused (class.x=bogus): not stored
        raise
    except (Cancelled, KeyboardInterrupt):
        _forget(session, before)  # stopped before they were used
        raise
    show(plan)
    if dry_run:
        return Outcome("previewed", plan, name=item.id)
    for _ in range(5):
        c = item_confirmation(session, plan)
        if c.kind != "none" and not assume_yes:
            stop = _ask(asker, c, f"Run {item.alias} {item.title}?", plan, item.id)
            if stop:
                return stop
        try:
            return Outcome("ran", plan, follow_up(engine, item, engine.run(item.id, plan, progress=progress), asker),
                           name=item.id)
        except NeedsAnswers as e:
            # Raised by the scratch proof before anything changed (a later step's question): asked like
            # a planning question, then the plan is made again and shown before it runs.
            if not _answer(session, e, asker):
                raise
            plan = plan_item(engine, item, asker)
            show(plan)
    return Outcome("ran", plan, follow_up(engine, item, engine.run(item.id, plan, progress=progress), asker),
                   name=item.id)


def follow_up(engine: Engine, item, verdict: Verdict, asker: Asker) -> Verdict:
    """The questions an item asks once it has run (5.4: the code its test event carried), asked in the same run,
    then the item checked again. Where nobody can answer (no terminal), the verdict already says what to answer."""
    questions = item.follow_up(engine.session, verdict)
    if not questions:
        return verdict
    asked = {q.key: asker.question(q) for q in questions}
    if any(v is None for v in asked.values()):
        return verdict
    engine.session.answers.update(asked)
    engine.session.store.save()
    return engine.verify(item.id)


def _forget(session, before: dict) -> None:
    """Put the answers given with --set back as they were before this run (stored only when used)."""
    for k, v in before.items():
        if v is None:
            session.answers.pop(k, None)
        else:
            session.answers[k] = v
    try:
        session.store.save()
    except Exception:  # noqa: BLE001 - the error being raised is the one to report
        pass


def _answer(session, e: NeedsAnswers, asker: Asker) -> bool:
    """Ask the open questions of `e`; False when there are none or the front end cannot ask."""
    open_qs = [q for q in e.questions if q.key not in session.answers]
    asked = {q.key: asker.question(q) for q in open_qs}
    if not open_qs or any(v is None for v in asked.values()):
        return False
    session.answers.update(asked)
    session.store.save()
    return True


# -- rollback actions ---------------------------------------------------------------------------
def run_rollback(session, name: str, opts, asker: Asker, *, dry_run: bool = False, assume_yes: bool = False,
                 show: Callable[[Plan], None] = lambda plan: None,
                 progress: Callable[[str], None] = lambda line: None) -> Outcome:
    """Preview a rollback action, confirm it by the policy (a prune risk needs `allow_prune` when
    nobody types the word), run it and verify it."""
    from .rollback import action, execute

    act = action(name)
    plan = act.plan(session, opts)
    show(plan)
    if dry_run or plan.changes == "nothing":
        return Outcome("previewed", plan, name=act.name)
    c = rollback_confirmation(session, act, plan)
    if assume_yes:
        if c.acknowledge == "allow-prune" and not opts.allow_prune:
            n = sum(len(v) for v in (plan.data.get("prune_risk") or {}).values())
            return Outcome("refused", plan, needs="allow-prune", name=act.name,
                           message=f"with prune on, Flux may delete up to {n} object(s) listed above. Suspend first "
                                   "(rollback suspend), or accept that Flux may delete them (allow prune) if that "
                                   "is what you want")
    else:
        stop = _ask(asker, c, f"Rollback: {act.title}?", plan, f"rollback {act.name}")
        if stop:
            return Outcome(stop.status, plan, needs=stop.needs, name=act.name, message=stop.message)
    return Outcome("ran", plan, execute(session, act, plan, progress=progress), name=act.name)
