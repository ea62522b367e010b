"""`homelab-wizard status`: the stored progress of every item, as JSON or as text.

One builder serves both paths: the Engine (with a loaded State) and the fast path below, which
reads the state file with nothing but `json` and the catalog's metadata. `status` is what
scripts poll, so its start-up time is a benchmark target (≤ 2× `python -c "import json"`,
benchmarks/status_json.py); the dataclasses, runner and tool modules of a full Session are most
of a cold start. The fast path takes only the common case (a plain `.git` folder and a state
file that passes state_format.check, the check State.from_json makes) and hands everything else
to the full path, which owns the errors (a corrupt or newer state file, a missing repository).
tests/unit/test_status_view.py checks that both paths print the same thing.
"""
from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from .catalog import CATALOG, PHASES
from .state_format import SCHEMA, STATE_FILE, check

ICONS = {"passed": "✔", "failed": "✘", "blocked": "■", "skipped": "↷", "pending": "·", "running": "…"}
_GLOBAL_OPTIONS = ("--repo", "--kubeconfig", "--context")


def next_item(items, stored: dict):
    """The item to do next (see next_step)."""
    return next_step(items, stored)[0]


def next_step(items, stored: dict) -> tuple:
    """(the item to do next, the item it is done for first or None). The first that can run now. Candidates come in plan order, one that a passed
    item left with a step to do again (S.4 after bootstrap) first; a candidate whose prerequisites do
    not all hold yet, the catalog's or the ones it found itself (stored `needs`: 2.0 adopting a Secret
    needs S.2), leads to the first of those that can run (S.1 before S.2), so Next never names an item
    that would only refuse. When nothing can run, the first candidate is named, to show what waits."""
    by_id = {it.id: it for it in items}

    def st(i):
        return stored.get(i) or {}

    def done(i) -> bool:
        return st(i).get("status", "pending") in ("passed", "skipped")

    def after_due(it) -> bool | None:  # None: not an item with a step left for later
        if not (it.again_after and st(it.id).get("checked_at")):
            return None
        return all(st(r).get("status") == "passed" for r in it.again_after)

    def unmet(it) -> list:
        wanted = [*it.requires, *(st(it.id).get("needs") or [])]
        return [by_id[r] for r in dict.fromkeys(wanted) if r in by_id and r != it.id and not done(r)]

    def runnable(it, seen: set):
        """`it` when it can run now, else the first item that can run for it to (None: none can)."""
        if it.id in seen or it.unavailable:
            return None
        seen.add(it.id)
        missing = unmet(it)
        for dep in missing:
            found = runnable(dep, seen)
            if found is not None:
                return found
        return None if missing else it

    todo = [it for it in items if not it.unavailable and not done(it.id)]
    again = [it for it in todo if after_due(it)]
    # An item that ran and now waits for a later one (S.4 before bootstrap) is not what to do next.
    rest = [it for it in todo if after_due(it) is None or st(it.id).get("status") != "pending"]
    for it in again + rest:
        found = runnable(it, set())
        if found is not None:
            return found, (None if found is it else it)
    return (again or rest or [None])[0], None


def next_data(items, stored: dict) -> dict | None:
    """`next` of `status --json`: the item, and its stored status and message, so that a front end
    tells an item to run (pending), one that failed and one that waits on Flux apart; `for` names the
    item it is done for first, when it is a prerequisite (S.1 for 2.0)."""
    nxt, for_item = next_step(items, stored)
    if nxt is None:
        return None
    s = stored.get(nxt.id) or {}
    return {"id": nxt.id, "alias": nxt.alias, "title": nxt.title, "status": s.get("status", "pending"),
            "message": s.get("message", ""),
            "for": None if for_item is None else {"id": for_item.id, "alias": for_item.alias}}


