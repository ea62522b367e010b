"""Private, atomic file writing.

Files that may hold secrets or state are created with their final mode (never chmod'ed
afterwards, so there is no window where others can read them, whatever the umask), and
replaced atomically: temp file in the same directory, fsync, rename, fsync of the directory.
A kill -9 at any point leaves either the old or the new file, never a truncated one.
"""
from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) as 0700 directories; tighten an existing one."""
    path = Path(path)
    for parent in reversed([path, *path.parents]):
        if not parent.exists():
            try:
                os.mkdir(parent, PRIVATE_DIR)
            except FileExistsError:
                pass
    if path.stat().st_mode & 0o077:
        os.chmod(path, PRIVATE_DIR)
    return path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_private(path: Path, data: bytes | str, *, exclusive: bool = False) -> None:
    """Write a new 0600 file (O_EXCL when `exclusive`)."""
    if isinstance(data, str):
        data = data.encode()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (os.O_EXCL if exclusive else 0)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


TEMP_SUFFIX = ".tmp"  # atomic_write's temp file: .<name>.<pid>.tmp beside the file it replaces


def stale_temp(name: str) -> bool:
    """Whether `name` is a temp file of atomic_write whose process is gone (killed before its rename)."""
    parts = name.rsplit("/", 1)[-1].split(".")
    if len(parts) < 4 or parts[0] != "" or "." + parts[-1] != TEMP_SUFFIX or not parts[-2].isdigit():
        return False
    try:
        os.kill(int(parts[-2]), 0)
        return False  # that process still runs
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False


def atomic_write(path: Path, data: bytes | str, *, mode: int = PRIVATE_FILE, before_rename=None) -> None:
    """Replace `path` atomically with `data`.

    `before_rename` is a test hook called after the temp file is fsynced and before the
    rename: it is where a kill -9 would hurt most.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode()
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(path)) from e
    try:
        os.fchmod(fd, mode)
        _write_all(fd, data)
        os.fsync(fd)
    except OSError as e:
        # A full disk or a read-only file system: no half-written temp file is left behind, and the
        # error names the file the user knows (the one being replaced, still in its previous version).
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise OSError(e.errno, e.strerror, str(path)) from e
    else:
        os.close(fd)
    try:
        if before_rename is not None:
            before_rename(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
