"""The subprocess runner: timeouts, cancellation, redaction, audit log, typed errors."""
from __future__ import annotations

import json
import os
import threading
import time

import pytest

from wizard.redact import Redactor
from wizard.runner import Cancelled, CancelToken, Runner, ToolFailed, ToolMissing, ToolTimeout


@pytest.fixture
def runner(tmp_path):
    return Runner(audit_log=tmp_path / "audit.jsonl", redactor=Redactor())


def audit(runner):
    return [json.loads(line) for line in runner.audit_log.read_text().splitlines()]


# Token-shaped test values are assembled at run time so no credential-looking literal sits in the repo.
FAKE_GITHUB_TOKEN = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
FAKE_AGE_KEY = "AGE-SECRET-KEY-1" + "Q" * 34


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its reaper counts as gone.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


def test_run_returns_stdout_and_exit_code(runner):
    res = runner.run(["sh", "-c", "echo out; echo err >&2"])
    assert res.stdout == "out\n" and res.stderr == "err\n" and res.exit_code == 0


def test_output_of_short_lived_commands_is_complete(runner):
    for _ in range(30):
        assert runner.run(["printf", "a\\nb\\nc\\n"]).stdout == "a\nb\nc\n"


def test_missing_tool_raises_tool_missing_naming_it(runner):
    with pytest.raises(ToolMissing, match="'no-such-tool' was not found on PATH"):
        runner.run(["no-such-tool", "--version"])
    assert audit(runner)[-1]["status"] == "missing"


def test_failure_raises_tool_failed_with_stderr(runner):
    with pytest.raises(ToolFailed) as e:
        runner.run(["sh", "-c", "echo boom >&2; exit 3"])
    assert e.value.exit_code == 3 and "boom" in e.value.stderr and "exit code 3" in str(e.value)


def test_ok_codes_accepts_other_exit_codes(runner):
    assert runner.run(["sh", "-c", "exit 1"], ok_codes=(0, 1)).exit_code == 1


def test_timeout_kills_the_whole_process_group(runner, tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    t0 = time.monotonic()
    with pytest.raises(ToolTimeout, match="did not finish within 1s"):
        runner.run(["sh", "-c", f"sleep 300 & echo $! > {pidfile}; wait"], timeout=1)
    assert time.monotonic() - t0 < 10
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while pid_alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(grandchild), "the background child of the timed-out command survived"
    assert audit(runner)[-1]["status"] == "timeout"


def test_cancel_terminates_the_child(runner, tmp_path):
    token = CancelToken()
    threading.Timer(0.3, token.cancel).start()
    with pytest.raises(Cancelled):
        runner.run(["sh", "-c", f"echo $$ > {tmp_path}/pid; sleep 300"], cancel=token)
    assert not pid_alive(int((tmp_path / "pid").read_text()))
    assert audit(runner)[-1]["status"] == "cancelled"


def test_secret_env_reaches_the_tool_but_not_output_or_audit(runner):
    canary = "canary-token-3f9a7c1e"
    res = runner.run(["sh", "-c", 'echo "token is $MY_TOKEN"; echo "$MY_TOKEN" >&2'], secret_env={"MY_TOKEN": canary})
    assert res.stdout == f"token is {canary}\n"  # data for the caller, as the tool wrote it
    assert canary not in res.shown_stdout and "***" in res.shown_stdout and canary not in res.stderr
    raw = runner.audit_log.read_text()
    assert canary not in raw
    assert canary not in " ".join(audit(runner)[-1]["argv"])


def test_secret_stdin_is_redacted_from_echoed_output(runner):
    res = runner.run(["cat"], stdin=FAKE_AGE_KEY, stdin_is_secret=True)
    assert "AGE-SECRET-KEY" not in res.shown_stdout and FAKE_AGE_KEY not in runner.audit_log.read_text()


def test_stdout_is_data_never_masked(runner):
    """Fault (issue 14 item 1): a registered value (`homelab`) replaced in a tool's YAML output read as
    an alias (`namespace: ***`). stdout reaches the caller as written; only what people see is masked."""
    runner.redactor.add("s3cr3t-Passw0rd")
    res = runner.run(["printf", "namespace: homelab\npassword: s3cr3t-Passw0rd\n"])
    assert res.stdout == "namespace: homelab\npassword: s3cr3t-Passw0rd\n"
    assert res.shown_stdout == "namespace: homelab\npassword: ***\n"
    assert "s3cr3t-Passw0rd" not in runner.audit_log.read_text()


def test_failed_command_error_message_is_redacted(runner):
    with pytest.raises(ToolFailed) as e:
        runner.run(["sh", "-c", f"echo 'fatal: https://git:{FAKE_GITHUB_TOKEN}@example.com' >&2; exit 128"])
    assert "ghp_" not in str(e.value) and "ghp_" not in e.value.stderr


def test_audit_log_is_private_and_has_one_line_per_command(runner):
    runner.run(["true"])
    runner.run(["echo", "x"])
    assert os.stat(runner.audit_log).st_mode & 0o777 == 0o600
    recs = audit(runner)
    assert [r["argv"] for r in recs] == [["true"], ["echo", "x"]]
    for r in recs:
        assert {"start", "duration_s", "exit_code", "status", "stdout", "stderr"} <= set(r)


def test_log_output_false_keeps_output_out_of_the_audit_log(runner):
    runner.run(["cat"], stdin="c2VjcmV0LXZhbHVl", log_output=False)
    rec = audit(runner)[-1]
    assert "c2VjcmV0LXZhbHVl" not in json.dumps(rec) and "withheld" in rec["stdout"]


def test_on_line_streams_redacted_lines(runner):
    lines = []
    runner.run(["sh", "-c", f"echo one; echo {FAKE_GITHUB_TOKEN}; echo three"], on_line=lines.append)
    assert lines[0] == "one" and lines[2] == "three" and "ghp_" not in lines[1]


def test_raw_stdout_is_byte_exact_and_never_logged(runner):
    runner.redactor.add("value-the-redactor-knows")
    res = runner.run(["cat"], stdin="data: value-the-redactor-knows\n", raw_stdout=True)
    assert res.stdout == "data: value-the-redactor-knows\n"  # e.g. a Secret going into a private backup
    assert "value-the-redactor-knows" not in runner.audit_log.read_text()
    assert "withheld" in audit(runner)[-1]["stdout"]
