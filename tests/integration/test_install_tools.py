"""`homelab-wizard doctor --install-tools` (issue 15): flux and kubeseal for a machine without them.

The install itself is marked `testbed`: it needs the testbed's build cache, which holds the pinned
flux and kubeseal built from the Go module proxy by the same recipe (so here it copies; on a fresh
machine with Go it builds them once). The other tests need no build.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers import cli_env, run_cli

VENV_BIN = str(Path(sys.executable).parent)


def bare_env(tmp_path, **extra) -> dict:
    """No flux or kubeseal on PATH: the venv (the wizard, kubectl, sops) and the system's basics."""
    env = cli_env(HOMELAB_WIZARD_DATA=str(tmp_path / "data"), HOMELAB_WIZARD_NONINTERACTIVE="1", **extra)
    env["PATH"] = os.pathsep.join([VENV_BIN, "/usr/bin", "/bin"])
    for tool in ("flux", "kubeseal"):
        assert shutil.which(tool, path=env["PATH"]) is None, f"{tool} is on the bare PATH; the test needs it absent"
    return env


def tools_of(tmp_path, env) -> dict:
    res = run_cli("doctor", "--json", env=env, cwd=tmp_path)  # not a repo: the tools are still checked
    return {t["name"]: t for t in json.loads(res.stdout)["tools"]}


@pytest.mark.testbed
def test_install_tools_without_a_terminal_installs_both_and_doctor_reports_their_versions(tmp_path):
    env = bare_env(tmp_path)
    before = tools_of(tmp_path, env)
    assert not before["flux"]["ok"] and "doctor --install-tools" in before["flux"]["detail"]
    res = run_cli("doctor", "--install-tools", "--yes", env=env, cwd=tmp_path, timeout=3600)
    assert res.returncode == 0, res.stdout + res.stderr
    for tool in ("flux", "kubeseal"):
        installed = tmp_path / "data" / "bin" / tool
        assert installed.is_file() and os.access(installed, os.X_OK)
    after = tools_of(tmp_path, env)
    for tool in ("flux", "kubeseal"):
        assert after[tool]["ok"], after[tool]
        assert after[tool]["data"]["path"] == str(tmp_path / "data" / "bin" / tool)
        assert after[tool]["data"]["version"] not in ("", "?", None), after[tool]


def test_without_yes_and_without_a_terminal_nothing_is_installed(tmp_path):
    from wizard.tools.install import pins

    p, cache = pins(), tmp_path / "cache"
    for folder, tool in ((f"flux-{p['FLUX_VERSION']}-r{p['RECIPE']}", "flux"),
                         (f"sealed-secrets-{p['SEALED_SECRETS_VERSION']}-r{p['RECIPE']}", "kubeseal")):
        (cache / folder / "bin").mkdir(parents=True)
        (cache / folder / "bin" / tool).write_text("#!/bin/sh\n")
    env = bare_env(tmp_path, TESTBED_CACHE=str(cache))
    res = run_cli("doctor", "--install-tools", env=env, cwd=tmp_path)
    assert res.returncode == 4 and "pass --yes" in res.stderr, res.stdout + res.stderr
    assert not (tmp_path / "data" / "bin").exists()


def test_without_go_and_without_a_cached_build_it_says_what_to_do(tmp_path):
    env = bare_env(tmp_path, TESTBED_CACHE=str(tmp_path / "empty-cache"))
    assert shutil.which("go", path=env["PATH"]) is None or pytest.skip("go is in /usr/bin here")
    res = run_cli("doctor", "--install-tools", "--yes", env=env, cwd=tmp_path)
    assert res.returncode == 3, res.stdout + res.stderr
    assert "Go toolchain" in res.stderr and "https://fluxcd.io/flux/installation/" in res.stderr


def system_path_without(tmp_path, *absent: str) -> str:
    """The system's PATH with `absent` taken out: a folder of links to everything else in it."""
    links = tmp_path / "system-bin"
    links.mkdir()
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not d or not os.path.isdir(d) or d == VENV_BIN:
            continue
        for entry in os.scandir(d):
            if entry.name not in absent and not (links / entry.name).exists() and os.access(entry.path, os.X_OK):
                (links / entry.name).symlink_to(entry.path)
    return os.pathsep.join([VENV_BIN, str(links)])


def test_without_age_and_without_homebrew_age_is_built_from_its_go_module_and_installed(tmp_path, monkeypatch):
    """A Debian without the age package, as a user (apt needs root, so the wizard builds it instead)."""
    from wizard.runner import Runner
    from wizard.tools import install

    path = system_path_without(tmp_path, "age", "age-keygen", "brew", "flux", "kubeseal")
    assert shutil.which("go", path=path) or pytest.skip("no Go toolchain here (CI has one)")
    places = {"HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "TESTBED_CACHE": str(tmp_path / "cache")}
    for k, v in places.items():  # the core reads them from the process (data dir, cache), the tools from env
        monkeypatch.setenv(k, v)
    env = cli_env(PATH=path, **places)
    runner = Runner(audit_log=None, base_env=env)
    assert runner.which("age") is None
    todo = install.plan(["age", "age-keygen"], which=runner.which)
    assert [t.package_manager for t in todo] == [None, None] and not any(t.built for t in todo)
    install.install(runner, todo)
    pinned = install.pins()["AGE_VERSION"]
    for tool in ("age", "age-keygen"):
        assert runner.which(tool) == str(tmp_path / "data" / "bin" / tool)
        assert runner.run([tool, "--version"]).stdout.strip() == pinned
    res = run_cli("doctor", "--json", env=env, cwd=tmp_path)
    tools = {t["name"]: t for t in json.loads(res.stdout)["tools"]}
    assert tools["age"]["ok"] and tools["age-keygen"]["ok"] and tools["age"]["data"]["version"] == pinned
