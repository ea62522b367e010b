"""Fixtures shared by the end-to-end tests on the testbed."""
from __future__ import annotations

import pytest


@pytest.fixture
def env(testbed, tmp_path):
    """The shared testbed's environment (KUBECONFIG, PATH, loopback proxies) with a private data dir."""
    e = dict(testbed.env)
    e["HOMELAB_WIZARD_DATA"] = str(tmp_path / "data")
    return e
