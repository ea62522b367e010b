"""git, run against one repository."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .base import Tool, parse_version


@dataclass
class Git(Tool):
    exe: str = "git"
    repo: Path | None = None

    def prefix(self) -> list[str]:
        return [self.exe, "-C", str(self.repo)] if self.repo else [self.exe]

    def version(self):
        return parse_version(self.runner.run([self.exe, "--version"], timeout=10).stdout)

    def out(self, *args: str, **kw) -> str:
        return self.run(*args, **kw).stdout.strip()

    def toplevel(self) -> Path | None:
        res = self.run("rev-parse", "--show-toplevel", ok_codes=(0, 128), timeout=10)
        return Path(res.stdout.strip()) if res.exit_code == 0 else None

    def git_dir(self) -> Path:
        return Path(self.out("rev-parse", "--absolute-git-dir"))

    def head(self) -> str | None:
        res = self.run("rev-parse", "--verify", "-q", "HEAD", ok_codes=(0, 1), timeout=10)
        return res.stdout.strip() or None

    def status_porcelain(self) -> list[tuple[str, str]]:
        """(XY code, path) for every modified, staged or untracked file."""
        raw = self.run("status", "--porcelain=v1", "-z", "--untracked-files=all", timeout=30).stdout
        entries, parts, i = [], raw.split("\0"), 0
        while i < len(parts):
            p = parts[i]
            if len(p) > 3:
                code, path = p[:2], p[3:]
                entries.append((code, path))
                if code[0] in "RC":  # renames carry the old path in the next field
                    i += 1
            i += 1
        return entries
