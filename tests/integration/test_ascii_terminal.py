"""Output does not depend on the terminal's encoding (issue 22): on a terminal that cannot show → or ✔,
every command writes ASCII stand-ins, never a UnicodeEncodeError traceback."""
from __future__ import annotations

import subprocess

import pytest

from tests.helpers import NO_CLUSTER, VENV_BIN, cli_env

COMMANDS = {
    "status": ["status"],
    "status-json": ["status", "--json"],
    "preview": ["run", "prep.structure", "--dry-run", "--set", "option=b"],
    "verify": ["verify", "repo"],
    "doctor": ["doctor"],
    "rollback": ["rollback"],
    "help": ["--help"],
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("ascii")
    env = cli_env(HOMELAB_WIZARD_DATA=str(base / "data"), HOMELAB_WIZARD_NONINTERACTIVE="1", **NO_CLUSTER)
    subprocess.run([str(VENV_BIN / "homelab-wizard"), "demo", str(base / "demo")], env=env, check=True,
                   capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
    return base / "demo", env


def wizard(demo, *args, encoding):
    repo, env = demo
    return subprocess.run([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo), *args], capture_output=True,
                          env={**env, "PYTHONIOENCODING": encoding}, stdin=subprocess.DEVNULL, timeout=300)


@pytest.mark.parametrize("name", COMMANDS)
def test_on_an_ascii_terminal_every_command_writes_ascii_and_no_traceback(demo, name):
    res = wizard(demo, *COMMANDS[name], encoding="ascii")
    out, err = res.stdout.decode("ascii"), res.stderr.decode("ascii")  # raises on any non-ASCII byte
    assert "Traceback" not in err and "UnicodeEncodeError" not in err, err
    assert res.returncode in (0, 1, 3), (res.returncode, out, err)
    assert out.strip(), err


def test_the_preview_shows_its_moves_with_ascii_arrows(demo):
    out = wizard(demo, *COMMANDS["preview"], encoding="ascii").stdout.decode("ascii")
    assert "  -> " in out and "  =>  apps/" in out, out


def test_a_latin1_terminal_keeps_what_it_can_show_and_replaces_the_rest(demo):
    res = wizard(demo, "status", encoding="latin-1")
    out = res.stdout.decode("latin-1")
    assert res.returncode == 0 and "Traceback" not in res.stderr.decode("latin-1")
    assert "·  1.0 prep.preflight" in out  # U+00B7 is in Latin-1: kept
    res = wizard(demo, *COMMANDS["preview"], encoding="latin-1")
    assert "  -> " in res.stdout.decode("latin-1")  # U+2192 is not: the stand-in


def test_a_c_locale_without_utf8_mode_gets_ascii_too(demo):
    repo, env = demo
    env = {k: v for k, v in env.items() if not k.startswith(("LC_", "LANG", "PYTHONIOENCODING"))}
    env.update(LC_ALL="POSIX", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0")  # Python's own UTF-8 rescue off
    res = subprocess.run([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo), *COMMANDS["preview"]],
                         capture_output=True, env=env, stdin=subprocess.DEVNULL, timeout=300)
    assert b"Traceback" not in res.stderr and b"  -> " in res.stdout, res.stderr
    res.stdout.decode("ascii")
