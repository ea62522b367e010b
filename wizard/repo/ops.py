"""Plan operations (mkdir, git mv, write a file, edit a file) and applying them resumably.

Every operation is a plain dict (it is stored in the journal) and individually idempotent:
it checks whether it is already done (a move whose sources are gone and targets exist, a
file whose content already matches, an edit that changes nothing) before acting. Applying
records a begin entry with all operations, one entry before and after each operation, and a
done entry with the resulting index tree, so that after a kill -9 the next run finds the
half-applied plan, finishes it, and nothing is done twice.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import sys
import time
from pathlib import Path, PurePosixPath

from ..checklist import Step
from ..fsutil import atomic_write
from ..session import Blocked, WizardError
from . import gitstate
from .yamledit import apply_transform

GIT_BATCH = 200  # paths per git command
PAUSE_ENV = "HOMELAB_WIZARD_TEST_PAUSE_AFTER_OP"  # test hook: "<item>:<n>" sleeps after op n


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def op_mkdir(path: str) -> dict:
    return {"op": "mkdir", "path": path}


def op_move(src: str, dest: str, files: list[str] | None, whole: bool) -> dict:
    """Move a folder (`whole`) or the listed files of a folder into `dest`."""
    return {"op": "move", "src": src, "dest": dest, "files": files or [], "whole": whole}


def op_write(path: str, content: str) -> dict:
    return {"op": "write", "path": path, "content": content, "sha256": sha(content)}


def op_edit(path: str, transform: str, **args) -> dict:
    return {"op": "edit", "path": path, "transform": transform, "args": args}


def op_remove(path: str) -> dict:
    """git rm a file (a hand-written manifest replaced by a HelmRelease scaffold)."""
    return {"op": "remove", "path": path}


def touched_paths(ops: list[dict]) -> set[str]:
    out: set[str] = set()
    for o in ops:
        if o["op"] == "move":
            out.update({o["src"], o["dest"], *o["files"]})
            out.update(f"{o['dest']}/{PurePosixPath(f).name}" for f in o["files"])
        else:
            out.add(o["path"])
    return out


# -- preview ------------------------------------------------------------------------------------
def _diff(old: str, new: str, path: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))


def preview_steps(repo: Path, ops: list[dict]) -> list[Step]:
    steps = []
    for o in ops:
        if o["op"] == "mkdir":
            steps.append(Step("mkdir", f"create the folder {o['path']}/"))
        elif o["op"] == "move":
            if o["whole"]:
                steps.append(Step("move", f"git mv {o['src']} {o['dest']}"))
            else:
                names = ", ".join(PurePosixPath(f).name for f in o["files"][:8]) + (" …" if len(o["files"]) > 8 else "")
                steps.append(Step("move", f"git mv {len(o['files'])} files {o['src']}/ → {o['dest']}/", names))
        elif o["op"] == "write":
            f = repo / o["path"]
            if f.is_file():
                steps.append(Step("edit", f"rewrite {o['path']}", _diff(f.read_text(), o["content"], o["path"])))
            else:
                steps.append(Step("write", f"write {o['path']}", o["content"]))
        elif o["op"] == "edit":
            f = repo / o["path"]
            old = f.read_text()
            new = apply_transform(old, o["transform"], o["args"], o["path"])
            steps.append(Step("edit", f"edit {o['path']} ({o['transform']})", _diff(old, new, o["path"])))
        elif o["op"] == "remove":
            f = repo / o["path"]
            old = f.read_text() if f.is_file() else ""
            steps.append(Step("command", f"git rm {o['path']}", _diff(old, "", o["path"])))
    return steps


# -- done checks ----------------------------------------------------------------------------------
def is_done(repo: Path, o: dict) -> bool:
    if o["op"] == "mkdir":
        return (repo / o["path"]).is_dir()
    if o["op"] == "move":
        if o["whole"]:
            return not (repo / o["src"]).exists() and (repo / o["dest"]).is_dir()
        return all(not (repo / f).exists() and (repo / o["dest"] / PurePosixPath(f).name).exists() for f in o["files"])
    if o["op"] == "write":
        f = repo / o["path"]
        return f.is_file() and sha(f.read_text()) == o["sha256"]
    if o["op"] == "edit":
        f = repo / o["path"]
        old = f.read_text()
        return apply_transform(old, o["transform"], o["args"], o["path"]) == old
    if o["op"] == "remove":
        return not (repo / o["path"]).exists()
    raise ValueError(o["op"])


def _nearest_dir(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path if path.is_dir() else path.parent


def unwritable(session, ops: list[dict]) -> list[str]:
    """Folders and files the ops would change that cannot be written (read-only, immutable): checked
    before the first change, so a plan never stops half-way on them."""
    repo = session.repo
    targets: set[Path] = {session.git_dir}
    for o in ops:
        if o["op"] == "move":
            targets |= {_nearest_dir(repo / o["src"]), _nearest_dir((repo / o["dest"]).parent)}
            targets |= {(repo / f).parent for f in o["files"]}
        else:
            p = repo / o["path"]
            targets.add(_nearest_dir(p.parent))
            if p.exists() and o["op"] in ("edit", "write"):
                targets.add(p)
    return sorted(str(t.relative_to(repo)) if t.is_relative_to(repo) else str(t)
                  for t in targets if t.exists() and not os.access(t, os.W_OK))


# -- apply ------------------------------------------------------------------------------------------
def _stage(session, paths: list[str]) -> None:
    """Bring the index in line with the work tree for these paths where a move left them apart (a git mv
    killed half-way: a file gone from its old place, or not yet known at its new one). A file the user
    edited meanwhile (modified, not moved) is left unstaged: the wizard stages only what it moved."""
    paths = [p for p in paths if p]
    for i in range(0, len(paths), GIT_BATCH):
        moved = [p for c, p in _porcelain(session, paths[i:i + GIT_BATCH]) if c[1] == "D" or c == "??"]
        if moved:
            session.git.run("add", "-A", "--", *moved)


def _porcelain(session, batch: list[str]) -> list[tuple[str, str]]:
    raw = session.git.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *batch).stdout
    out, parts, i = [], raw.split("\0"), 0
    while i < len(parts):
        p = parts[i]
        if len(p) > 3:
            out.append((p[:2], p[3:]))
            if p[0] in "RC":
                i += 1
        i += 1
    return [(c, p) for c, p in out if c[1] != " " or c == "??"]


def run_op(session, o: dict) -> None:
    repo = session.repo
    if o["op"] == "mkdir":
        (repo / o["path"]).mkdir(parents=True, exist_ok=True)
        return
    if o["op"] == "move":
        src, dest = repo / o["src"], repo / o["dest"]
        if o["whole"]:
            if src.exists() and dest.exists():
                raise Blocked(f"cannot move {o['src']} to {o['dest']}: {o['dest']} already exists; move or remove it, "
                              "then run the item again.")
            if src.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                session.git.run("mv", "--", o["src"], o["dest"])
            _stage(session, [o["src"], o["dest"]])
            return
        dest.mkdir(parents=True, exist_ok=True)
        todo = []
        for f in o["files"]:
            target = dest / PurePosixPath(f).name
            if (repo / f).exists():
                if target.exists():
                    raise Blocked(f"cannot move {f} to {o['dest']}/: a file {target.name} is already there; rename one "
                                  "of them, then run the item again.")
                todo.append(f)
        for i in range(0, len(todo), GIT_BATCH):
            session.git.run("mv", "--", *todo[i:i + GIT_BATCH], o["dest"] + "/")
        _stage(session, [*o["files"], *(f"{o['dest']}/{PurePosixPath(f).name}" for f in o["files"])])
        _prune_empty(repo, src)
        return
    if o["op"] == "write":
        f = repo / o["path"]
        f.parent.mkdir(parents=True, exist_ok=True)
        if not (f.is_file() and sha(f.read_text()) == o["sha256"]):
            atomic_write(f, o["content"], mode=0o644)
        session.git.run("add", "--", o["path"])
        return
    if o["op"] == "edit":
        f = repo / o["path"]
        old = f.read_text()
        new = apply_transform(old, o["transform"], o["args"], o["path"])
        if new != old:
            atomic_write(f, new, mode=f.stat().st_mode & 0o777)
        session.git.run("add", "--", o["path"])
        return
    if o["op"] == "remove":
        if (repo / o["path"]).exists():
            tracked = session.git.run("ls-files", "--error-unmatch", "--", o["path"], ok_codes=(0, 1)).exit_code == 0
            if tracked:
                session.git.run("rm", "-q", "-f", "--", o["path"])
            else:
                (repo / o["path"]).unlink()
        _stage(session, [o["path"]])
        return
    raise ValueError(o["op"])


def _prune_empty(repo: Path, folder: Path) -> None:
    while folder != repo and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def apply_ops(session, item_id: str, ops: list[dict], progress, resume: dict | None = None) -> None:
    """Apply `ops` for `item_id`, journaled; with `resume`, finish that interrupted apply instead."""
    st = session.state
    blocked = unwritable(session, ops if resume is None else resume["ops"])
    if blocked:
        raise Blocked(f"{item_id} would change files in {', '.join(blocked[:8])}, which cannot be written (read-only?); "
                      "nothing was changed. Make them writable, then run the item again.")
    if resume is None:
        st.record(gitstate.APPLY, item=item_id, phase="begin", base_head=gitstate.head(session), ops=ops)
        session.store.save()
    else:
        ops = resume["ops"]
        progress(f"finishing the interrupted run of {item_id} (started {resume['at']})")
    pause = os.environ.get(PAUSE_ENV, "")
    for n, o in enumerate(ops, 1):
        label = o.get("path") or f"{o.get('src')} → {o.get('dest')}"
        if is_done(session.repo, o):
            if o["op"] == "move":
                run_op(session, o)  # make sure the index caught up with a move killed half-way
            st.record(gitstate.OP, item=item_id, n=n, phase="already-done", op=o["op"], target=label)
            session.store.save()
            continue
        st.record(gitstate.OP, item=item_id, n=n, phase="before", op=o["op"], target=label)
        session.store.save()
        try:
            run_op(session, o)
        except WizardError:
            raise
        st.record(gitstate.OP, item=item_id, n=n, phase="after", op=o["op"], target=label)
        session.store.save()
        progress(f"{o['op']} {label}")
        if pause == f"{item_id}:{n}":
            print(f"PAUSED {item_id}:{n}", flush=True)
            sys.stdout.flush()
            time.sleep(3600)
    tree = gitstate.index_tree(session)
    base = resume["base_head"] if resume else gitstate.head(session)
    st.record(gitstate.APPLY, item=item_id, phase="done", base_head=base, tree=tree)
    session.store.save()


def moves_from_journal(session) -> dict[str, str]:
    """Folder moves the wizard made: new folder -> old folder."""
    out: dict[str, str] = {}
    done_items = set()
    for e in session.state.journal:
        if e.get("action") == gitstate.APPLY and e.get("phase") == "begin":
            for o in e.get("ops", []):
                if o["op"] == "move":
                    out[o["dest"]] = o["src"]
        done_items.add(e.get("item"))
    out.update(getattr(session, "scratch_moves", None) or {})
    return out
