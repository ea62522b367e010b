"""The pins and the build cache's layout, read from the files shipped beside this module.

build.sh (sourced by tests/testbed/build.sh) and this module are the only readers of pins.env; the
cache folder names (<component>-<version>-r<RECIPE>) are the keys an existing cache is found by.
"""
from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
PINS_FILE = HERE / "pins.env"
BUILD_SCRIPT = HERE / "build.sh"


def read_pins(path: Path = PINS_FILE) -> dict[str, str]:
    """KEY=VALUE lines (# comments, optional quotes), parsed without running a shell."""
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        out[key.strip()] = value.strip().strip('"').strip("'")
    return out


def cache_root() -> Path:
    """Same rule as build.sh: $TESTBED_CACHE, else $XDG_CACHE_HOME or ~/.cache, then homelab-wizard/testbed."""
    if os.environ.get("TESTBED_CACHE"):
        return Path(os.environ["TESTBED_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "homelab-wizard" / "testbed"


def component_dir(component: str, version_key: str, pins: dict[str, str] | None = None,
                  root: Path | None = None) -> Path:
    """Where build.sh puts `component` (its folder name, e.g. sealed-secrets) built at the pin `version_key`."""
    p = pins if pins is not None else read_pins()
    return (root or cache_root()) / f"{component}-{p[version_key]}-r{p.get('RECIPE', '1')}"
