"""The pins and the Go build recipe live in the package (issue 22); the testbed reads them from there.

No Go build here: `build.sh --queue COMPONENT` only checks the cache when the component's folder is
complete, so these tests pin that the shell recipe and the Python readers agree on the cache folder
names an existing ~/.cache/homelab-wizard/testbed was built under.
"""
from __future__ import annotations

import os
import subprocess

import pytest

from tests.helpers import ROOT
from tests.testbed.components import COMPONENTS
from wizard.toolchain.pins import BUILD_SCRIPT, PINS_FILE, component_dir, read_pins
from wizard.tools import install

# build.sh's component names (underscores) for the testbed's cache folders (dashes), plus the wizard's own.
TESTBED_BUILT = {folder: (folder.replace("-", "_"), key, bins) for folder, (key, bins) in COMPONENTS.items()}
WIZARD_BUILT = {"age": ("age", "AGE_VERSION", ("age", "age-keygen"))}


def test_the_pins_are_package_data_and_the_test_tree_keeps_no_copy():
    assert PINS_FILE.parent == ROOT / "wizard" / "toolchain" and BUILD_SCRIPT.parent == PINS_FILE.parent
    assert not (ROOT / "tests" / "testbed" / "versions.env").exists()
    pins = read_pins()
    for key in ("FLUX_VERSION", "SEALED_SECRETS_VERSION", "AGE_VERSION", "K8S_VERSION", "RECIPE", "GO_MIN"):
        assert pins.get(key), key
    assert pins["SOURCE_CONTROLLER_EXTRA_REPLACES"].startswith("github.com/fluxcd/pkg/artifact=")  # quotes stripped


def test_the_cache_folders_keep_their_names_component_version_recipe(tmp_path):
    pins = read_pins()
    assert component_dir("sealed-secrets", "SEALED_SECRETS_VERSION", pins, tmp_path).name == \
        f"sealed-secrets-{pins['SEALED_SECRETS_VERSION']}-r{pins['RECIPE']}"
    assert component_dir("flux", "FLUX_VERSION", pins, tmp_path).name == f"flux-{pins['FLUX_VERSION']}-r{pins['RECIPE']}"


def test_the_wizard_looks_for_flux_and_kubeseal_where_the_testbed_build_puts_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TESTBED_CACHE", str(tmp_path))
    todo = {t.tool: t for t in install.plan(["flux", "kubeseal"], which=lambda name: "/usr/local/go/bin/go")}
    assert todo["flux"].cached == component_dir("flux", "FLUX_VERSION", root=tmp_path) / "bin" / "flux"
    assert todo["kubeseal"].cached == component_dir("sealed-secrets", "SEALED_SECRETS_VERSION", root=tmp_path) / "bin" / "kubeseal"


@pytest.mark.parametrize("folder", [*TESTBED_BUILT, *WIZARD_BUILT])
def test_the_shell_recipe_finds_a_complete_cached_build_where_python_looks(tmp_path, folder):
    component, key, bins = {**TESTBED_BUILT, **WIZARD_BUILT}[folder]
    where = component_dir(folder, key, root=tmp_path)
    (where / "bin").mkdir(parents=True)
    for b in bins:
        (where / "bin" / b).write_text("#!/bin/sh\n")
        (where / "bin" / b).chmod(0o755)
    script = ROOT / "tests" / "testbed" / "build.sh" if folder in TESTBED_BUILT else BUILD_SCRIPT
    res = subprocess.run(["bash", str(script), "--queue", component], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "TESTBED_CACHE": str(tmp_path)})
    assert res.returncode == 0 and f"cached ({where})" in res.stderr, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [where.name]  # nothing built beside it


def test_the_packaged_recipe_builds_only_the_wizards_tools_unless_the_testbed_adds_its_own(tmp_path):
    res = subprocess.run(["bash", str(BUILD_SCRIPT), "--queue", "kubernetes"], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "TESTBED_CACHE": str(tmp_path)})
    assert res.returncode != 0 and "unknown component kubernetes" in res.stderr, res.stderr


GO_ONLY = {"go": "/usr/local/go/bin/go"}.get


def test_age_is_installed_with_a_fake_homebrew_when_the_user_has_homebrew(tmp_path, monkeypatch):
    monkeypatch.setenv("TESTBED_CACHE", str(tmp_path))
    with_brew = {"brew": "/home/linuxbrew/.linuxbrew/bin/brew"}.get  # only looked up, never run
    todo = install.plan(["age", "age-keygen"], which=with_brew)
    assert [t.package_manager for t in todo] == [["brew", "install", "age"]] * 2
    assert "brew install age" in todo[0].describe()


def test_without_a_package_manager_the_wizard_may_use_age_is_built_from_its_go_module(tmp_path, monkeypatch):
    monkeypatch.setenv("TESTBED_CACHE", str(tmp_path))
    todo = install.plan(["age", "age-keygen"], which=GO_ONLY)  # apt-get needs root: never the wizard's to run
    pins = read_pins()
    assert [(t.tool, t.version, t.package_manager) for t in todo] == [
        ("age", pins["AGE_VERSION"], None), ("age-keygen", pins["AGE_VERSION"], None)]
    assert todo[0].cached.parent.parent == component_dir("age", "AGE_VERSION", root=tmp_path)
    assert "build it from the Go module proxy" in todo[0].describe()


def test_without_go_the_block_names_what_needs_building_and_where_to_get_it_by_hand(tmp_path, monkeypatch):
    from wizard.session import Blocked

    monkeypatch.setenv("TESTBED_CACHE", str(tmp_path))
    with pytest.raises(Blocked) as e:
        install.plan(["kubeseal", "age", "age-keygen"], which=lambda name: None)
    msg = str(e.value)
    assert msg.startswith("building kubeseal, age, age-keygen needs the Go toolchain")
    assert "https://github.com/bitnami-labs/sealed-secrets/releases" in msg and "apt-get install age" in msg
    assert "fluxcd.io" not in msg  # flux was not asked for
