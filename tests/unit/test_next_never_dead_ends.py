"""Issue 21: `next` (status --json, the TUI home's "Next:") never leads into a block.

It names the first item that can run now: its declared prerequisites hold, and so do the ones an
item found itself in the repo or the cluster (Verdict.needs / Blocked.needs, stored with the item).
Running an item that only checks checks it. Real state files, real git repositories; the items
here are test items whose checks look at files in the repo.
"""
from __future__ import annotations

import json

import pytest

from tests.helpers import make_repo
from wizard.catalog import CATALOG
from wizard.checklist import Item, Plan, Question, Step, Verdict
from wizard.engine import Engine
from wizard.session import Blocked, NeedsAnswers, Session
from wizard.status_view import next_item, status_data
from wizard import usecase


@pytest.fixture
def session(tmp_path):
    s = Session.open(make_repo(tmp_path / "repo"))
    s.store.acquire()
    s.store.load()
    yield s
    s.store.release()


def mark(state, status: str, *ids: str, message: str = "") -> None:
    for i in ids:
        st = state.item(i)
        st.status, st.checked_at, st.message = status, "2026-12-01T10:00:00+00:00", message or f"{i} {status}"


def stored(session) -> dict:
    return session.state.to_json()["items"]


PHASE_1 = ("prep.preflight", "prep.structure", "prep.backup", "prep.inventory")


def test_next_follows_what_an_item_found_it_needs_through_the_declared_chain(session):
    """2.0 adopting a kubectl-made Secret needs S.2's key; S.2 needs S.1. Next leads to S.1, then S.2,
    then back to 2.0, never into 2.0's refusal or S.2's "needs S.1 first"."""
    mark(session.state, "passed", *PHASE_1)
    adopt = session.state.item("repo.adopt")
    mark(session.state, "blocked", "repo.adopt", message="adopting Secret/apps/db writes it encrypted …")
    adopt.needs = ["secrets.keys"]
    assert next_item(CATALOG, stored(session)).id == "secrets.scan"
    mark(session.state, "passed", "secrets.scan")
    assert next_item(CATALOG, stored(session)).id == "secrets.keys"
    mark(session.state, "passed", "secrets.keys")
    assert next_item(CATALOG, stored(session)).id == "repo.adopt"
    mark(session.state, "passed", "repo.adopt")
    assert next_item(CATALOG, stored(session)).id == "repo.cluster-dir"


def test_next_never_names_an_item_whose_declared_prerequisites_fail(session):
    """3.4 failed, but 3.2 (which it needs) failed too: Next says 3.2, the one that can run."""
    for it in CATALOG:
        if it.phase in ("prep", "repo", "secrets"):
            mark(session.state, "passed", it.id)
    mark(session.state, "passed", "bootstrap.ownership", "bootstrap.credentials", "bootstrap.controllers")
    mark(session.state, "failed", "bootstrap.run", "bootstrap.namespace")
    session.state.item("validate.deployed").needs = ["bootstrap.namespace"]
    assert next_item(CATALOG, stored(session)).id == "bootstrap.run"


def test_next_tells_pending_failed_and_waiting_apart(session):
    mark(session.state, "passed", "prep.preflight")
    mark(session.state, "failed", "prep.structure", message="no option chosen")
    data = status_data(session.state.to_json())
    assert data["next"] == {"id": "prep.structure", "alias": "1.1", "title": data["next"]["title"],
                            "status": "failed", "message": "no option chosen", "for": None}
    from wizard.status_view import status_text

    assert "next: 1.1 prep.structure (" in status_text(data) and "[failed: no option chosen]" in status_text(data)


def test_needs_are_stored_with_the_verdict_and_survive_a_reload(session):
    class Finds(Item):
        id, alias, title = "repo.adopt", "2.0", "finds a need"

        def verify(self, s):
            raise Blocked("adopting a Secret writes it encrypted; run secrets.keys first.", needs=("secrets.keys",))

    engine = Engine(session, [Finds()])
    v = engine.verify("2.0")
    assert v.status == "blocked" and v.needs == ("secrets.keys",)
    on_disk = json.loads(session.store.path.read_text())["items"]
    assert on_disk["repo.adopt"]["needs"] == ["secrets.keys"]
    assert "needs" not in on_disk.get("prep.preflight", {})  # nothing new for items that found none
    assert session.store.load().item("repo.adopt").needs == ["secrets.keys"]


