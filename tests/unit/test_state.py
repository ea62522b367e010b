"""State: atomic writes that survive kill -9, the exclusive lock, and refusing bad files."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from wizard.state import SCHEMA, ClusterIdentity, LockHeld, StateError, StateStore


def store(tmp_path):
    return StateStore(tmp_path / "state", tmp_path / "repo")


def test_save_and_load_round_trip(tmp_path):
    s = store(tmp_path)
    s.acquire()
    st = s.load()
    st.answers["option"] = "a"
    st.cluster = ClusterIdentity("ctx", "https://127.0.0.1:6443", "uid-1")
    st.item("prep.preflight").status = "passed"
    st.record("pinned", identity="x")
    s.save()
    s.release()
    again = store(tmp_path)
    st2 = again.load()
    assert st2.answers == {"option": "a"} and st2.cluster.uid == "uid-1"
    assert st2.item("prep.preflight").status == "passed" and st2.journal[0]["action"] == "pinned"


def test_state_file_and_dir_are_private(tmp_path):
    s = store(tmp_path)
    s.acquire()
    s.load()
    s.save()
    assert os.stat(s.path).st_mode & 0o777 == 0o600
    assert os.stat(s.dir).st_mode & 0o777 == 0o700


def test_corrupt_state_is_refused_and_left_untouched(tmp_path):
    s = store(tmp_path)
    s.dir.mkdir(parents=True)
    s.path.write_text('{"schema": 1, "repo": ')
    with pytest.raises(StateError, match=r"state.json is corrupt .*left\s+untouched"):
        s.load()
    assert s.path.read_text() == '{"schema": 1, "repo": '


def test_newer_schema_is_refused_with_upgrade_advice(tmp_path):
    s = store(tmp_path)
    s.dir.mkdir(parents=True)
    s.path.write_text(json.dumps({"schema": SCHEMA + 1, "repo": "/x", "created_at": "", "updated_at": ""}))
    with pytest.raises(StateError, match="newer homelab-wizard"):
        s.load()


def test_unknown_status_is_refused(tmp_path):
    s = store(tmp_path)
    s.dir.mkdir(parents=True)
    s.path.write_text(json.dumps({"schema": 1, "repo": "/x", "created_at": "", "updated_at": "",
                                  "items": {"prep.backup": {"status": "done"}}}))
    with pytest.raises(StateError, match="unknown status"):
        s.load()


def test_save_without_lock_is_an_error(tmp_path):
    s = store(tmp_path)
    s.load()
    with pytest.raises(StateError):
        s.save()


HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from wizard.state import StateStore
    s = StateStore(Path(sys.argv[1]), Path(sys.argv[2]))
    s.acquire("run prep.backup")
    print("locked", flush=True)
    time.sleep(300)
""")


def start_holder(tmp_path):
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "state"), str(tmp_path / "repo")],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def test_second_wizard_is_refused_and_told_who_holds_the_lock(tmp_path):
    holder = start_holder(tmp_path)
    try:
        with pytest.raises(LockHeld) as e:
            store(tmp_path).acquire("verify")
        assert f"pid {holder.pid}" in str(e.value) and "run prep.backup" in str(e.value)
    finally:
        holder.kill()
        holder.wait()


def test_lock_is_released_when_the_holder_is_killed_with_sigkill(tmp_path):
    holder = start_holder(tmp_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    s = store(tmp_path)
    s.acquire("verify")  # no stale lock to remove by hand
    s.release()


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from wizard.state import StateStore
    s = StateStore(Path(sys.argv[1]), Path(sys.argv[2]))
    s.acquire()
    st = s.load()
    st.answers["generation"] = "new"
    st.answers["padding"] = "x" * 200000
    def pause(tmp):
        print("about-to-rename", flush=True)
        time.sleep(300)
    s.before_rename = pause
    s.save()
""")


def test_kill_9_during_a_state_write_leaves_the_old_file_whole(tmp_path):
    s = store(tmp_path)
    s.acquire()
    st = s.load()
    st.answers["generation"] = "old"
    s.save()
    s.release()
    before = s.path.read_bytes()
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(s.dir), str(tmp_path / "repo")], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "about-to-rename"
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert s.path.read_bytes() == before
    assert store(tmp_path).load().answers["generation"] == "old"


def test_kill_9_at_random_points_never_truncates_the_state(tmp_path):
    s = store(tmp_path)
    s.acquire()
    s.load()
    s.save()
    s.release()
    loop = textwrap.dedent("""
        import sys
        from pathlib import Path
        from wizard.state import StateStore
        s = StateStore(Path(sys.argv[1]), Path(sys.argv[2]))
        s.acquire()
        st = s.load()
        i = 0
        while True:
            i += 1
            st.answers["n"] = str(i)
            st.answers["pad"] = "y" * (i % 5000)
            s.save()
    """)
    for delay in (0.05, 0.11, 0.17, 0.23, 0.31):
        p = subprocess.Popen([sys.executable, "-c", loop, str(s.dir), str(tmp_path / "repo")])
        time.sleep(0.4 + delay)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        json.loads(s.path.read_text())  # always a whole JSON document
        store(tmp_path).load()


def test_temp_files_of_killed_writes_are_cleaned_by_the_next_lock_holder(tmp_path):
    s = store(tmp_path)
    s.dir.mkdir(parents=True)
    (s.dir / ".state.json.12345.tmp").write_text("partial")
    s.acquire()
    s.release()
    assert not list(s.dir.glob("*.tmp"))


def test_an_item_left_running_by_a_killed_wizard_is_shown_as_interrupted(tmp_path):
    s = store(tmp_path)
    s.acquire()
    s.load().item("prep.backup").status = "running"
    s.save()
    s.release()
    again = store(tmp_path)
    again.acquire()
    it = again.load().item("prep.backup")
    again.release()
    assert it.status == "failed" and "was interrupted" in it.message


def test_a_status_is_one_of_a_closed_set_and_is_stored_as_its_string():
    import json

    from wizard.checklist import Verdict
    from wizard.state import ItemState
    from wizard.state_format import Status

    v = Verdict("passed", "ok")
    assert v.status is Status.PASSED and v.status == "passed" and json.dumps(v.status) == '"passed"'
    assert ItemState("blocked").status is Status.BLOCKED
    with pytest.raises(ValueError):
        Verdict("pased", "a typo is refused, not stored")
