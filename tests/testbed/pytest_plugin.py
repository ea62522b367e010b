"""pytest plugin: the session-scoped ``testbed`` fixture and the ``testbed`` marker's behaviour.

- Tests that use the fixture get the ``testbed`` marker automatically (so ``-m "not testbed"``
  deselects them).
- Binaries not built: testbed tests are SKIPPED with the command that builds them, except when
  CI_REQUIRE_TESTBED=1 (CI), where they FAIL: CI must never pass by skipping them.
- Before each testbed test the fixture's health check runs, so a component that crashed mid-run
  fails that test with the component's last log lines instead of as a timeout somewhere else.
- The testbed is stopped by the fixture's finalizer (which pytest also runs on Ctrl-C), by an
  atexit hook, and SIGTERM/SIGHUP are turned into KeyboardInterrupt so those run too. A SIGKILLed
  run is cleaned up by the next start (stale pids in the run dir).
"""
from __future__ import annotations

import atexit
import os
import signal

import pytest

from .cluster import Testbed, TestbedError
from .components import MissingBinaries, find_binaries
from .ports import PortInUse, find_free_base

REQUIRE_ENV = "CI_REQUIRE_TESTBED"


def _required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0", "false", "no")


def _not_built(reason: str) -> None:
    msg = reason  # MissingBinaries already names what is missing and says `make testbed-build`
    if _required():
        pytest.fail(f"{REQUIRE_ENV}=1 and the testbed is not available: {msg}", pytrace=False)
    pytest.skip(msg)


def pytest_itemcollected(item) -> None:
    """Marks a test that uses the testbed; under `--dist loadgroup` also its group. Here, at collection, not in
    pytest_collection_modifyitems: xdist reads the groups in its own modifyitems hook, which may run first.

    A testbed test module's tests stay on one worker (they share its module-scoped testbed and migration),
    unless a test names a group of its own (a live corpus repo: a whole migration on a private testbed, so each
    goes to whichever worker is free)."""
    names = getattr(item, "fixturenames", ())
    if ("testbed" in names or "testbed_factory" in names) and not item.get_closest_marker("testbed"):
        item.add_marker(pytest.mark.testbed)
    # In an xdist worker `dist` reads "no" and the choice is in `loadgroup` (xdist/remote.py setup_config).
    loadgroup = getattr(item.config.option, "loadgroup", False) or item.config.getoption("dist", "no") == "loadgroup"
    if (loadgroup and item.get_closest_marker("testbed")
            and not item.get_closest_marker("xdist_group")):
        item.add_marker(pytest.mark.xdist_group(f"module-{item.module.__name__}"))


def pytest_collection_modifyitems(config, items) -> None:
    """The testbed tests with a group of their own (the live repos, the longest runs) go first: started last,
    one of them would be the whole run's tail."""
    own = [i for i in items if i.get_closest_marker("testbed") and
           not any(str(m.args[0] if m.args else "").startswith("module-") for m in i.iter_markers("xdist_group"))
           and i.get_closest_marker("xdist_group")]
    if own:
        chosen = set(map(id, own))
        items[:] = own + [i for i in items if id(i) not in chosen]


def pytest_runtest_setup(item) -> None:
    # Marked tests that do not use the fixture (e.g. they start their own Testbed) skip too.
    if item.get_closest_marker("testbed"):
        try:
            find_binaries()
        except MissingBinaries as e:
            _not_built(str(e))


def _raise_interrupt(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def testbed(request, tmp_path_factory):
    """A running testbed (see tests/testbed/cluster.py); stopped at the end of the session.

    It has a run dir and ports of its own, so a testbed started by hand (`make testbed-up`, the
    default run dir and ports) and a test run never share, stop or wipe each other's processes."""
    try:
        find_binaries()
    except MissingBinaries as e:
        _not_built(str(e))
    tb = Testbed(tmp_path_factory.mktemp("testbed-session"), port_base=find_free_base())
    # Turn SIGTERM/SIGHUP into KeyboardInterrupt so pytest unwinds and the finalizer runs.
    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            previous[sig] = signal.signal(sig, _raise_interrupt)
    atexit.register(tb.stop, quiet=True)
    try:
        tb.start()
    except (PortInUse, TestbedError) as e:
        pytest.fail(str(e), pytrace=False)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"testbed: ready in {tb.startup_seconds}s at {tb.server} (logs: {tb.logs_dir})")
    try:
        yield tb
    finally:
        try:
            tb.stop()
        finally:
            atexit.unregister(tb.stop)
            for sig, old in previous.items():
                signal.signal(sig, old)


@pytest.fixture(scope="module")
def testbed_factory(tmp_path_factory):
    """``make(name, **Testbed kwargs) -> Testbed``: a private, pristine testbed on free ports.

    For tests that change cluster-wide state (``flux bootstrap`` into flux-system, CRDs, ...)
    and must not meet the shared session testbed's state. Each costs a ~10 s start. Module
    scope: they are stopped when the test module that made them ends (and by atexit on an
    abrupt exit), so a full run holds at most one module's private clusters in memory.
    """
    try:
        find_binaries()
    except MissingBinaries as e:
        _not_built(str(e))
    started: list[Testbed] = []

    def make(name: str = "private", **kwargs) -> Testbed:
        kwargs.setdefault("port_base", find_free_base())
        tb = Testbed(tmp_path_factory.mktemp(f"testbed-{name}"), **kwargs)
        started.append(tb)
        atexit.register(tb.stop, quiet=True)
        try:
            tb.start()
        except (PortInUse, TestbedError) as e:
            pytest.fail(str(e), pytrace=False)
        return tb

    yield make
    for tb in started:
        try:
            tb.stop()
        finally:
            atexit.unregister(tb.stop)


@pytest.fixture(autouse=True)
def _testbed_health(request):
    """Before each test that uses the testbed: fail clearly if a component has died."""
    if "testbed" in request.fixturenames:
        tb = request.getfixturevalue("testbed")
        problems = tb.health()
        if problems:
            pytest.fail("testbed component crashed:\n" + "\n\n".join(problems), pytrace=False)
    yield
