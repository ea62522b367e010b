"""Where the testbed's binaries are: the build cache written by build.sh, plus registry tools.

build.sh builds each component into ``$TESTBED_CACHE/<component>-<version>-r<RECIPE>/`` and only
renames the directory into place when the build succeeded, so "the directory has a bin/" means
"built". The pins and the cache's layout come from the package (wizard/toolchain), the same ones
`homelab-wizard doctor --install-tools` reads, and :class:`MissingBinaries` names the exact command
to run when something is not built yet.
"""
from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from wizard.toolchain.pins import cache_root, component_dir, read_pins

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BUILD_HINT = "run `make testbed-build` (tests/testbed/build.sh) to build them"


class MissingBinaries(RuntimeError):
    """The Go-built binaries (or a registry tool) are not there; the message says how to get them."""


# component directory name -> (its pin in wizard/toolchain/pins.env, binaries it must contain)
COMPONENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "etcd": ("ETCD_VERSION", ("etcd",)),
    "kubernetes": ("K8S_VERSION", ("kube-apiserver", "kube-controller-manager", "kube-scheduler")),
    "kwok": ("KWOK_VERSION", ("kwok",)),
    "sealed-secrets": ("SEALED_SECRETS_VERSION", ("sealed-secrets-controller", "kubeseal")),
    "source-controller": ("SOURCE_CONTROLLER_VERSION", ("source-controller",)),
    "kustomize-controller": ("KUSTOMIZE_CONTROLLER_VERSION", ("kustomize-controller",)),
    "notification-controller": ("NOTIFICATION_CONTROLLER_VERSION", ("notification-controller",)),
    "flux": ("FLUX_VERSION", ("flux",)),
    # helm-controller adopts hand-installed Helm releases; the helm CLI installs one by hand (issue 13).
    "helm-controller": ("HELM_CONTROLLER_VERSION", ("helm-controller",)),
    "helm": ("HELM_VERSION", ("helm",)),
}


@dataclass(frozen=True)
class Binaries:
    """Absolute paths of everything the testbed runs, resolved once."""

    dirs: dict[str, Path]            # component -> its cache directory
    bins: dict[str, Path]            # binary name -> path
    kubectl: Path
    sops: Path
    age: Path
    age_keygen: Path
    git: Path
    git_http_backend: Path
    openssl: Path
    unshare: Path

    def __getitem__(self, name: str) -> Path:
        return self.bins[name]

    @property
    def bin_dirs(self) -> list[Path]:
        """Directories to put first on PATH so `flux`, `kubeseal` etc. resolve to the testbed's."""
        return [d / "bin" for d in self.dirs.values()]

    def crd_files(self) -> list[Path]:
        """CRD YAMLs shipped next to the flux controllers and the sealed-secrets controller."""
        files: list[Path] = []
        for comp in ("source-controller", "kustomize-controller", "notification-controller", "helm-controller",
                     "sealed-secrets"):
            files += sorted((self.dirs[comp] / "crds").glob("*.yaml"))
        return files

    def kwok_stages(self) -> list[Path]:
        return sorted((self.dirs["kwok"] / "stages").glob("*.yaml"))


def _venv_bin() -> Path:
    """The project's venv bin (kubectl and sops come from PyPI wheels installed there)."""
    return Path(sys.executable).parent


def _tool(name: str, *candidates: Path) -> Path:
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    found = shutil.which(name)
    if found:
        return Path(found)
    raise MissingBinaries(
        f"testbed: `{name}` is not installed; run `make install` "
        "(kubectl and sops come from the venv, age/git/openssl from Debian via tests/testbed/install-system-deps.sh)"
    )


def find_binaries(cache: Path | None = None) -> Binaries:
    """Locate every binary or raise MissingBinaries naming what is missing and how to build it."""
    pins = read_pins()
    root = cache or cache_root()
    dirs: dict[str, Path] = {}
    bins: dict[str, Path] = {}
    missing: list[str] = []
    for comp, (key, names) in COMPONENTS.items():
        d = component_dir(comp, key, pins, root)
        dirs[comp] = d
        for n in names:
            p = d / "bin" / n
            if p.is_file() and os.access(p, os.X_OK):
                bins[n] = p
            else:
                missing.append(f"{n} ({d.name})")
    if missing:
        raise MissingBinaries(
            f"testbed binaries are not built in {root}: missing {', '.join(missing)}; {BUILD_HINT}"
        )
    vb = _venv_bin()
    return Binaries(
        dirs=dirs,
        bins=bins,
        kubectl=_tool("kubectl", vb / "kubectl", REPO / ".venv/bin/kubectl"),
        sops=_tool("sops", vb / "sops", REPO / ".venv/bin/sops"),
        age=_tool("age", Path("/usr/bin/age")),
        age_keygen=_tool("age-keygen", Path("/usr/bin/age-keygen")),
        git=_tool("git", Path("/usr/bin/git")),
        git_http_backend=_tool("git-http-backend", Path("/usr/lib/git-core/git-http-backend")),
        openssl=_tool("openssl", Path("/usr/bin/openssl")),
        unshare=_tool("unshare", Path("/usr/bin/unshare")),
    )
