"""The one private folder where the wizard may hold plaintext copies of the repository.

A scratch worktree (repo/proof.py) and sops' working copies (secrets/owner_keys.py) hold the
repo's files, plaintext Secrets included. They live only in `<data dir>/repos/<repo>/scratch/`
(0700), which is wiped whenever a wizard takes the repository's lock and again when it lets go:
what a run removes in its `finally` survives only a SIGKILL, and the next command (`status`
included, when no other wizard holds the lock) removes that too, and unregisters the worktree
from git so `git worktree list` never names a folder full of plaintext.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from .fsutil import ensure_private_dir
from .paths import repo_data_dir
from .runner import CancelToken


def scratch_root(repo: Path) -> Path:
    """`<data dir>/repos/<repo>/scratch/`, created 0700."""
    return ensure_private_dir(repo_data_dir(repo) / "scratch")


def leftovers(repo: Path) -> list[Path]:
    """What is in the scratch folder now (without creating it)."""
    root = repo_data_dir(repo) / "scratch"
    try:
        return sorted(root.iterdir())
    except OSError:
        return []


def _registered_under(git_dir: Path, root: Path) -> bool:
    """Whether git still lists a worktree whose folder is (or was) inside `root`."""
    for gitdir_file in (Path(git_dir) / "worktrees").glob("*/gitdir"):
        try:
            if gitdir_file.read_text().strip().startswith(str(root)):
                return True
        except OSError:
            continue
    return False


def wipe(session) -> list[str]:
    """Remove every plaintext copy a run left in the scratch folder, and git's record of scratch
    worktrees; the names of what was removed. Only the holder of the lock may call it: a second
    wizard's proof may be in there otherwise."""
    root = repo_data_dir(session.repo) / "scratch"
    found = leftovers(session.repo)
    for d in found:
        if d.is_dir() and not d.is_symlink():
            shutil.rmtree(d, ignore_errors=True)
        else:
            d.unlink(missing_ok=True)
    if found or _registered_under(session.git_dir, root):
        # Its own token: this runs on the way out of a stopped job too, whose token is cancelled.
        session.git.run("worktree", "prune", ok_codes=(0, 1, 128), timeout=60, cancel=CancelToken())
    return [d.name for d in found]
