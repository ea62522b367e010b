"""Import contracts of the core and its front ends (issue 12), checked with import-linter.

`.importlinter` at the repo root holds the contracts: the core (wizard/) imports neither
`screens` nor a UI toolkit, `screens` does not import the headless CLI (wizard.cli), and no
module of wizard outside wizard.cli imports wizard.cli. import-linter reads static imports only,
so the one deferred import of the screens, in wizard/launch.py, is checked here with `ast`.
tests/unit/test_core_has_no_ui_imports.py probes the same boundary at runtime.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
LAUNCH = Path("wizard/launch.py")
# lint-imports without relying on a bin/ directory: the console script's own entry point.
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
CONTRACT_NAMES = (
    "The core (wizard) imports neither the screens nor a UI toolkit",
    "The screens do not import the headless CLI front end (wizard.cli)",
    "The core (wizard.* outside wizard.cli) does not import wizard.cli",
    "wizard/__init__.py does not import wizard.cli",
    "The screens do not import the item modules (wizard.phases)",
)


def lint_imports(cwd: Path, config: Path) -> subprocess.CompletedProcess:
    """Run lint-imports in `cwd` (its root packages are found there); no cache written to the tree."""
    env = dict(os.environ, PYTHONPATH=str(cwd), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo", str(config)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def report(out: subprocess.CompletedProcess) -> str:
    return f"lint-imports exited {out.returncode}\n--- stdout ---\n{out.stdout}\n--- stderr ---\n{out.stderr}"


def test_import_contracts_are_kept():
    out = lint_imports(ROOT, CONFIG)
    assert out.returncode == 0, report(out)
    for name in CONTRACT_NAMES:
        assert f"{name} KEPT" in out.stdout, report(out)


# --- the one deferred import of the screens -----------------------------------------------------

DYNAMIC_IMPORTS = {"import_module", "__import__"}  # importlib.import_module, import_module, __import__, importlib.__import__
SCREENS_PATH = re.compile(r"screens(\.|:|$)")  # "screens", "screens.entry", "screens.app:App"


def names_screens(module: str | None) -> bool:
    return module is not None and (module == "screens" or module.startswith("screens."))


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def screens_references(tree: ast.Module) -> list[tuple[int, str, bool]]:
    """Every place a module names `screens`: (line, what, inside a function)."""
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if names_screens(alias.name):
                    found.append((node.lineno, f"import {alias.name}", in_function))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and names_screens(node.module):
                found.append((node.lineno, f"from {node.module} import ...", in_function))
        elif isinstance(node, ast.Call) and _call_name(node) in DYNAMIC_IMPORTS and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.startswith("screens"):
                found.append((node.lineno, f"{_call_name(node)}({arg.value!r})", in_function))
                seen_constants.add(id(arg))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in seen_constants
              and id(node) not in docstrings and SCREENS_PATH.match(node.value)):
            # a module path kept in a string, to be imported elsewhere (name = "screens.x"; import_module(name))
            found.append((node.lineno, f"string {node.value!r}", in_function))
        inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    seen_constants: set[int] = set()
    docstrings = _docstrings(tree)
    visit(tree, False)
    return found


def wizard_references() -> dict[Path, list[tuple[int, str, bool]]]:
    refs = {}
    for path in sorted((ROOT / "wizard").rglob("*.py")):
        rel = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
        if found := screens_references(tree):
            refs[rel] = found
    return refs


def test_the_ast_check_finds_each_way_of_naming_screens():
    source = '''
"""screens: a docstring is not an import."""
import importlib
from importlib import import_module
import screens
import screens.app as app
from screens.entry import start
from screens import entry
import screensaver
TARGET = "screens.app:App"
MESSAGE = "the wizard's screens need a terminal"
def later():
    importlib.import_module("screens.entry")
    import_module("screens")
    __import__("screens.plain")
'''
    found = screens_references(ast.parse(source))
    assert [what for _, what, _ in found] == [
        "import screens", "import screens.app", "from screens.entry import ...", "from screens import ...",
        "string 'screens.app:App'",
        "import_module('screens.entry')", "import_module('screens')", "__import__('screens.plain')"]
    assert [inside for *_, inside in found] == [False] * 5 + [True] * 3


def test_only_launch_names_screens_in_one_deferred_call():
    refs = wizard_references()
    others = {str(path): found for path, found in refs.items() if path != LAUNCH}
    assert others == {}, f"only {LAUNCH} may name screens; also found in: {others}"
    launch = refs.get(LAUNCH, [])
    assert len(launch) == 1, f"{LAUNCH} must reach screens through exactly one call, found {launch}"
    line, what, in_function = launch[0]
    assert what.startswith("import_module('screens"), f"{LAUNCH}:{line}: {what} is not a deferred import_module call"
    assert in_function, f"{LAUNCH}:{line}: {what} runs at import time; it must stay inside a function"


# --- the contracts can fail ---------------------------------------------------------------------

def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_contracts_fail_on_a_tree_that_breaks_them(tmp_path):
    """The same config, on a tiny fake tree that breaks every contract: lint-imports exits non-zero."""
    _write(tmp_path, {
        "wizard/__init__.py": "import screens\nfrom wizard import cli\n",
        "wizard/cli/__init__.py": "",
        "wizard/fake_core.py": "import textual\nfrom wizard.cli import main\n",
        "wizard/phases/__init__.py": "",
        "screens/__init__.py": "import wizard.cli\nimport wizard.phases\n",
    })
    shutil.copy(CONFIG, tmp_path / ".importlinter")
    out = lint_imports(tmp_path, tmp_path / ".importlinter")
    assert out.returncode != 0, report(out)
    for name in CONTRACT_NAMES:
        assert f"{name} BROKEN" in out.stdout, report(out)
    assert "wizard.fake_core -> textual" in out.stdout, report(out)  # it read the fake tree, not the repo


def test_the_contracts_allow_what_the_front_ends_need(tmp_path):
    """wizard.cli may import the core and itself; launch may reach screens through a deferred call."""
    _write(tmp_path, {
        "wizard/__init__.py": "",
        "wizard/fake_core.py": "import json\n",
        "wizard/phases/__init__.py": "",
        "wizard/views.py": "from wizard import phases\n",
        "wizard/launch.py": "import importlib\ndef start():\n    return importlib.import_module('screens.entry')\n",
        "wizard/cli/__init__.py": "from wizard import fake_core, launch\nfrom . import commands\n",
        "wizard/cli/commands.py": "from wizard import cli\nfrom ..fake_core import json\n",
        "screens/__init__.py": "",
        "screens/entry.py": "import textual\nimport questionary\nfrom wizard import fake_core, views\n",
    })
    shutil.copy(CONFIG, tmp_path / ".importlinter")
    out = lint_imports(tmp_path, tmp_path / ".importlinter")
    assert out.returncode == 0, report(out)
