"""The headless core (wizard/) never imports a UI toolkit (harlequin's import-hygiene test).

All core modules are imported in one fresh interpreter (the test process has Textual loaded
already). A finder at the front of `sys.meta_path` refuses every UI import and records which
core module asked for it, so one module importing Textual cannot hide behind another that
was imported first: the second still asks, is refused, and is named too. At the end no UI
module may be in `sys.modules` at all. `status --json` relies on this to start fast.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI_MODULES = ("textual", "questionary", "prompt_toolkit")


def core_modules(package: Path = ROOT / "wizard") -> list[str]:
    mods = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods.append(".".join(parts))
    return mods


REFUSED = "refused by the import probe"
PROBE = textwrap.dedent("""
    import importlib, importlib.abc, json, sys, traceback

    REFUSED = "%s"
    UI = set(sys.argv[1].split(","))
    asked = {}  # core module -> the UI modules it tried to import

    def importer():
        # The nearest frame that runs a core module's code (the import system's own frames are skipped).
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_globals.get("__name__", "")
            if name.split(".")[0] in CORE_ROOTS:
                return name
            frame = frame.f_back
        return "?"

    class RefuseUI(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            if fullname.split(".")[0] in UI:
                asked.setdefault(importer(), set()).add(fullname)
                raise ImportError(f"{fullname} is a UI module ({REFUSED})")
            return None

    modules = sys.argv[2].split(",")
    CORE_ROOTS = {m.split(".")[0] for m in modules}
    sys.meta_path.insert(0, RefuseUI())
    failed = {}
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:
            failed[module] = traceback.format_exc(limit=-3)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in UI)
    print(json.dumps({"asked": {k: sorted(v) for k, v in asked.items()}, "failed": failed, "loaded": loaded}))
""") % REFUSED


def probe(modules: list[str], cwd: Path) -> dict:
    """Import `modules` in one fresh interpreter run in `cwd`; what they asked for, what failed, what loaded."""
    out = subprocess.run([sys.executable, "-c", PROBE, ",".join(UI_MODULES), ",".join(modules)], cwd=cwd,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"the import probe itself failed:\n{out.stderr}"
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def core_probe() -> dict:
    return probe(core_modules(), ROOT)


def test_the_core_has_modules_to_check():
    assert "wizard.engine" in core_modules() and "wizard.cli" in core_modules()


def test_no_core_module_asks_for_a_ui_module(core_probe):
    asked = "\n".join(f"{mod} imports {', '.join(ui)}" for mod, ui in sorted(core_probe["asked"].items()))
    assert not core_probe["asked"], f"the core pulls in UI modules:\n{asked}"


def test_every_core_module_imports(core_probe):
    # A module that failed only because a UI import was refused is the test above's to report.
    failed = {m: tb for m, tb in core_probe["failed"].items() if REFUSED not in tb}
    assert not failed, "\n".join(f"importing {m} failed:\n{tb}" for m, tb in failed.items())


def test_no_ui_module_is_loaded_after_importing_the_whole_core(core_probe):
    assert core_probe["loaded"] == []


def test_the_probe_names_each_module_that_imports_a_ui_module_even_after_another_did(tmp_path):
    """The probe is trustworthy: two modules importing Textual, the second after the first, are both named."""
    pkg = tmp_path / "fakecore"
    (pkg / "ui").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "first.py").write_text("import textual.app\n")
    (pkg / "ui" / "__init__.py").write_text("")
    (pkg / "ui" / "second.py").write_text("def f():\n    pass\n\nfrom textual import widgets  # noqa\n")
    (pkg / "clean.py").write_text("import json\n")
    result = probe(core_modules(pkg), tmp_path)
    assert result["asked"] == {"fakecore.first": ["textual"], "fakecore.ui.second": ["textual"]}
    assert set(result["failed"]) == {"fakecore.first", "fakecore.ui.second"}
    assert result["loaded"] == []
