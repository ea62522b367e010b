"""Issue 12: one git push path (wizard/repo/push.py) with one result type, on real git.

A bare repository in tmp_path is the remote (no network). Each outcome goes through `push()`:
pushed; rejected as non-fast-forward (another clone pushed first); refused by a server hook;
an unreachable remote. Then each caller once: 2.5's apply, Phase 5's write_and_commit and
rollback revert's run, which all push through it and journal the same event.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import git, make_repo, push_to_bare_remote
from wizard.checklist import Plan
from wizard.integrate import common
from wizard.phases.repo.commit_push import CommitPush
from wizard.repo import gitstate
from wizard.repo.push import PUSHED, REJECTED, UNREACHABLE, PushResult, ensure_pushed, push
from wizard.rollback.revert import Revert
from wizard.session import Session, WizardError


@pytest.fixture
def repo(tmp_path):
    repo = make_repo(tmp_path / "repo", {"README.md": "# homelab\n"})
    push_to_bare_remote(repo, tmp_path / "remote.git")
    return repo


@pytest.fixture
def session(repo):
    s = Session.open(repo)
    s.store.acquire("test")
    s.store.load()
    yield s
    s.store.release()


def commit(repo, name: str = "notes.md", text: str = "mine\n") -> str:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-qm", f"add {name}")
    return git(repo, "rev-parse", "HEAD").strip()


def remote_head(repo) -> str:
    return git(repo, "ls-remote", "origin", "refs/heads/main").split("\t")[0]


def other_clone_pushes_first(repo, tmp_path) -> str:
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", git(repo, "remote", "get-url", "origin").strip(), str(other))
    (other / "theirs.md").write_text("someone else\n")
    git(other, "add", "theirs.md")
    git(other, "-c", "user.email=o@example.invalid", "-c", "user.name=O", "commit", "-qm", "theirs")
    git(other, "push", "-q", "origin", "main")
    return git(other, "rev-parse", "HEAD").strip()


def refusing_hook(repo) -> None:
    hook = Path(git(repo, "remote", "get-url", "origin").strip()) / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch: pushes are refused' >&2\nexit 1\n")
    hook.chmod(0o755)


def pushes_journaled(repo) -> list[dict]:
    """The push events as saved on disk (push() saves the state)."""
    state = json.loads((repo / ".git/homelab-wizard/state.json").read_text())
    return [e for e in state["journal"] if e["action"] == gitstate.PUSH]


def never_forced(repo) -> None:
    audit = (repo / ".git/homelab-wizard/audit.jsonl").read_text()
    pushes = [json.loads(line)["argv"] for line in audit.splitlines() if '"push"' in line]
    assert pushes, audit
    for argv in pushes:
        assert "--force" not in argv and "-f" not in argv and not any(a.startswith("+") for a in argv), argv
        assert "--porcelain" in argv


# -- the one function --------------------------------------------------------------------------
def test_pushed(repo, session):
    head = commit(repo)
    r = push(session, "origin", "main", item_id="test.item")
    assert r == PushResult(PUSHED, "origin", "main", head) and r.ok and r.target == "origin/main"
    assert remote_head(repo) == head
    ev = pushes_journaled(repo)[-1]
    assert (ev["status"], ev["remote"], ev["branch"], ev["head"], ev["item"]) == (PUSHED, "origin", "main", head, "test.item")
    assert "reason" not in ev
    assert ensure_pushed(r) is r
    never_forced(repo)


def test_rejected_non_fast_forward_advises_pull_rebase(repo, session, tmp_path):
    theirs = other_clone_pushes_first(repo, tmp_path)
    head = commit(repo)
    r = push(session, "origin", "main", item_id="test.item")
    assert r.status == REJECTED and not r.ok and r.head == head
    assert "fetch first" in r.reason or "non-fast-forward" in r.reason
    assert "git pull --rebase origin main" in r.advice and "run test.item again" in r.advice
    assert remote_head(repo) == theirs  # never overwritten
    ev = pushes_journaled(repo)[-1]
    assert (ev["status"], ev["reason"], ev["head"], ev["item"]) == ("rejected", r.reason, head, "test.item")
    with pytest.raises(WizardError) as e:
        ensure_pushed(r)
    assert str(e.value).startswith(f"committed, not pushed to origin/main: {r.reason}. ")
    assert "git pull --rebase origin main" in str(e.value) and "never force-pushes" in str(e.value)
    never_forced(repo)


def test_refused_by_a_server_hook_advises_another_branch(repo, session):
    refusing_hook(repo)
    before = remote_head(repo)
    commit(repo)
    r = push(session, "origin", "main", item_id="test.item")
    assert r.status == REJECTED and "pre-receive hook declined" in r.reason
    assert "the remote refused the push (protected branch? a server hook?)" in r.advice
    assert "push to another branch (answer branch=<name>)" in r.advice and "git pull" not in r.advice
    assert remote_head(repo) == before
    assert pushes_journaled(repo)[-1]["status"] == "rejected"


def test_unreachable_remote_advises_checking_url_and_network(repo, session, tmp_path):
    git(repo, "remote", "set-url", "origin", str(tmp_path / "does-not-exist.git"))
    commit(repo)
    r = push(session, "origin", "main", item_id="test.item")
    assert r.status == UNREACHABLE and r.reason
    assert "could not be reached" in r.advice and "git remote get-url origin" in r.advice and "network" in r.advice
    ev = pushes_journaled(repo)[-1]
    assert (ev["status"], ev["reason"]) == (UNREACHABLE, r.reason)
    with pytest.raises(WizardError, match="committed, not pushed to origin/main: .*could not be reached"):
        ensure_pushed(r)


def test_source_head_pushes_head_to_the_named_branch(repo, session):
    git(repo, "switch", "-q", "-c", "work")
    head = commit(repo)
    r = push(session, "origin", "main", item_id="test.item", source="HEAD")
    assert r.ok and r.head == head and remote_head(repo) == head


# -- each caller, once ------------------------------------------------------------------------
def test_commit_push_apply_pushes_through_it_and_its_verify_reads_the_reason(repo, session, tmp_path):
    item = CommitPush()
    plan = Plan(item.id, "push", data={"remote": "origin", "branch": "main", "messages": {}})
    other_clone_pushes_first(repo, tmp_path)
    commit(repo)
    session.state.record(gitstate.COMMITTED, branch="main", base=None, commits=[], items=[])
    with pytest.raises(WizardError) as e:
        item.apply(session, plan, lambda line: None)
    assert "committed, not pushed to origin/main" in str(e.value) and "git pull --rebase origin main" in str(e.value)
    assert "run repo.commit-push again" in str(e.value)
    ev = pushes_journaled(repo)[-1]
    assert (ev["status"], ev["item"]) == ("rejected", "repo.commit-push")
    v = item.verify(session)
    assert v.status == "failed" and v.message.startswith("committed, not pushed") and ev["reason"] in v.message
    # once the clone has the remote's commits, the same apply pushes
    git(repo, "pull", "-q", "--rebase", "origin", "main")
    lines: list[str] = []
    item.apply(session, plan, lines.append)
    assert lines[-1] == "pushed to origin/main" and remote_head(repo) == git(repo, "rev-parse", "HEAD").strip()
    assert pushes_journaled(repo)[-1]["status"] == "pushed"


def test_phase5_write_and_commit_pushes_through_it(repo, session):
    lines: list[str] = []
    head = common.write_and_commit(session, "integrate.docs", {"docs/flux.md": "# Flux\n"}, "docs: flux", lines.append)
    assert remote_head(repo) == head and lines[-1] == "pushed to origin/main"
    ev = pushes_journaled(repo)[-1]
    assert (ev["status"], ev["item"], ev["head"]) == ("pushed", "integrate.docs", head)
    # refused by the server: committed locally, the one error
    refusing_hook(repo)
    with pytest.raises(WizardError) as e:
        common.write_and_commit(session, "integrate.docs", {"docs/flux.md": "# Flux, again\n"}, "docs: more", lines.append)
    msg = str(e.value)
    assert msg.startswith("committed, not pushed to origin/main: ") and "refused the push" in msg
    assert "git push origin HEAD:main" in msg
    assert remote_head(repo) == head != git(repo, "rev-parse", "HEAD").strip()
    assert pushes_journaled(repo)[-1]["status"] == "rejected"
    never_forced(repo)


def test_rollback_revert_pushes_through_it(repo, session, tmp_path):
    wizard_commit = commit(repo, "clusters.md", "flux\n")
    git(repo, "push", "-q", "origin", "main")
    plan = Plan("rollback.revert", "revert", data={"commits": [wizard_commit], "push": ("origin", "main"),
                                                  "suspend_first": [], "base": "", "paths": [], "items": []})
    git(repo, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    with pytest.raises(WizardError) as e:
        Revert().run(session, plan, lambda line: None)
    msg = str(e.value)
    assert msg.startswith("the revert commits are made locally, not pushed to origin/main: ")
    assert "could not be reached" in msg and "git push origin HEAD:main" in msg and "branch=" not in msg
    journal = session.state.journal
    assert journal[-2]["action"] == gitstate.PUSH and journal[-2]["status"] == UNREACHABLE
    assert journal[-2]["item"] == "rollback.revert"
    assert journal[-1]["status"] == "committed-not-pushed" and journal[-1]["reverted"] == [wizard_commit]
    assert not (repo / "clusters.md").exists()  # the revert commit is made locally


def test_rollback_revert_push_succeeds(repo, session):
    wizard_commit = commit(repo, "clusters.md", "flux\n")
    git(repo, "push", "-q", "origin", "main")
    plan = Plan("rollback.revert", "revert", data={"commits": [wizard_commit], "push": ("origin", "main"),
                                                  "suspend_first": [], "base": "", "paths": [], "items": []})
    details = Revert().run(session, plan, lambda line: None)
    assert details["pushed"] == "origin/main" and remote_head(repo) == details["head"]
    assert pushes_journaled(repo)[-1]["item"] == "rollback.revert"
