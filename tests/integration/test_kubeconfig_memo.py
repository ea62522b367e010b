"""The server URL read from an unchanged kubeconfig is kept between runs of the wizard
(wizard/tools/kubeconfig_memo.py); an edited or another kubeconfig is read again. Real kubectl
`config view` (offline: it only reads the file); the runner is watched, not replaced."""
from __future__ import annotations

import os

import pytest

from tests.helpers import VENV_BIN
from wizard.runner import Runner
from wizard.tools.kubectl import Kubectl

KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster: {{server: "{server}"}}
users:
- name: me
  user: {{token: memo-test-token-value}}
contexts:
- name: lab
  context: {{cluster: lab, user: me}}
current-context: lab
"""


@pytest.fixture
def kubectl_calls(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMELAB_WIZARD_DATA", str(tmp_path / "data"))
    runner = Runner(base_env={"PATH": f"{VENV_BIN}:{os.environ['PATH']}", "HOME": str(tmp_path)})
    calls = []
    real = runner.run

    def spy(argv, *a, **kw):
        calls.append(argv)
        return real(argv, *a, **kw)

    runner.run = spy
    return runner, calls


def test_an_unchanged_kubeconfig_is_read_once_and_an_edited_one_again(tmp_path, kubectl_calls):
    runner, calls = kubectl_calls
    kc = tmp_path / "kubeconfig"
    kc.write_text(KUBECONFIG.format(server="https://127.0.0.1:6443"))
    k = Kubectl(runner, kubeconfig=str(kc), context="lab")
    assert k.server_url() == "https://127.0.0.1:6443"
    assert Kubectl(runner, kubeconfig=str(kc), context="lab").server_url() == "https://127.0.0.1:6443"
    assert len(calls) == 1

    kc.write_text(KUBECONFIG.format(server="https://127.0.0.1:7443"))  # the cluster moved: read again
    assert k.server_url() == "https://127.0.0.1:7443" and len(calls) == 2

    other = tmp_path / "other"
    other.write_text(KUBECONFIG.format(server="https://127.0.0.1:8443"))
    assert Kubectl(runner, kubeconfig=str(other), context="lab").server_url() == "https://127.0.0.1:8443"
    assert len(calls) == 3
    for f in (tmp_path / "data" / "cluster-facts").iterdir():
        assert "memo-test-token-value" not in f.read_text() and (f.stat().st_mode & 0o077) == 0


def test_the_contexts_namespace_comes_with_the_server_from_the_same_read_and_follows_an_edit(tmp_path, kubectl_calls):
    runner, calls = kubectl_calls
    kc = tmp_path / "kubeconfig"
    kc.write_text(KUBECONFIG.format(server="https://127.0.0.1:6443"))
    k = Kubectl(runner, kubeconfig=str(kc), context="lab")
    assert k.context_namespace() is None  # the context names none: `kubectl apply -f` uses default
    assert k.server_url() == "https://127.0.0.1:6443" and len(calls) == 1

    kc.write_text(KUBECONFIG.format(server="https://127.0.0.1:6443").replace("{cluster: lab, user: me}",
                                                                            "{cluster: lab, user: me, namespace: media}"))
    assert Kubectl(runner, kubeconfig=str(kc), context="lab").context_namespace() == "media"
    assert len(calls) == 2
