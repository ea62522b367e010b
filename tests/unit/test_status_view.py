"""`status` has a fast path (the state file read with json and the catalog metadata) and the full
path (a Session and a loaded State). They must print the same thing; everything the fast path
does not take (a corrupt or newer state, a missing repo, a worktree layout) must reach the full
path and its clear errors. Real git repositories and real state files written by StateStore."""
from __future__ import annotations

import contextlib
import io
import json
import sys

import pytest

from tests.helpers import git, make_repo
from wizard import cli, status_view
from wizard.session import Session
from wizard.state import ClusterIdentity


def run_status(monkeypatch, argv: list[str], *, fast: bool) -> tuple[int, str, str]:
    """`main(argv)` in-process; with fast=False the fast path is switched off."""
    if not fast:
        monkeypatch.setattr(status_view, "fast_status", lambda argv: None)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    monkeypatch.undo()
    return code, out.getvalue(), err.getvalue()


def comparable(text: str) -> dict:
    data = json.loads(text)
    data.pop("generated_at")
    return data


def write_state(repo, mutate) -> None:
    session = Session.open(repo)
    with session.store:
        session.store.acquire("test")
        session.store.load()
        mutate(session.state)
        session.store.save()


def busy(state) -> None:
    state.cluster = ClusterIdentity(context="home", server="https://127.0.0.1:6443", uid="abc-123", kubeconfig="/k")
    state.answers.update({"option": "a", "cluster-name": "homelab"})
    for item_id, status in (("prep.preflight", "passed"), ("prep.structure", "passed"),
                            ("prep.backup", "running"), ("repo.cluster-dir", "failed")):
        it = state.item(item_id)
        it.status, it.message, it.checked_at = status, f"{item_id} is {status}", "2026-11-26T10:00:00+00:00"
        it.evidence = {"k": [1, 2, {"x": "y"}]}


@pytest.mark.parametrize("mutate", [None, busy], ids=["no-state-file", "items-cluster-answers"])
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_fast_and_full_paths_print_the_same(tmp_path, monkeypatch, mutate, as_json):
    repo = make_repo(tmp_path / "repo")
    if mutate:
        write_state(repo, mutate)
    argv = ["--repo", str(repo), "status", *(["--json"] if as_json else [])]
    fast = run_status(monkeypatch, argv, fast=True)
    full = run_status(monkeypatch, argv, fast=False)
    assert fast[0] == full[0] == 0
    if as_json:
        assert comparable(fast[1]) == comparable(full[1])
        if mutate:
            assert comparable(fast[1])["cluster"] == {"context": "home", "server": "https://127.0.0.1:6443", "uid": "abc-123"}
    else:
        assert fast[1] == full[1] and "prep.backup" in fast[1]


