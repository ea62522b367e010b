"""The package works outside a checkout (issue 22): built as an sdist and a wheel, installed into a fresh
venv in a temp folder with no tests/ anywhere near it, run from there.

`doctor --install-tools --yes` then installs flux and kubeseal by copying them from the testbed's
build cache (the pins and the recipe come from the installed package). That cache is what
`make test` builds before the suite; without it this one test skips, saying so (it fails under
CI_REQUIRE_TESTBED=1), because building flux and kubeseal here would take many minutes.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT, VENV_BIN
from tests.testbed.pytest_plugin import REQUIRE_ENV
from wizard.toolchain.pins import cache_root, component_dir

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
PACKAGED = ("wizard/toolchain/pins.env", "wizard/toolchain/build.sh", "assets/styles/app.tcss")


def checkout_files() -> list[str]:
    """What a clone has (tracked and new files, not the ignored venv, caches or build output)."""
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         capture_output=True, check=True).stdout
    return [f for f in out.decode().split("\0") if f and (ROOT / f).is_file()]


def system_path_without(where: Path, *absent: str) -> str:
    """The system's PATH minus `absent` and minus the project's venv: a folder of links to the rest."""
    where.mkdir()
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(d) or Path(d).resolve() == VENV_BIN.resolve():
            continue
        for entry in os.scandir(d):
            if entry.name not in absent and not (where / entry.name).exists() and os.access(entry.path, os.X_OK):
                (where / entry.name).symlink_to(entry.path)
    return str(where)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(dist folder, the fresh venv's bin, an environment that knows nothing of the checkout)."""
    base = tmp_path_factory.mktemp("wheel")
    src, dist, venv = base / "src", base / "dist", base / "venv"
    for rel in checkout_files():  # a copy, so the build's egg-info and build/ never touch the checkout
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, src / rel)
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(src)], check=True,
                   capture_output=True, timeout=600)
    # No pip of its own (ensurepip takes ~20 s on a busy machine): this venv's pip installs into it, from
    # the local pip cache, without compiling every dependency's .pyc up front (~10 s more).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True,
                   timeout=300)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
                    "--no-compile", "--disable-pip-version-check", str(next(dist.glob("*.whl")))],
                   check=True, capture_output=True, timeout=600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(HOMELAB_WIZARD_DATA=str(base / "data"), HOMELAB_WIZARD_NONINTERACTIVE="1",
               KUBECONFIG=str(base / "no-kubeconfig"), HOME=os.environ.get("HOME", str(base)),
               PATH=os.pathsep.join([str(venv / "bin"),
                                     system_path_without(base / "system-bin", "flux", "kubeseal", "homelab-wizard")]))
    work = base / "elsewhere"
    work.mkdir()
    return dist, venv / "bin", env, work


def wizard(installed, *args, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    _, bin_dir, env, work = installed
    return subprocess.run([str(bin_dir / "homelab-wizard"), *args], capture_output=True, text=True, env=env,
                          cwd=cwd or work, stdin=subprocess.DEVNULL, timeout=timeout)


def test_the_wheel_carries_the_pins_the_recipe_and_every_demo_file_and_no_tests(installed):
    dist = installed[0]
    names = set(zipfile.ZipFile(next(dist.glob("*.whl"))).namelist())
    assert set(PACKAGED) <= names
    demo = {p.relative_to(ROOT).as_posix() for p in (ROOT / "assets" / "demo").rglob("*") if p.is_file()
            and "__pycache__" not in p.parts}
    assert demo and demo <= names, sorted(demo - names)
    assert not [n for n in names if n.startswith("tests/")]
    with tarfile.open(next(dist.glob("*.tar.gz"))) as sdist:
        inside = {m.name.split("/", 1)[1] for m in sdist.getmembers() if "/" in m.name}
    assert set(PACKAGED) <= inside


def test_the_installed_wizard_imports_from_its_own_venv_not_the_checkout(installed):
    _, bin_dir, env, work = installed
    where = subprocess.run([str(bin_dir / "python"), "-c", "import wizard; print(wizard.__file__)"], env=env,
                           cwd=work, capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(str(bin_dir.parent)) and not where.startswith(str(ROOT)), where


def test_version_demo_and_status_work_from_the_wheel(installed):
    res = wizard(installed, "--version")
    assert (res.returncode, res.stdout) == (0, f"homelab-wizard {VERSION}\n"), res.stderr
    demo = installed[3] / "demo"
    res = wizard(installed, "demo", str(demo))
    assert res.returncode == 0 and (demo / ".git").is_dir(), res.stdout + res.stderr
    res = wizard(installed, "status", "--json", cwd=demo)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert Path(data["repo"]) == demo.resolve() and data["next"]["id"] == "prep.preflight"
    assert [p["id"] for p in data["phases"]][:2] == ["prep", "repo"]


def cached_flux_and_kubeseal() -> list[Path]:
    return [component_dir("flux", "FLUX_VERSION") / "bin" / "flux",
            component_dir("sealed-secrets", "SEALED_SECRETS_VERSION") / "bin" / "kubeseal"]


def test_install_tools_from_the_wheel_reuses_the_testbed_cache_and_doctor_then_reports_both_ok(installed):
    missing = [str(p) for p in cached_flux_and_kubeseal() if not p.is_file()]
    if missing:
        msg = (f"the testbed build cache ({cache_root()}) has no {', '.join(missing)}: run `make testbed-build` "
               "first (from a wheel, --install-tools would build them itself with Go, which takes many minutes)")
        if os.environ.get(REQUIRE_ENV, "") not in ("", "0", "false", "no"):
            pytest.fail(f"{REQUIRE_ENV}=1 and {msg}", pytrace=False)
        pytest.skip(msg)
    env = installed[2]
    for tool in ("flux", "kubeseal"):
        assert shutil.which(tool, path=env["PATH"]) is None, f"{tool} must be absent from PATH for this test"
    res = wizard(installed, "doctor", "--install-tools", "--yes", timeout=3600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "copy the cached build" in res.stdout and "building" not in res.stdout, res.stdout
    res = wizard(installed, "doctor", "--json")
    tools = {t["name"]: t for t in json.loads(res.stdout)["tools"]}
    data_bin = Path(env["HOMELAB_WIZARD_DATA"]) / "bin"
    for tool in ("flux", "kubeseal"):
        assert tools[tool]["ok"], tools[tool]
        assert tools[tool]["data"]["path"] == str(data_bin / tool)
