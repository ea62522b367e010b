"""The headless core (wizard/) never imports a UI toolkit (harlequin's import-hygiene test).

Each module is imported in a fresh interpreter, so one module importing Textual cannot hide
behind another that was imported first. `status --json` relies on this to start fast.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI_MODULES = ("textual", "questionary", "prompt_toolkit")


def core_modules() -> list[str]:
    mods = []
    for path in sorted((ROOT / "wizard").rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods.append(".".join(parts))
    return mods


PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {ui!r})))
"""


def test_the_core_has_modules_to_check():
    assert "wizard.engine" in core_modules() and "wizard.cli" in core_modules()


@pytest.mark.parametrize("module", core_modules())
def test_core_module_imports_no_ui(module):
    out = subprocess.run([sys.executable, "-c", PROBE.format(ui=set(UI_MODULES)), module], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"importing {module} failed:\n{out.stderr}"
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [], f"{module} pulls in UI modules: {', '.join(loaded)}"
