"""Every answer a core message names is a declared Question (issue 12), so each front end can ask it.

The messages say "answer KEY=…"; this collects those keys from wizard/ and checks that each is an
item's question, or raised as one with NeedsAnswers, or one of the per-object families whose
questions the core builds for each object (duplicate.<ref>, helm.<folder>, class.<folder>, …).
"""
from __future__ import annotations

import re
from pathlib import Path

from wizard.catalog import CATALOG

ROOT = Path(__file__).resolve().parents[2]
PER_OBJECT = ("duplicate.", "helm.", "helm-repo.", "helm-values.", "class.", "environment.", "adopt.", "adopt-why.",
              "crd-provider.", "keep-field.",  # issue 13, 3.0 bootstrap.ownership
              "create-namespace.", "reject.", "scope.", "namespace.")  # issue 21: namespaces, refused objects
# Not a declared question yet: 5.2's "keep this kubectl command" answer per file:line (given with
# --set or in the state); named here so that it is a known gap, not a silent one.
NOT_YET = ("keep.",)


def declared() -> set[str]:
    keys = {q.key for item in CATALOG for q in item.impl().questions}
    for path in (ROOT / "wizard").rglob("*.py"):  # raised as NeedsAnswers with an inline Question
        keys |= set(re.findall(r'Question\(\s*"([a-z][a-z0-9-]*)"', path.read_text()))
    return keys


def test_each_answer_named_in_a_message_can_be_asked():
    named = set()
    for path in (ROOT / "wizard").rglob("*.py"):
        # "answer helm-repo.<folder>=…" names the family helm-repo.; "answer secrets=…" the key secrets
        named |= {k + ("." if sep == "." else "")
                  for k, sep in re.findall(r"\banswer ([a-z][a-z0-9-]*)([=.<])", path.read_text())}
    missing = sorted(k for k in named if not k.startswith(PER_OBJECT + NOT_YET) and k not in declared())
    assert missing == [], f"answers named in messages but declared nowhere: {missing}"
