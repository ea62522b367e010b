"""Where the wizard keeps things, none of it inside the work tree.

- state, lock and audit log: `<git dir>/homelab-wizard/` (with the repo, never committed);
- backups and keys: the user's data directory, one folder per repository, 0700.
"""
from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath


def norm_repo_path(p: str) -> str:
    """A repo-relative POSIX path without ./, .. or a trailing slash ('' for the root)."""
    parts: list[str] = []
    for x in PurePosixPath(p).parts:
        if x in (".", "/"):
            continue
        if x == "..":
            if parts:
                parts.pop()
            continue
        parts.append(x)
    return "/".join(parts)


def under(path: str, folder: str) -> bool:
    """Whether the repo path `path` is `folder` or below it ("", "." and "./" are the repo root)."""
    folder = folder.strip("/").removeprefix("./")
    return folder in ("", ".") or path == folder or path.startswith(folder + "/")


def data_home() -> Path:
    return Path(os.environ.get("HOMELAB_WIZARD_DATA") or Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "homelab-wizard")


def tools_bin() -> Path:
    """Where `doctor --install-tools` puts flux and kubeseal; on the wizard's PATH after the user's own."""
    return data_home() / "bin"


def repo_key(repo: Path) -> str:
    """A readable, unique folder name for a repository: its name plus a hash of its path."""
    import hashlib  # here: `status` never needs it, and its start-up time is a benchmark target

    repo = Path(repo).resolve()
    name = re.sub(r"[^A-Za-z0-9._-]", "-", repo.name) or "repo"
    return f"{name}-{hashlib.sha256(str(repo).encode()).hexdigest()[:8]}"


def repo_data_dir(repo: Path) -> Path:
    return data_home() / "repos" / repo_key(repo)


def backups_dir(repo: Path) -> Path:
    return repo_data_dir(repo) / "backups"


def state_dir(git_dir: Path) -> Path:
    return Path(git_dir) / "homelab-wizard"


# Variables that point git at another repository, index or work tree than the one the user named.
# A shell that exported one (a bare-repo dotfiles setup, a half-finished script) would send the
# wizard's state, lock, audit log and `git add` into that other repository: every git call the
# runner makes goes without them, and the CLI says once which ones it ignores.
REDIRECTING_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
                       "GIT_NAMESPACE")


def redirecting_git_env(environ=None) -> list[str]:
    """The names of REDIRECTING_GIT_ENV set (non-empty) in `environ` (default: this process's)."""
    environ = os.environ if environ is None else environ
    return [k for k in REDIRECTING_GIT_ENV if environ.get(k)]


def find_git_dirs(start: Path) -> tuple[Path, Path] | None:
    """(work tree, git dir) for the common case of a plain `.git` folder, without running git.

    Returns None for anything else (worktrees, submodules, GIT_DIR set, no repo): the caller
    then asks git itself, which knows every layout.
    """
    if redirecting_git_env():  # the full path says it ignores them, then asks git
        return None
    for d in (start, *start.parents):
        dot = d / ".git"
        if dot.is_dir() and (dot / "HEAD").is_file():
            return d, dot
        if dot.exists():
            return None
    return None
