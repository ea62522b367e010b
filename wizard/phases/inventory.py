"""1.3 prep.inventory: every deployed object matched to its manifest, as a Markdown report."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from ..checklist import Item, Plan, Question, Step, Verdict
from ..cluster.inventory import body_of, build_inventory, render_markdown, summary
from ..cluster.listing import list_cluster
from ..fsutil import atomic_write
from ..repo.scan import scan
from ..session import UsageError

REPORT = Question("inventory-path", "Where to write the inventory report (inside the repo)",
                  default="docs/cluster-inventory.md")


def report_path(session):
    rel = session.answers.get("inventory-path", REPORT.default)
    path = (session.repo / rel).resolve()
    if session.repo not in path.parents:
        raise UsageError(f"inventory-path={rel!r} points outside the repository {session.repo}; give a path inside it.")
    return rel, path


def compute(session):
    listing = list_cluster(session.kubectl, cancel=session.cancel)
    result = scan(session.repo)
    rows = build_inventory(listing, result)
    return rows, result


class Inventory(Item):
    id = "prep.inventory"
    alias = "1.3"
    title = "Inventory: every deployed resource matched to the repo"
    requires = ("prep.preflight",)
    needs_cluster = True
    questions = (REPORT,)

    def verify(self, session) -> Verdict:
        ident = session.ensure_same_cluster()
        rel, path = report_path(session)
        if not path.is_file():
            return Verdict("pending", f"{rel} does not exist yet; run prep.inventory")
        rows, result = compute(session)
        fresh = render_markdown(rows, ident.describe(), "")
        evidence = {"report": rel, "summary": summary(rows), "scan_errors": [str(e) for e in result.errors][:20]}
        if body_of(path.read_text()) != body_of(fresh):
            return Verdict("failed", f"{rel} no longer matches the cluster and the repo; run prep.inventory again "
                                     "to refresh it", evidence)
        s = summary(rows)
        return Verdict("passed", f"{rel} lists {len(rows)} objects: " + ", ".join(f"{v} {k}" for k, v in sorted(s.items())),
                       evidence)

    def plan(self, session) -> Plan:
        ident = session.ensure_same_cluster()
        rel, path = report_path(session)
        rows, result = compute(session)
        s = summary(rows)
        steps = [Step("info", "Matched " + ", ".join(f"{v} {k}" for k, v in sorted(s.items()))),
                 Step("write", f"{'Replace' if path.exists() else 'Write'} {rel}",
                      "\n".join(f"{r.key}  —  {r.status}" for r in rows[:40]) + ("\n…" if len(rows) > 40 else ""))]
        if result.errors:
            steps.insert(1, Step("info", f"{len(result.errors)} files could not be read", "\n".join(map(str, result.errors))))
        return Plan(self.id, f"Inventory of {ident.describe()} against {session.repo.name}", steps, changes="repo",
                    data={"path": rel})

    def apply(self, session, plan: Plan, progress) -> None:
        ident = session.ensure_same_cluster()
        rel, path = report_path(session)
        rows, _ = compute(session)
        text = render_markdown(rows, ident.describe(), datetime.now(timezone.utc).isoformat(timespec="seconds"))
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text, mode=0o644)
        session.state.record("wrote", item=self.id, path=rel, sha256=hashlib.sha256(text.encode()).hexdigest())
        session.store.save()
        progress(f"wrote {rel} ({len(rows)} objects)")