def test_a_refusal_while_planning_stores_what_it_needs_so_next_leads_there(session):
    class RefusesBeforeKeys(Item):
        id, alias, title = "repo.adopt", "2.0", "adopt"

        def verify(self, s):
            return Verdict("pending", "undecided")

        def plan(self, s):
            raise Blocked("adopting Secret apps/db writes it encrypted, and the age key is missing; run "
                          "secrets.keys first.", needs=("secrets.keys",))

        def apply(self, s, plan, progress):
            pass

    mark(session.state, "passed", *PHASE_1)
    engine = Engine(session, [RefusesBeforeKeys()])
    with pytest.raises(Blocked):
        engine.plan("2.0")
    st = session.state.item("repo.adopt")
    assert st.status == "blocked" and st.needs == ["secrets.keys"]
    assert next_item(CATALOG, stored(session)).id == "secrets.scan"


def test_the_real_items_name_what_they_need(session):
    """Every 'run X first' of the items is a need `next` can follow, not only a sentence."""
    from wizard.phases.repo.common import context
    from wizard.phases.secrets.methods import SealedSecrets, Sops

    with pytest.raises(Blocked) as e:
        context(session)
    assert e.value.needs == ("prep.structure",)
    session.answers["secrets"] = "sops"
    with pytest.raises(Blocked) as e:
        Sops().key_inputs(session)
    assert e.value.needs == ("secrets.keys",)
    with pytest.raises(Blocked) as e:
        SealedSecrets().key_inputs(session)
    assert e.value.needs == ("secrets.keys",)
    from wizard.flux.status import flux_overview

    with pytest.raises(Blocked) as e:
        flux_overview(session)  # no cluster pinned yet
    assert e.value.needs == ("prep.preflight",)


class OnlyChecks(Item):
    """A check-only item (like 3.3, 3.4, 4.1) whose subject settles once `settle` has run."""

    id, alias, title = "bootstrap.controllers", "3.3", "controllers ready"
    settles = "wait until the flag file exists"

    def verify(self, session):
        f = session.repo / "settled"
        return Verdict("passed", "settled") if f.exists() else Verdict("pending", "still settling")

    def settle(self, session, progress):
        progress("waiting: still settling")
        (session.repo / "settled").write_text("x")


class NoAsker:
    def question(self, q):
        return None

    def token(self, var):
        return None

    def confirm(self, c, title):
        return None


def test_running_an_item_that_only_checks_checks_it_after_it_settles(session, monkeypatch):
    engine = Engine(session, [OnlyChecks()])
    monkeypatch.setattr(usecase, "Engine", lambda s: engine)
    assert engine.verify("3.3").status == "pending"
    lines = []
    out = usecase.run_item(session, "3.3", NoAsker(), progress=lines.append)  # no --yes: nothing changes
    assert out.status == "ran" and out.verdict.status == "passed"
    assert out.plan.changes == "nothing" and "only checks" in out.plan.summary
    assert lines == ["waiting: still settling"]
    assert session.state.item("bootstrap.controllers").status == "passed"
    assert not [e for e in session.state.journal if e.get("action") == "ran"]  # checked, not recorded as run


def test_a_dry_run_of_an_item_that_only_checks_previews_the_check(session, monkeypatch):
    engine = Engine(session, [OnlyChecks()])
    monkeypatch.setattr(usecase, "Engine", lambda s: engine)
    out = usecase.run_item(session, "3.3", NoAsker(), dry_run=True)
    assert out.status == "previewed"
    assert [s.description for s in out.plan.steps][0] == "wait until the flag file exists"
    assert not (session.repo / "settled").exists()


class AsksPerObject(Item):
    """An item that raises a question while planning (like 2.0's adopt.<object>)."""

    id, alias, title = "repo.adopt", "2.0", "adopt"
    Q = Question("adopt.Secret/apps/db", "Secret apps/db: adopt it?", [("adopt", "adopt"), ("later", "later")],
                 default="adopt", help="written encrypted")

    def verify(self, session):
        return Verdict("pending", "undecided")

    def plan(self, session):
        if self.Q.key not in session.answers:
            raise NeedsAnswers("Secret apps/db exists only in the cluster", [self.Q])
        return Plan(self.id, "adopt", [Step("info", "x")], changes="repo")

    def apply(self, session, plan, progress):
        pass


