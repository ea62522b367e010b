"""Files in the work tree that are not the repository's own content as Flux would read it.

- a git submodule (or any nested repository): a repository of its own, which the wizard never moves or
  edits (a `git mv` or a sops edit inside it fails, or changes another repository): its YAML files are named
  and left out;
- a gitignored file: in no commit, so Flux never sees it (and the scratch copy of the repository has no
  copy of it): named with the .gitignore line that ignores it, and left out;
- a git-lfs pointer: the file itself is not in the work tree (git-lfs is not installed, or `git lfs pull`
  was not run): named, and blocks like an unreadable manifest.

`LFS_OFF` is the git configuration that keeps git-lfs pointers as they are when git-lfs is not installed
(every git call would fail on a required lfs filter otherwise, with a raw error).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

LFS_POINTER = "version https://git-lfs.github.com/spec/"
LFS_OFF = {"filter.lfs.required": "false", "filter.lfs.process": "", "filter.lfs.smudge": "",
           "filter.lfs.clean": ""}
_YAML = (".yaml", ".yml", ".json")


def is_nested_repo(folder: Path) -> bool:
    return (folder / ".git").exists()


def nested_repo_note(root: Path, folder: Path) -> str | None:
    """What the scan says about a nested repository below the root (None when it holds no YAML)."""
    n = 0
    for _, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        n += sum(1 for f in filenames if f.endswith(_YAML))
        if n > 9999:
            break
    if not n:
        return None
    what = "a git submodule" if (folder / ".git").is_file() else "a git repository of its own inside this one"
    return (f"is {what}, holding {n} YAML file(s); the wizard never moves or edits another repository, so they "
            "are left out of Flux (keep applying them as before, or copy them into this repository)")


def git_env() -> dict[str, str]:
    from ..paths import REDIRECTING_GIT_ENV

    env = {k: v for k, v in os.environ.items() if k not in REDIRECTING_GIT_ENV}
    env.update({"LC_ALL": "C.UTF-8", "GIT_TERMINAL_PROMPT": "0"})
    return env


def ignored(root: Path, rels: list[str]) -> dict[str, str]:
    """{rel: "<.gitignore>:<line> (<pattern>)"} for the files git ignores; {} outside a git work tree."""
    if not rels:
        return {}
    try:
        res = subprocess.run(["git", "-C", str(root), "check-ignore", "-v", "-z", "--stdin"],
                             input="\0".join(rels) + "\0", capture_output=True, text=True, env=git_env(), timeout=60)
    except (OSError, subprocess.SubprocessError):
        return {}
    if res.returncode != 0:
        return {}
    parts = res.stdout.split("\0")
    out = {}
    for i in range(0, len(parts) - 3, 4):
        source, line, pattern, path = parts[i:i + 4]
        if source:  # a negated pattern that matched names its source too, but then the file is not ignored
            out[path] = f"{source}:{line}: {pattern}"
    return out


def ignored_note(rule: str) -> str:
    return (f"is ignored by git ({rule}), so it is in no commit and Flux never sees it; it was left out (to have Flux "
            "apply it, remove that rule and commit the file; a Secret: encrypt it first)")


LFS_NOTE = ("is a git-lfs pointer, not the file itself (git-lfs is not installed, or 'git lfs pull' was not run); "
            "it was left untouched")
LFS_FIX = "install git-lfs (then run 'git lfs pull') and run the step again"


def lfs_missing(path_env: str | None = None) -> bool:
    return shutil.which("git-lfs", path=path_env) is None


def lfs_off_env(env: dict[str, str]) -> None:
    """Add LFS_OFF to `env` (GIT_CONFIG_COUNT entries, after any the user set) when git-lfs is missing."""
    if not lfs_missing(env.get("PATH")):
        return
    try:
        n = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    except ValueError:
        return
    for i, (k, v) in enumerate(LFS_OFF.items(), n):
        env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = k, v
    env["GIT_CONFIG_COUNT"] = str(n + len(LFS_OFF))
