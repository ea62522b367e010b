"""The testbed's failure modes give clear messages, and it never leaves processes or ports behind.

These start their own Testbed instances in temporary run dirs on other port bases, so the
session testbed (if another test started it) is not disturbed.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.testbed.cluster import ComponentFailed, Testbed, TestbedError
from tests.testbed.components import REPO, MissingBinaries, find_binaries
from tests.testbed.ports import PortInUse, find_free_base
from tests.testbed.procs import port_listening, proc_alive


def _assert_nothing_left(pids: list[int], ports: dict[str, int]) -> None:
    alive = [p for p in pids if proc_alive(p)]
    listening = [f"{k}={p}" for k, p in ports.items() if port_listening(p)]
    assert not alive and not listening, f"left behind: pids {alive}, ports {listening}"


def test_missing_binaries_say_how_to_build(tmp_path, monkeypatch):
    monkeypatch.setenv("TESTBED_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(MissingBinaries, match=r"make testbed-build") as e:
        find_binaries()
    assert "kube-apiserver" in str(e.value) and "etcd" in str(e.value)
    r = subprocess.run([sys.executable, "-m", "tests.testbed", "up", "--run-dir", str(tmp_path / "run")],
                       cwd=REPO, env={**os.environ, "TESTBED_CACHE": str(tmp_path / "empty-cache")},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "make testbed-build" in r.stderr


def _inner_pytest(tmp_path: Path, require: str | None) -> subprocess.CompletedProcess:
    (tmp_path / "test_inner.py").write_text("def test_uses_testbed(testbed):\n    assert False\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    testbed: x\n")
    env = {**os.environ, "TESTBED_CACHE": str(tmp_path / "empty-cache"), "PYTHONPATH": str(REPO)}
    env.pop("CI_REQUIRE_TESTBED", None)
    if require is not None:
        env["CI_REQUIRE_TESTBED"] = require
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.testbed.pytest_plugin", "-rsf",
                           "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"), str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_not_built_skips_locally_but_fails_when_ci_requires_it(tmp_path):
    r = _inner_pytest(tmp_path, None)
    assert r.returncode == 0, r.stdout
    assert "1 skipped" in r.stdout and "make testbed-build" in r.stdout
    r = _inner_pytest(tmp_path, "1")
    assert r.returncode == 1, r.stdout
    assert "1 error" in r.stdout or "1 failed" in r.stdout, r.stdout
    assert "CI_REQUIRE_TESTBED=1" in r.stdout and "make testbed-build" in r.stdout


@pytest.mark.testbed
def test_port_in_use_is_named(tmp_path):
    tb = Testbed(tmp_path / "tb", port_base=find_free_base())
    port = tb.ports["apiserver"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        with pytest.raises(PortInUse) as e:
            tb.start()
    msg = str(e.value)
    assert f"127.0.0.1:{port}" in msg and "kube-apiserver" in msg and "TESTBED_PORT_BASE" in msg
    assert tb.procs == []  # failed before starting anything


@pytest.mark.testbed
def test_component_that_fails_to_start_reports_its_log(tmp_path):
    tb = Testbed(tmp_path / "tb", port_base=find_free_base(), extra_args={"etcd": ["--no-such-flag"]})
    with pytest.raises(ComponentFailed) as e:
        tb.start()
    msg = str(e.value)
    assert "etcd exited during startup" in msg
    assert "no-such-flag" in msg  # etcd's own complaint, from its log
    assert "last 20 lines of" in msg and "etcd.log" in msg
    _assert_nothing_left([], tb.ports)


@pytest.mark.testbed
@pytest.mark.timeout(900)
def test_stale_cleanup_crash_detection_and_down(tmp_path):
    run_dir, base = tmp_path / "tb", find_free_base()
    # 1. A run whose owner dies without teardown (like a SIGKILLed pytest) leaves processes.
    script = textwrap.dedent(f"""
        import json, os
        from tests.testbed.cluster import Testbed
        tb = Testbed({str(run_dir)!r}, port_base={base}).start()
        print(json.dumps([p.pid for p in tb.procs]), flush=True)
        os._exit(0)
    """)
    r = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=400)
    assert r.returncode == 0, r.stderr
    stale = json.loads(r.stdout.strip().splitlines()[-1])
    assert stale and all(proc_alive(p) for p in stale)

    tb = Testbed(run_dir, port_base=base)
    try:
        # 2. The next start in that run dir kills the leftovers and starts cleanly; detached, as
        # `make testbed-up` starts it (a test run's own testbed is refused by `down`: test_testbed_tooling).
        tb.start(detached=True)
        assert not any(proc_alive(p) for p in stale)
        assert tb.health() == []
        # 3. A component that dies mid-run is reported by health() with its log tail.
        victim = next(p for p in tb.procs if p.name == "notification-controller")
        os.kill(victim.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while victim.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        problems = tb.health()
        assert len(problems) == 1, problems
        assert "notification-controller is not running (exit code -9)" in problems[0]
        assert "notification-controller.log" in problems[0] and "starting" in problems[0]
        # 4. `down` from another process (make testbed-down) stops everything recorded.
        pids = [p.pid for p in tb.procs]
        r = subprocess.run([sys.executable, "-m", "tests.testbed", "down", "--run-dir", str(run_dir)],
                           cwd=REPO, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        for p in tb.procs:
            if p.popen is not None:
                p.popen.poll()  # reap our children so they do not linger as zombies
        _assert_nothing_left(pids, tb.ports)
    finally:
        tb.stop(quiet=True)


@pytest.mark.testbed
@pytest.mark.timeout(600)
def test_fixture_fails_the_next_test_when_a_component_crashed(tmp_path):
    """The plugin's per-test health check, end to end in an inner pytest session."""
    (tmp_path / "test_inner.py").write_text(textwrap.dedent("""
        import os, signal, time

        def test_1_kill_kustomize_controller(testbed):
            p = next(p for p in testbed.procs if p.name == "kustomize-controller")
            os.kill(p.pid, signal.SIGKILL)
            while p.alive():
                time.sleep(0.1)

        def test_2_unrelated_test_sees_the_crash(testbed):
            pass
    """))
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    testbed: x\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "TESTBED_RUN_DIR": str(tmp_path / "run"),
           "TESTBED_PORT_BASE": str(find_free_base())}
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.testbed.pytest_plugin", "-p", "no:cacheprovider",
                        "-c", str(tmp_path / "pytest.ini"), str(tmp_path)],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=500)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 passed" in r.stdout and ("1 error" in r.stdout or "1 failed" in r.stdout), r.stdout
    assert "testbed component crashed" in r.stdout
    assert "kustomize-controller is not running (exit code -9)" in r.stdout
    assert "kustomize-controller.log" in r.stdout
    assert not (tmp_path / "run" / "pids.json").exists()  # the session still tore down


@pytest.mark.testbed
def test_never_wipes_a_foreign_directory(tmp_path):
    foreign = tmp_path / "not-a-testbed"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    with pytest.raises(TestbedError, match="refusing to wipe"):
        Testbed(foreign, port_base=find_free_base()).start()
    assert (foreign / "precious.txt").read_text() == "keep me"


def test_factory_gives_a_private_pristine_cluster(testbed_factory):
    tb = testbed_factory("pristine")
    assert tb.health() == []
    ns = tb.kubectl("get", "namespace", "-o", "json")
    names = {n["metadata"]["name"] for n in json.loads(ns.stdout)["items"]}
    assert "kube-system" in names and "flux-system" not in names  # nothing bootstrapped here
    node = json.loads(tb.kubectl("get", "node", "kwok-node-0", "-o", "json").stdout)
    assert node["metadata"]["labels"]["kubernetes.io/os"] == "linux"
    assert not node["spec"].get("taints")