def test_the_fast_path_is_taken_from_a_subfolder_and_with_global_options(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo")
    write_state(repo, busy)
    monkeypatch.chdir(repo / "infrastructure")
    taken = []
    monkeypatch.setattr(status_view, "emit", lambda data, as_json: taken.append((data["repo"], as_json)))
    assert cli.main(["--context", "home", "--kubeconfig=/k", "status", "--json"]) == 0
    assert taken == [(str(repo), True)]


@pytest.mark.parametrize("argv", [["status", "--help"], ["status", "--json", "--json"], ["run", "status"],
                                  ["--plain", "status"], ["status", "--bogus"]])
def test_anything_but_a_plain_status_goes_to_argparse(argv):
    assert status_view.parse_status_argv(argv) is None


@pytest.mark.parametrize("content,expect", [
    (b"{not json", "is corrupt"),
    (json.dumps({"schema": 99, "repo": "x", "created_at": "", "updated_at": ""}).encode(), "newer homelab-wizard"),
    (json.dumps({"schema": 1, "repo": "x", "created_at": "", "updated_at": "",
                 "items": {"prep.backup": {"status": "exploded"}}}).encode(), "unknown status"),
])
def test_a_bad_state_file_reaches_the_full_path_and_its_error(tmp_path, monkeypatch, content, expect):
    repo = make_repo(tmp_path / "repo")
    state = repo / ".git/homelab-wizard/state.json"
    state.parent.mkdir(parents=True)
    state.write_bytes(content)
    assert status_view.read_plain_state(str(repo)) is None
    code, out, err = run_status(monkeypatch, ["--repo", str(repo), "status", "--json"], fast=True)
    assert code == 4 and out == "" and expect in err and str(state) in err
    assert state.read_bytes() == content  # left untouched


def test_a_missing_repo_reaches_the_full_path(tmp_path, monkeypatch):
    code, out, err = run_status(monkeypatch, ["--repo", str(tmp_path / "nope"), "status"], fast=True)
    assert code == 2 and "does not exist" in err


def test_a_linked_worktree_is_left_to_git_and_the_full_path(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo")
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "other")
    assert status_view.read_plain_state(str(tmp_path / "wt")) is None  # .git is a file there
    code, out, _ = run_status(monkeypatch, ["--repo", str(tmp_path / "wt"), "status", "--json"], fast=True)
    assert code == 0 and json.loads(out)["repo"] == str((tmp_path / "wt").resolve())


def test_status_loads_no_session_machinery(tmp_path):
    """The point of the fast path: no runner, tools, dataclasses-heavy state or UI get imported."""
    import subprocess

    repo = make_repo(tmp_path / "repo")
    probe = ("import sys, contextlib, io\nfrom wizard.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             f"    assert main(['--repo', {str(repo)!r}, 'status', '--json']) == 0\n"
             "print(sorted(m for m in sys.modules if m.startswith(('wizard.', 'textual', 'questionary', 'sh'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    loaded = set(eval(out))  # noqa: S307 - our own probe's printed list
    # wizard.cli.ascii_fallback imports only codecs and sys: every command sets it up first.
    assert loaded <= {"wizard.cli", "wizard.exitcodes", "wizard.status_view", "wizard.catalog", "wizard.state_format",
                      "wizard.paths", "wizard.cli.ascii_fallback"}, loaded


def test_a_reader_that_goes_away_gets_no_traceback(tmp_path):
    """`homelab-wizard status | head -1`: the pipe closes under the writer (EPIPE), the exit is quiet."""
    import subprocess

    from tests.helpers import VENV_BIN

    repo = make_repo(tmp_path / "repo")
    for argv in (["status"], ["status", "--json"], ["doctor", "--json"]):
        p = subprocess.Popen([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo), *argv],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        p.stdout.close()  # before the child writes a byte: its first write fails with EPIPE
        err = p.stderr.read().decode()
        p.wait(timeout=120)
        assert "Traceback" not in err and "BrokenPipe" not in err, (argv, err)


def test_next_leads_back_to_s4_once_bootstrap_has_made_flux_system(tmp_path, monkeypatch):
    """Issue 16: S.4 run before bootstrap is left pending ("run again after bootstrap"); once 3.2 has
    passed, `status` and the home screen lead there before the rest of Phases 3 and 4."""
    from wizard.catalog import CATALOG

    repo = make_repo(tmp_path / "repo")

    def before(state):
        for it in CATALOG:
            if it.phase in ("prep", "repo", "secrets"):
                state.item(it.id).status, state.item(it.id).checked_at = "passed", "2026-12-01T10:00:00+00:00"
        state.item("secrets.decryption").status = "pending"

    write_state(repo, before)
    code, out, _ = run_status(monkeypatch, ["--repo", str(repo), "status", "--json"], fast=True)
    assert json.loads(out)["next"]["id"] == "bootstrap.ownership"  # 3.0 comes first in Phase 3 (issue 13)

    def bootstrapped(state):
        for ref in ("bootstrap.ownership", "bootstrap.credentials", "bootstrap.run"):
            state.item(ref).status, state.item(ref).checked_at = "passed", "2026-12-01T11:00:00+00:00"

    write_state(repo, bootstrapped)
    for fast in (True, False):
        code, out, _ = run_status(monkeypatch, ["--repo", str(repo), "status"], fast=fast)
        assert code == 0 and "next: S.4 secrets.decryption" in out, out
    from wizard.engine import Engine

    session = Session.open(repo)
    session.store.load()
    assert Engine(session).next_item().id == "secrets.decryption"