def test_an_answer_to_a_question_raised_while_planning_can_be_changed_later(session):
    """The TUI's answers form (a) shows the saved answer of a question the item raised, to change it."""
    engine = Engine(session, [AsksPerObject()])
    item = engine.item("2.0")
    assert engine.saved_questions(item) == []
    with pytest.raises(NeedsAnswers):
        engine.plan("2.0")
    assert engine.saved_questions(item) == []  # asked, not answered yet: nothing to change
    session.answers["adopt.Secret/apps/db"] = "adopt"
    session.store.save()
    session.store.load()  # a new session: what was asked is kept with the item
    [q] = Engine(session, [AsksPerObject()]).saved_questions(item)
    assert (q.key, q.prompt, q.choices, q.default) == (AsksPerObject.Q.key, AsksPerObject.Q.prompt,
                                                       [("adopt", "adopt"), ("later", "later")], "adopt")
    assert q.validate("later") == "later"


def test_changing_an_answer_forgets_what_the_old_answer_made_the_item_need(session):
    session.state.item("repo.adopt").needs = ["secrets.keys"]
    engine = Engine(session, [AsksPerObject()])
    engine.answers_changed(engine.item("2.0"))
    assert session.state.item("repo.adopt").needs == []


def ks(name: str, ready: str, reason: str, message: str = "", **status) -> dict:
    """A Kustomization as kustomize-controller reports it (status fields only, as read with -o json)."""
    return {"kind": "Kustomization", "metadata": {"namespace": "flux-system", "name": name, "generation": 1},
            "spec": {"sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
            "status": {"observedGeneration": 1, "conditions": [
                {"type": "Ready", "status": ready, "reason": reason, "message": message}], **status}}


def test_4_1_sees_apps_waiting_on_infrastructure_as_still_reconciling(session):
    """Issue 21: on the demo 4.1 failed ("14 object(s) … in no Kustomization's inventory") only because
    apps waits on infrastructure through dependsOn. That is Flux still at work, not a failure."""
    from wizard.phases.validate.settling import still_reconciling

    waiting = [ks("infra-controllers", "Unknown", "Progressing", "Reconciliation in progress"),
               ks("apps", "False", "DependencyNotReady", "dependency 'flux-system/infra-controllers' is not ready")]
    assert still_reconciling(session, waiting) == [
        "infra-controllers is being applied (Reconciliation in progress)", "apps waits on infra-controllers"]
    done = [ks("infra-controllers", "True", "ReconciliationSucceeded"), ks("apps", "True", "ReconciliationSucceeded")]
    assert still_reconciling(session, done) == []


def test_4_1_does_not_wait_for_a_kustomization_stuck_behind_one_that_failed(session):
    from wizard.phases.validate.settling import still_reconciling

    stuck = [ks("infra-controllers", "False", "BuildFailed", "kustomize build failed"),
             ks("apps", "False", "DependencyNotReady", "dependency 'flux-system/infra-controllers' is not ready")]
    assert still_reconciling(session, stuck) == []  # nothing moves: 4.1 judges, 4.2 names the failure


def _after(k: dict, *deps: str) -> dict:
    k["spec"]["dependsOn"] = [{"name": d} for d in deps]
    return k


# infra-controllers as kustomize-controller left it on lisenet's testbed (issue 21): a health check failed
# on a stalled Deployment, and it retries the same inputs every retryInterval (not progress).
HEALTH_FAILED = ks("infra-controllers", "False", "HealthCheckFailed",
                   "health check failed after 955ms: failed early due to stalled resources: "
                   "[Deployment/kube-system/coredns status: 'Failed']")
HEALTH_FAILED["status"]["conditions"].append({"type": "Reconciling", "status": "True", "reason": "ProgressingWithRetry",
                                              "message": "Running health checks with a timeout of 5m0s"})


def test_4_1_does_not_wait_for_a_chain_of_kustomizations_stuck_behind_one_that_failed(session):
    """Issue 21 (lisenet): apps waits on infra-configs, which waits on infra-controllers, which failed. apps
    never moves either; 4.1 waited its whole reconcile-timeout on it at every run ("apps waits on
    infra-configs"), and Next named 4.1 again and again until the journey timed out."""
    from wizard.phases.validate.settling import settled_failures, still_reconciling

    chain = [HEALTH_FAILED,
             _after(ks("infra-configs", "False", "DependencyNotReady",
                       "dependency 'flux-system/infra-controllers' is not ready"), "infra-controllers"),
             _after(ks("apps", "False", "DependencyNotReady", "dependency 'flux-system/infra-configs' is not ready"),
                    "infra-configs")]
    assert still_reconciling(session, chain) == []
    assert settled_failures(chain) == [
        "infra-controllers failed (HealthCheckFailed: health check failed after 955ms: failed early due to stalled "
        "resources: [Deployment/kube-system/coredns status: 'Failed']); infra-configs, apps wait on it"]


def test_a_kustomization_waiting_on_one_still_at_work_is_still_reconciling(session):
    from wizard.phases.validate.settling import settled_failures, still_reconciling

    chain = [ks("infra-controllers", "Unknown", "Progressing", "Reconciliation in progress"),
             _after(ks("infra-configs", "False", "DependencyNotReady", "dependency 'flux-system/infra-controllers' "
                       "is not ready"), "infra-controllers"),
             _after(ks("apps", "False", "DependencyNotReady", "dependency 'flux-system/infra-configs' is not ready"),
                    "infra-configs")]
    assert still_reconciling(session, chain) == ["infra-controllers is being applied (Reconciliation in progress)",
                                                 "infra-configs waits on infra-controllers", "apps waits on infra-configs"]
    assert settled_failures(chain) == []


def test_a_run_of_4_1_waits_for_flux_and_the_plan_says_so():
    from wizard.catalog import item_by_ref
    from wizard.engine import check_plan

    plan = check_plan(item_by_ref("4.1"))
    assert plan.changes == "nothing" and plan.data == {"check": True}
    assert "until Flux has finished with the pushed commit" in plan.render()
    assert "wait" not in check_plan(item_by_ref("3.3")).render()


def test_the_pushed_commit_is_read_without_a_token_as_2_5_pushes(tmp_path, monkeypatch):
    """A new session with no token still knows the pushed commit (4.1, 4.2 only read): from the remote
    2.5 pushes to, with the owner's own git access; else from what the journal saw arrive there."""
    from tests.helpers import git, push_to_bare_remote
    from wizard.journal import Kind
    from wizard.phases.validate.common import pushed_commit

    monkeypatch.delenv("GIT_PASSWORD", raising=False)
    repo = make_repo(tmp_path / "repo")
    push_to_bare_remote(repo, tmp_path / "origin.git")
    s = Session.open(repo)
    with s.store:
        s.store.acquire("test")
        s.store.load()
        s.answers.update({"provider": "git", "git-url": "http://127.0.0.1:9/homelab.git"})  # never dialled
        head = git(repo, "rev-parse", "HEAD").strip()
        assert pushed_commit(s) == head
        git(repo, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
        s.state.record(Kind.BOOTSTRAPPED, item="bootstrap.run", path="clusters/homelab", branch="main",
                       remote_head="b" * 40)
        assert pushed_commit(s) == "b" * 40


def test_next_says_which_item_it_leads_to_first(session):
    mark(session.state, "passed", *PHASE_1)
    mark(session.state, "blocked", "repo.adopt", message="adopting Secret/apps/db writes it encrypted …")
    session.state.item("repo.adopt").needs = ["secrets.keys"]
    data = status_data(session.state.to_json())
    assert data["next"]["id"] == "secrets.scan" and data["next"]["for"] == {"id": "repo.adopt", "alias": "2.0"}
    from wizard.status_view import status_text

    assert "next: S.1 secrets.scan (Find plaintext secrets), first, for 2.0 repo.adopt" in status_text(data)


def test_a_sync_flux_is_still_at_is_moving_one_that_failed_is_not():
    from wizard.phases.validate.settling import moving

    assert moving(ks("flux-system", "Unknown", "Progressing", "Reconciliation in progress"))
    assert moving({"kind": "GitRepository", "metadata": {"name": "flux-system"}, "status": {}})  # no condition yet
    assert not moving(ks("flux-system", "False", "ArtifactFailed", "authentication required"))
    assert not moving(ks("flux-system", "True", "ReconciliationSucceeded"))
