"""`homelab-wizard --version` prints the installed distribution's version (issue 22)."""
from __future__ import annotations

from importlib.metadata import version

import pytest

from wizard.cli import main


def test_version_prints_the_installed_version_and_exits_0(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out == f"homelab-wizard {version('homelab-wizard')}\n"


def test_version_is_listed_in_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--version" in capsys.readouterr().out
