"""Issue 15 (point 2): a cluster error is one sentence; the tool's text is the details."""
from wizard.explain import explain

KUBECTL_8080 = ("'kubectl get kustomizations -A -o json' failed with exit code 1: E1202 memcache.go:381] \"Couldn't get "
                "current server API group list\" err=\"Get \\\"http://localhost:8080/api\\\": dial tcp 127.0.0.1:8080: "
                "connect: connection refused\" / The connection to the server localhost:8080 was refused")


def test_a_refused_localhost_8080_reads_as_no_cluster_configured():
    sentence, details = explain(KUBECTL_8080)
    assert sentence.startswith("No cluster is configured for kubectl here") and "memcache" not in sentence
    assert details == KUBECTL_8080


def test_an_unknown_failure_keeps_the_tools_last_line():
    sentence, details = explain("'flux suspend ks apps' failed with exit code 1: ✗ no Kustomization named apps")
    assert sentence == "flux failed (exit code 1): ✗ no Kustomization named apps" and details


def test_the_wizards_own_sentences_are_left_alone():
    assert explain("no cluster is pinned yet: run 1.0 prep.preflight first") == \
        ("no cluster is pinned yet: run 1.0 prep.preflight first", "")


def test_a_tool_failure_inside_a_wizard_sentence_is_explained_too():
    """The Flux status screen gets the tool's text wrapped in the session's own sentence."""
    text = f"the cluster of context 'homelab' is not reachable: {KUBECTL_8080}. Check that it is running"
    sentence, details = explain(text)
    assert sentence.startswith("No cluster is configured for kubectl here") and details == text
