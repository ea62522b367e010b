"""Reading a manifest file's text the one way every item reads it.

UTF-8, with or without a byte-order mark (the mark is dropped: YAML and sops read the text after it).
Anything else is `Unreadable`, with the reason said in words a person acts on: another encoding (latin-1,
UTF-16: named, with the line of the first byte that is not UTF-8), a file over the size limit, or
something that is not a regular file (a FIFO would block a read forever). The scan, the plaintext-secret
scan and S.3 read through here, so they agree on every file.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

BOM = b"\xef\xbb\xbf"
MAX_FILE_BYTES = 5 * 1024 * 1024  # larger files are data dumps, not hand-written manifests
LIMIT_ENV = "HOMELAB_WIZARD_MAX_FILE_MIB"  # raises the limit for a run (a big CRD bundle that is a manifest)
PEEK_BYTES = 64 * 1024


class Unreadable(Exception):
    """A file the wizard does not read: `reason` completes "<file> …", `fix` says what to do, `kind` is
    one of size | encoding | special."""

    def __init__(self, kind: str, reason: str, fix: str = "", line: int | None = None):
        super().__init__(reason)
        self.kind, self.reason, self.fix, self.line = kind, reason, fix, line


def outside_link(root: Path, f: Path) -> bool:
    """A symlink whose target lies outside the repository: never read, edited or replaced."""
    if not f.is_symlink():
        return False
    try:
        f.resolve().relative_to(Path(root).resolve())
        return False
    except (ValueError, OSError, RuntimeError):
        return True


def shown(rel: str) -> str:
    """A path as it is printed: a newline or other control character escaped (\\n, \\x1b), so a message
    stays one line and names the file as a person would type it."""
    return "".join(c.encode("unicode_escape").decode() if ord(c) < 32 or ord(c) == 127 else c for c in rel)


def name_problem(rel: str) -> Unreadable | None:
    """A file whose name holds a newline or a control character: tools (sops' path rules, kustomize, the
    shell) do not match it, so it is named as the cause instead of being read."""
    if shown(rel) == rel:
        return None
    return Unreadable("name", "has a newline or control character in its name (shown escaped); it was left "
                              "untouched", "rename it (git mv) to a name without one")


def max_bytes() -> int:
    raw = os.environ.get(LIMIT_ENV, "")
    try:
        return max(int(float(raw) * 1024 * 1024), 1) if raw else MAX_FILE_BYTES
    except ValueError:
        return MAX_FILE_BYTES


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB"


def special_kind(mode: int) -> str | None:
    """What a file that is not a regular file is ('a FIFO (named pipe)', …); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def regular_size(path: Path) -> int:
    """The size of a regular file (a symlink is followed); Unreadable for anything else."""
    st = os.stat(path)
    kind = special_kind(st.st_mode)
    if kind is not None:
        raise Unreadable("special", f"is {kind}, not a regular file; it was skipped (no Flux path includes it)",
                         "nothing can be applied from it: remove it from the repository folder, or leave it")
    return st.st_size


def decode(data: bytes) -> str:
    """UTF-8 text with the byte-order mark dropped; Unreadable (naming the encoding) otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) > 1 and data[1:2] == b"\x00" and data[:1] != b"\x00"):
        raise Unreadable("encoding", "is UTF-16 encoded, not UTF-8; it was left untouched",
                         "convert it to UTF-8 (iconv -f UTF-16 -t UTF-8) and run the step again")
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise Unreadable("encoding", f"is not UTF-8 (byte 0x{data[e.start]:02x} on line {line}: latin-1 or "
                                     "Windows-1252?); it was left untouched",
                         "convert it to UTF-8 (iconv -f LATIN1 -t UTF-8 FILE > FILE.new && mv FILE.new FILE) and run "
                         "the step again", line) from None


def read_manifest(path: Path) -> str:
    """The text of a manifest file as every item reads it; Unreadable (or OSError) when it is not read."""
    size = regular_size(path)
    limit = max_bytes()
    if size > limit:
        raise Unreadable("size", f"is {_mib(size)}, over the {_mib(limit)} a file may have to be read; it was left "
                                 "untouched", f"split it into smaller files, or raise the limit for the run with "
                                              f"{LIMIT_ENV}={size // (1024 * 1024) + 1}, and run the step again")
    with open(path, "rb") as f:
        return decode(f.read())


def peek(path: Path, size: int = PEEK_BYTES) -> str:
    """The start of a file (`size` bytes), decoded leniently, to tell what it looks like and never to act on;
    '' when it is not a regular file or cannot be read."""
    try:
        regular_size(path)
        with open(path, "rb") as f:
            data = f.read(size)
    except (OSError, Unreadable):
        return ""
    try:
        return decode(data)
    except Unreadable:
        return data.decode("utf-16" if data[1:2] == b"\x00" or data[:2] in (b"\xff\xfe", b"\xfe\xff") else "latin-1",
                           errors="replace")
