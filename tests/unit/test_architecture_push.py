"""Issue 12: the wizard pushes to git in one place, wizard/repo/push.py.

Every `git push` of the core (2.5 repo.commit-push, the Phase 5 items, rollback revert) goes
through wizard.repo.push.push(), which never forces and journals one event. This reads every
module of wizard/ with `ast` and finds the calls of a runner (`.run(…)`, `.out(…)`) that pass the
git subcommand "push", as an argument or inside an argv list. The flux CLI's own pushes (flux
bootstrap commits and pushes by itself) are not git runner calls and are not counted.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THE_ONE = "wizard/repo/push.py"
RUNNER_CALLS = {"run", "out"}


def _receiver(func: ast.expr) -> str:
    return ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""


def _passes_push(call: ast.Call) -> bool:
    for a in call.args:
        if isinstance(a, ast.Constant) and a.value == "push":
            return True
        if isinstance(a, (ast.List, ast.Tuple)) and any(isinstance(e, ast.Constant) and e.value == "push" for e in a.elts):
            return True
    return False


def git_push_calls(source: str) -> list[tuple[int, str]]:
    """(line, call) of every runner call in `source` that passes "push" (flux CLI calls aside)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr not in RUNNER_CALLS or "flux" in _receiver(node.func).lower():
            continue
        if _passes_push(node):
            found.append((node.lineno, ast.unparse(node)[:120]))
    return found


def test_git_push_is_called_only_in_wizard_repo_push():
    offenders = {}
    for f in sorted((ROOT / "wizard").rglob("*.py")):
        rel = f.relative_to(ROOT).as_posix()
        calls = git_push_calls(f.read_text())
        if calls and rel != THE_ONE:
            offenders[rel] = calls
    assert not offenders, ("git push outside wizard/repo/push.py (use wizard.repo.push.push()): "
                           + "; ".join(f"{p}:{ln}: {c}" for p, calls in offenders.items() for ln, c in calls))


def test_the_one_push_is_found_so_the_check_is_not_vacuous():
    calls = git_push_calls((ROOT / THE_ONE).read_text())
    assert len(calls) == 1 and "--porcelain" in calls[0][1], calls


def test_the_check_finds_each_way_of_spelling_a_push():
    src = '''
session.git.run("push", "--porcelain", remote, "HEAD:refs/heads/main", timeout=120)
git.out("push", "origin", "main")
self.runner.run(["git", "-C", repo, "push", "origin", "main"])
session.flux.run("bootstrap", "git", "--url=x")  # the flux CLI pushes by itself: not a git runner call
session.git.run("status", "--porcelain")
progress("pushed to origin/main")
'''
    assert [ln for ln, _ in git_push_calls(src)] == [2, 3, 4]