def status_data(state: dict, items=None) -> dict:
    """The `status --json` document from a state in its file form (State.to_json())."""
    items = CATALOG if items is None else items
    stored = state.get("items") or {}
    cluster = state.get("cluster")
    phases = []
    for pid, num, title in PHASES:
        rows = []
        for it in (i for i in items if i.phase == pid):
            s = stored.get(it.id) or {}
            rows.append({"id": it.id, "alias": it.alias, "title": it.title, "status": s.get("status", "pending"),
                         "checked_at": s.get("checked_at"), "message": s.get("message", ""),
                         "evidence": s.get("evidence") or {}, "available": it.unavailable is None})
        phases.append({"id": pid, "number": num, "title": title, "items": rows})
    return {
        "schema": state.get("schema", SCHEMA), "repo": state["repo"],
        "cluster": None if not cluster else {"context": cluster["context"], "server": cluster["server"],
                                              "uid": cluster["uid"]},
        "answers": state.get("answers") or {}, "phases": phases,
        "next": next_data(items, stored),
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def status_text(data: dict) -> str:
    """The CLI's text form of `status` (answers worded as --set)."""
    from .phrasing import for_cli

    st = data["cluster"]
    lines = [f"repo: {data['repo']}",
             f"cluster: {st['context']} {st['server']} (kube-system {st['uid']})" if st else "cluster: not pinned yet"]
    for ph in data["phases"]:
        done = sum(i["status"] == "passed" for i in ph["items"])
        lines.append(f"\n{ph['number']}. {ph['title']}  ({done}/{len(ph['items'])})")
        for i in ph["items"]:
            lines.append(f"  {ICONS.get(i['status'], '?')} {i['alias']:>4} {i['id']:<28} {i['status']:<8} "
                         f"{for_cli(i['message'])}")
    nxt = data.get("next")
    if nxt:
        first = nxt.get("for")
        lines.append(f"\nnext: {nxt['alias']} {nxt['id']} ({nxt['title']})"
                     + (f", first, for {first['alias']} {first['id']}" if first else "")
                     + (f" [{nxt['status']}: {for_cli(nxt['message'])[:300]}]" if nxt.get("message") else ""))
    else:
        lines.append("\nevery available item has passed")
    return "\n".join(lines)


def emit(data: dict, as_json: bool) -> None:
    if as_json:
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(status_text(data))


# -- the fast path ---------------------------------------------------------------------------
def parse_status_argv(argv: list[str]) -> tuple[str | None, bool] | None:
    """(--repo, --json) when argv is a plain `status` command, None for anything else."""
    repo, as_json, seen = None, False, False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "status" and not seen:
            seen = True
        elif a == "--json" and seen and not as_json:
            as_json = True
        elif a in _GLOBAL_OPTIONS and not seen and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            if a == "--repo":
                repo = argv[i + 1]
            i += 1
        elif a.split("=", 1)[0] in _GLOBAL_OPTIONS and "=" in a and not seen:
            if a.startswith("--repo="):
                repo = a.split("=", 1)[1]
        else:
            return None  # --help, a typo, another command: argparse handles it
        i += 1
    return (repo, as_json) if seen else None


def read_plain_state(repo_arg: str | None) -> dict | None:
    """The state file's content for the common case, or None to let the full path decide."""
    from .paths import find_git_dirs, state_dir

    start = Path(repo_arg or os.getcwd()).expanduser()
    if not start.is_dir():
        return None
    found = find_git_dirs(start.resolve())
    if found is None:
        return None
    top, git_dir = found
    path = state_dir(git_dir) / STATE_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {"schema": SCHEMA, "repo": str(top)}
    except OSError:
        return None
    try:
        data = json.loads(raw)
        check(data)  # the same check State.from_json makes; its errors are the full path's to word
    except ValueError:
        return None
    return data


def _killed_run_left_something(state: dict) -> bool:
    """An item stored as running, or plaintext copies in the scratch folder: the full path checks
    whether a wizard is still at work and, if none is, tidies up what a killed one left."""
    if any(isinstance(v, dict) and v.get("status") == "running" for v in (state.get("items") or {}).values()):
        return True
    from .paths import repo_data_dir

    try:
        return any((repo_data_dir(Path(state["repo"])) / "scratch").iterdir())
    except (OSError, KeyError, TypeError):
        return False


def fast_status(argv: list[str]) -> int | None:
    """Run `status` without a Session when it is safe to; None hands over to the full path."""
    parsed = parse_status_argv(argv)
    if parsed is None:
        return None
    repo_arg, as_json = parsed
    state = read_plain_state(repo_arg)
    if state is None or _killed_run_left_something(state):
        return None
    emit(status_data(state), as_json)
    return 0
