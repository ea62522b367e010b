"""`make testbed-down` and the test session's testbed never touch each other (issue 14 item 11).

Real processes, no testbed binaries: a run dir whose pids.json says a live test process started it
(not `make testbed-up`) must be refused by `python -m tests.testbed down`, and its processes left alone.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.helpers import ROOT
from tests.testbed.procs import proc_alive, proc_start_time


def test_testbed_down_refuses_the_testbed_a_test_run_started(tmp_path):
    victim = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        run_dir = tmp_path / "run"
        run_dir.mkdir()
        (run_dir / "pids.json").write_text(json.dumps({
            "owner_pid": os.getpid(), "detached": False,
            "procs": [{"name": "etcd", "pid": victim.pid, "start_time": proc_start_time(victim.pid),
                       "log": str(tmp_path / "etcd.log"), "cmd": ["sleep", "300"]}]}))
        res = subprocess.run([sys.executable, "-m", "tests.testbed", "down", "--run-dir", str(run_dir)],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert res.returncode == 1, res.stderr
        assert "refusing to stop" in res.stderr and f"process {os.getpid()}" in res.stderr
        assert proc_alive(victim.pid) and victim.poll() is None
    finally:
        victim.kill()
        victim.wait()
