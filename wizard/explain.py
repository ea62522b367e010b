"""One sentence for a failed tool call, with the tool's own text kept apart as the details.

A front end shows the sentence, and the details only when asked: kubectl's stderr (memcache
retries, `localhost:8080 ... refused` five times over) is what went wrong underneath, not the
first thing a person should have to read.
"""
from __future__ import annotations

import re

_FAILED = re.compile(r"'(?P<cmd>[^']*)' failed with exit code (?P<code>\d+): (?P<detail>.*)$", re.S)
# (what the tool's text says, the sentence), first match wins
_CAUSES = [
    (("localhost:8080",), "No cluster is configured for kubectl here (it fell back to localhost:8080): pin one "
                          "with 1.0 Preflight, or check the kubeconfig."),
    (("connection refused", "unable to connect to the server", "no route to host"),
     "The cluster is not reachable: check that it runs and that the kubeconfig points at it."),
    (("cannot locate context", "context was not found", "no context exists"),
     "The kubeconfig has no context of that name: see 'kubectl config get-contexts', and pin the right one "
     "with 1.0 Preflight."),
    (("no such host", "could not resolve"), "The cluster's address does not resolve: check the kubeconfig's server."),
    (("i/o timeout", "timed out", "deadline exceeded"), "The cluster did not answer in time: check that it runs."),
    (("forbidden", "unauthorized"), "The cluster refused the request: the kubeconfig's user lacks the permission."),
    (("x509", "certificate"), "The cluster's certificate is not trusted by this kubeconfig."),
]


def explain(text: str) -> tuple[str, str]:
    """(sentence, details): details is "" when the text is already a plain sentence of the wizard's.

    A tool failure may also sit inside one of the wizard's sentences ("the cluster of context 'x' is
    not reachable: 'kubectl …' failed …"): the tool's text is what makes such a sentence long, so
    it is explained the same way, and the whole text becomes the details."""
    m = _FAILED.search(text.strip())
    if not m:
        return text, ""
    low = m.group("detail").lower()
    for needles, sentence in _CAUSES:
        if any(n in low for n in needles):
            return sentence, text
    tool = m.group("cmd").split(" ", 1)[0]
    last = m.group("detail").split(" / ")[-1].strip()
    return f"{tool} failed (exit code {m.group('code')}): {last}", text
