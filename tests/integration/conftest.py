"""Fixtures shared by the integration tests (real CLIs on temp repos, no cluster)."""
from __future__ import annotations

import pytest

from tests.helpers import NO_CLUSTER, cli_env


@pytest.fixture
def env(tmp_path):
    """The CLI's environment with a private data dir and a kubeconfig that does not exist (no cluster)."""
    return cli_env(HOMELAB_WIZARD_DATA=str(tmp_path / "data"), **NO_CLUSTER)
