"""1.3 prep.inventory: every deployed object matched to its manifest, as a Markdown report."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from ...journal import Kind
from ...checklist import Item, Plan, Question, Step, Verdict
from ...cluster.inventory import body_of, build_inventory, render_markdown, summary
from ...cluster.listing import cluster_listing, key_of
from ...fsutil import atomic_write
from ...repo.scan import scan
from ...repo.validate import keystr, parse_keystr
from ...session import UsageError

FLUX = "managed by Flux"
FLUX_NS = "flux-system"

REPORT = Question("inventory-path", "Where to write the inventory report (inside the repo)",
                  default="docs/cluster-inventory.md")


def report_path(session):
    rel = session.answers.get("inventory-path", REPORT.default)
    path = (session.repo / rel).resolve()
    if session.repo not in path.parents:
        raise UsageError(f"inventory-path={rel!r} points outside the repository {session.repo}; give a path inside it.")
    return rel, path


def compute(session):
    rows, result, _ = compute_with_owners(session)
    return rows, result


def compute_with_owners(session):
    """(rows, scan, {object: who makes it}) — the last for live objects another owner makes (a Helm
    release, a controller, a StatefulSet's claim templates), as 2.0 finds them."""
    from ...cluster.adopt import made_by_owners

    listing = cluster_listing(session)
    result = scan(session.repo)
    rows = build_inventory(listing, result)
    owners = made_by_owners({key_of(o): o for o in listing.objects + listing.flux_owned})
    return rows, result, {keystr(k): why for k, why in owners.items()}


LIVE = ("in repo", "only in cluster", FLUX)
IN_REPO = ("in repo", "only in repo", FLUX)


def left_out_by_answer(answers: dict) -> set[tuple[str, str]]:
    """(kind, name) of the objects the owner chose to leave out of git at 2.x (a removed API version,
    an object the API server refuses): the cluster never had them, and 2.2 took them out of the repo."""
    out = set()
    for k, v in answers.items():
        prefix, _, ref = k.partition(".")
        if prefix in ("api-upgrade", "reject") and v == "exclude" and ref.count("/") >= 2:
            kind, _, rest = ref.partition("/")
            out.add((kind, rest.rsplit("/", 1)[-1]))
    return out


def still_true(stored: dict[str, str], rows, made_by_owner: dict[str, str] | None = None,
               left_out: set[tuple[str, str]] = frozenset()) -> list[str]:
    """What makes the stored inventory untrue now, by object identity, never by path: the later
    phases move files (Phase 2), bring objects into the repo (2.0) and hand them to Flux (Phases 3-4),
    which the report expects. So do new objects another owner makes (`made_by_owner`): a Helm
    release that 2.0 adopted gets a new revision record when helm-controller upgrades it."""
    made_by_owner = made_by_owner or {}
    fresh = {keystr(r.key): r.status for r in rows}
    # A manifest with no namespace was keyed by where it would land; once Flux applies it where Phase 2
    # placed it (an overlay's namespace), the same file keys there: the same object, not a lost one.
    placed = {(k.group, k.kind, k.name) for k in map(parse_keystr, fresh)}
    out = []
    for key, was in stored.items():
        now = fresh.get(key)
        if now is None:
            k = parse_keystr(key)
            if was == "only in repo" and (k.kind, k.name) in left_out:
                continue  # never in the cluster, and left out of git by the owner's answer at 2.x
            if was == "only in repo" and (k.group, k.kind, k.name) in placed:
                continue
            out.append(f"{key} is gone from the cluster and the repo")
        elif was in LIVE and now not in LIVE:
            out.append(f"{key} is no longer in the cluster")
        elif was in ("in repo", "only in repo") and now not in IN_REPO:
            out.append(f"{key} is no longer in the repo")
    for key, now in fresh.items():
        # New and made by Flux from git, new in flux-system (bootstrap's git credentials, S.4's
        # sops-age), or new in git only (Phase 2's Flux manifests before bootstrap): expected. New
        # in the cluster by other hands: not in the report.
        if key not in stored and now in ("in repo", "only in cluster") and parse_keystr(key).namespace != FLUX_NS \
                and key not in made_by_owner:
            out.append(f"{key} is new in the cluster")
    return out


class Inventory(Item):
    questions = (REPORT,)

    def verify(self, session) -> Verdict:
        ident = session.ensure_same_cluster()
        rel, path = report_path(session)
        if not path.is_file():
            return Verdict("pending", f"{rel} does not exist yet; run prep.inventory")
        rows, result, owners = compute_with_owners(session)
        fresh = render_markdown(rows, ident.describe(), "")
        evidence = {"report": rel, "summary": summary(rows), "scan_errors": [str(e) for e in result.errors][:20]}
        stored = self._stored_rows(session, rel)
        if stored is None:  # written by an older version: the report's text is all there is
            changed = ["the report's text differs"] if body_of(path.read_text()) != body_of(fresh) else []
        else:
            changed = still_true(stored, rows, owners, left_out_by_answer(session.answers))
        evidence["changed"] = changed[:20]
        if changed:
            return Verdict("failed", f"{rel} no longer matches the cluster and the repo ({len(changed)}: "
                                     f"{'; '.join(changed[:3])}); run prep.inventory again to refresh it", evidence)
        s = summary(rows)
        return Verdict("passed", f"{rel} lists {len(rows)} objects: " + ", ".join(f"{v} {k}" for k, v in sorted(s.items())),
                       evidence)

    def _stored_rows(self, session, rel: str) -> dict[str, str] | None:
        last = next((e for e in reversed(session.state.journal)
                     if e.get("action") == Kind.INVENTORY_WROTE and e.get("item") == self.id and e.get("path") == rel), None)
        return last.get("rows") if last else None

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
        session.state.record(Kind.INVENTORY_WROTE, item=self.id, path=rel, sha256=hashlib.sha256(text.encode()).hexdigest(),
                             rows={keystr(r.key): r.status for r in rows})
        session.store.save()
        progress(f"wrote {rel} ({len(rows)} objects)")
