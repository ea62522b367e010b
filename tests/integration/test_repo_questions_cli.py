"""Questions the repo raises (a duplicate that differs) in the headless CLI and in --plain.

Real git and kubectl kustomize on a temp repo, no cluster. Headless, 2.2 stops with exit 3 and lists
each question with its --set form; answered with --set it runs. The test named `fake_tty` runs
--plain in-process with a faked terminal: sys.stdin.isatty() answers True and questionary's
select (screens.plain.ask_question) returns the chosen place, as a user picking it would.
"""
from __future__ import annotations

import sys

import pytest

from tests.helpers import NO_CLUSTER, cli_env, git, make_repo, run_cli
from wizard.cli import main
from wizard.session import Session

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: web\ndata:\n  mode: {mode}\n"
SVC = "apiVersion: v1\nkind: Service\nmetadata:\n  name: old\n  namespace: web\nspec:\n  ports:\n    - port: 80\n"
KEY = "duplicate.ConfigMap/web/settings"


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "repo", {"web/settings.yaml": CM.format(mode="live"),
                                         "old/bundle.yaml": "# kept for reference\n" + CM.format(mode="stale")
                                                            + "---\n" + SVC})


@pytest.fixture
def env(tmp_path):
    return cli_env(**NO_CLUSTER, HOMELAB_WIZARD_DATA=str(tmp_path / "data"))


def test_headless_lists_each_question_with_its_set_form_then_runs_when_answered(repo, env):
    assert run_cli("--repo", str(repo), "run", "1.1", "--set", "option=a", "--yes", env=env).returncode == 0
    res = run_cli("--repo", str(repo), "run", "2.2", "--yes", env=env)
    assert res.returncode == 3, res.stdout + res.stderr
    assert "ConfigMap web/settings is defined in old/bundle.yaml:2 and in web/settings.yaml:1" in res.stderr
    assert f"--set {KEY}=<old/bundle.yaml:2 | web/settings.yaml:1>" in res.stderr
    assert git(repo, "status", "--porcelain") == ""
    res = run_cli("--repo", str(repo), "run", "2.2", "--set", f"{KEY}=web/settings.yaml:1", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    bundle = (repo / "old/bundle.yaml").read_text()
    assert bundle.startswith("# kept for reference\n") and "stale" not in bundle and "name: old" in bundle


class FakeTTY:
    def isatty(self) -> bool:
        return True

    def readline(self):  # pragma: no cover - a prompt that was not faked would end up here
        raise AssertionError("stdin was read: a prompt was not faked")


def test_fake_tty_plain_asks_the_repo_question_and_runs(repo, env, monkeypatch, capsys):
    import screens.plain

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert main(["--repo", str(repo), "run", "1.1", "--set", "option=a", "--yes"]) == 0
    asked = []

    def pick(q):
        asked.append((q.key, [v for v, _ in q.choices]))
        return "web/settings.yaml:1"

    monkeypatch.setattr(screens.plain, "ask_question", pick)
    monkeypatch.setattr(sys, "stdin", FakeTTY())
    capsys.readouterr()
    rc = main(["--repo", str(repo), "--plain", "run", "2.2", "--yes"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert asked == [(KEY, ["old/bundle.yaml:2", "web/settings.yaml:1"])]
    s = Session.open(repo)
    s.store.load()
    assert s.answers[KEY] == "web/settings.yaml:1" and s.state.item("repo.kustomizations").status == "passed"
