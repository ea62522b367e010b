"""`homelab-wizard doctor --install-tools`: the pinned flux, kubeseal and age for a machine that lacks them.

The wizard's dependencies bring kubectl and sops (PyPI wheels) but not these. flux and kubeseal are
built from the Go module proxy with the recipe and pins shipped in the package (wizard/toolchain),
into the build cache the testbed shares, and copied into the wizard's data dir (<data>/bin), which
the runner adds to PATH after the user's own tools. A cached build is reused as it is. age comes
from the system's package manager when it is one the wizard may use (Homebrew: no root, no password),
and otherwise from its Go module (filippo.io/age) like the others.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ..paths import tools_bin
from ..session import Blocked
from ..toolchain.pins import BUILD_SCRIPT, cache_root, component_dir, read_pins

# tool -> (the build.sh component, its version pin, the cache folder's name)
TOOLS = {"flux": ("flux", "FLUX_VERSION", "flux"),
         "kubeseal": ("sealed_secrets", "SEALED_SECRETS_VERSION", "sealed-secrets"),
         "age": ("age", "AGE_VERSION", "age"),
         "age-keygen": ("age", "AGE_VERSION", "age")}
BY_HAND = {"flux": "https://fluxcd.io/flux/installation/",
           "kubeseal": "https://github.com/bitnami-labs/sealed-secrets/releases",
           "age": "https://github.com/FiloSottile/age#installation (e.g. sudo apt-get install age)"}


def by_hand(tools) -> str:
    """The 'install it yourself' sentence for these tools (age-keygen comes with age)."""
    names = list(dict.fromkeys("age" if t == "age-keygen" else t for t in tools))
    return "or install them yourself, on PATH: " + "; ".join(f"{t} from {BY_HAND[t]}" for t in names)


@dataclass
class ToolInstall:
    tool: str
    version: str
    cached: Path  # where the build cache holds (or will hold) the binary
    built: bool  # already in the cache: copied, not built
    package_manager: list[str] | None = None  # the argv that installs it instead, when one may be used

    def describe(self) -> str:
        if self.package_manager:
            return f"{self.tool}: install it with '{' '.join(self.package_manager)}'"
        how = "copy the cached build" if self.built else "build it from the Go module proxy (minutes, once)"
        return f"{self.tool} {self.version}: {how}, then install it as {tools_bin() / self.tool}"


def pins() -> dict[str, str]:
    return read_pins()


def package_manager_for_age(which=shutil.which) -> list[str] | None:
    """The package manager the wizard may run for age: Homebrew, which installs into a prefix the user
    owns. apt, dnf and the like change the whole system as root; the wizard installs only into its own
    data dir, so there it builds age and names the package in the hint instead."""
    return ["brew", "install", "age"] if which("brew") else None


def plan(names: list[str], which=shutil.which) -> list[ToolInstall]:
    """What installing `names` takes: a package, a copy of a cached build, or a build (Blocked without Go)."""
    p = pins()
    manager = package_manager_for_age(which) if {"age", "age-keygen"} & set(names) else None
    out = []
    for tool in names:
        component, pin, folder = TOOLS[tool]
        cached = component_dir(folder, pin, p) / "bin" / tool
        via = manager if component == "age" else None
        out.append(ToolInstall(tool, p[pin], cached, cached.is_file(), via))
    to_build = [t.tool for t in out if not t.built and not t.package_manager]
    if to_build and which("go") is None:
        raise Blocked(f"building {', '.join(to_build)} needs the Go toolchain (go {p.get('GO_MIN', '1.26')} or newer), "
                      "which is not on PATH: install Go (https://go.dev/dl/), then run "
                      "'homelab-wizard doctor --install-tools' again; " + by_hand(to_build))
    return out


def install(runner, todo: list[ToolInstall], progress=lambda line: None) -> list[Path]:
    """Install what `plan` chose (through the runner: cancellable, audited); built tools go into <data>/bin."""
    managed = [t for t in todo if t.package_manager]
    for argv in {tuple(t.package_manager) for t in managed}:
        progress(f"running {' '.join(argv)}")
        runner.run(list(argv), timeout=1800, on_line=progress)
    built = [t for t in todo if not t.package_manager]
    components = sorted({TOOLS[t.tool][0] for t in built if not t.built})
    if components:
        progress(f"building {', '.join(components)} from the Go module proxy ({BUILD_SCRIPT.name}, cache {cache_root()})")
        env = {"TESTBED_CACHE": str(cache_root())}
        kubectl = runner.which("kubectl")  # flux's build renders its manifests with kubectl kustomize
        if kubectl:
            env["KUBECTL"] = kubectl
        runner.run(["bash", str(BUILD_SCRIPT), *components], timeout=3600, on_line=progress, env=env)
    return [copy_into_data_bin(t, progress) for t in built]


def copy_into_data_bin(t: ToolInstall, progress) -> Path:
    if not t.cached.is_file():
        raise Blocked(f"the build did not leave {t.cached}; see the build log next to it, then run "
                      "'homelab-wizard doctor --install-tools' again")
    dest = tools_bin()
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / f".{t.tool}.tmp"
    shutil.copy2(t.cached, tmp)
    tmp.chmod(0o755)
    tmp.replace(dest / t.tool)  # atomic: a half-copied binary is never on PATH
    progress(f"installed {dest / t.tool} ({t.version})")
    return dest / t.tool
