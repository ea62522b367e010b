"""Each checklist item lives in one module found by its id, and its metadata is written once (issue 12)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from wizard.catalog import CATALOG, module_of

ROOT = Path(__file__).resolve().parents[2]
META = {"id", "alias", "title", "requires", "needs_cluster", "again_after"}


@pytest.mark.parametrize("lazy", CATALOG, ids=lambda it: it.id)
def test_an_item_is_found_by_its_id_and_reports_the_catalog_metadata(lazy):
    phase, name = lazy.id.split(".", 1)
    path = ROOT / "wizard" / "phases" / phase / f"{name.replace('-', '_')}.py"
    assert path.is_file(), f"{lazy.id} should live in {path.relative_to(ROOT)}"
    assert lazy.target.split(":")[0] == module_of(lazy.id)
    impl = lazy.impl()
    assert (impl.id, impl.alias, impl.title, impl.requires, impl.needs_cluster, impl.again_after) == \
        (lazy.id, lazy.alias, lazy.title, lazy.requires, lazy.needs_cluster, lazy.again_after)


def test_no_item_class_repeats_its_metadata():
    repeated = []
    for path in sorted((ROOT / "wizard" / "phases").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    names = [t.id for t in getattr(stmt, "targets", [getattr(stmt, "target", None)])
                             if isinstance(t, ast.Name)]
                    repeated += [f"{path.relative_to(ROOT)}:{stmt.lineno} {node.name}.{n}" for n in names if n in META]
    assert repeated == [], "metadata belongs in wizard/catalog.py only: " + ", ".join(repeated)


def test_an_item_does_not_build_an_engine():
    """The engine owns the cluster guard, resume, saving and skipping; an item never drives another engine."""
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "wizard" / "phases").rglob("*.py")
                 if "Engine(" in p.read_text() or "from ...engine" in p.read_text()]
    assert offenders == []


def test_2_4_says_what_it_writes_and_its_help_names_no_internal_setting():
    """Issue 15 (point 11): 2.4 writes Flux Kustomizations only (bootstrap writes the GitRepository)."""
    from wizard.catalog import item_by_ref

    item = item_by_ref("2.4")
    assert "GitRepository" not in item.title and "Kustomization" in item.title
    assert all("stateful-prune=" not in q.help for q in item.questions)
