"""The live layer's stand-in for the owner's nodes (tests/live/nodes.py) finds every machine a repo pins
its pods to, and none the testbed's own node already is."""
from __future__ import annotations

from tests.helpers import write_files
from tests.live.nodes import pinned_nodes

POD = """\
apiVersion: {api}
kind: {kind}
metadata: {{name: {name}, namespace: mail}}
spec:
{spec}
"""


def _template(pod_spec: str) -> str:
    return "  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: x}}\n    spec:\n" + pod_spec


def test_a_repo_pinning_pods_by_selector_name_or_affinity_names_each_node_once(tmp_path):
    repo = write_files(tmp_path, {
        "mail/dovecot.yaml": POD.format(api="apps/v1", kind="Deployment", name="dovecot", spec=_template(
            "      nodeSelector: {kubernetes.io/hostname: m.k8s.my.lan, disk: ssd}\n"
            "      containers: [{name: c, image: i}]\n")),
        "unifi/unifi.yaml": POD.format(api="apps/v1", kind="Deployment", name="unifi", spec=_template(
            "      nodeName: m.k8s.my.lan\n      containers: [{name: c, image: i}]\n")),
        "cron/job.yaml": POD.format(api="batch/v1", kind="CronJob", name="backup", spec=(
            "  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
            "          affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "
            "[{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [nas]}]}]}}}\n"
            "          containers: [{name: c, image: i}]\n")),
        "metrics/ksm.yaml": POD.format(api="apps/v1", kind="Deployment", name="ksm", spec=_template(
            "      nodeSelector: {kubernetes.io/os: linux}\n      containers: [{name: c, image: i}]\n")),
    })
    assert pinned_nodes(repo) == {
        "m.k8s.my.lan": {"kubernetes.io/hostname": "m.k8s.my.lan", "disk": "ssd"},
        "nas": {"kubernetes.io/hostname": "nas"},
    }


def _spread(name: str, app: str, replicas: int) -> str:
    return POD.format(api="apps/v1", kind="Deployment", name=name, spec=(
        f"  replicas: {replicas}\n  selector: {{matchLabels: {{app: {app}, v: {name}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: {app}, v: {name}}}}}\n    spec:\n"
        "      affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: "
        f"{{matchExpressions: [{{key: app, operator: In, values: [{app}]}}]}}, topologyKey: kubernetes.io/hostname}}]}}}}\n"
        "      containers: [{name: c, image: i}]\n"))


def test_the_owner_ran_at_least_as_many_nodes_as_a_required_anti_affinity_keeps_pods_apart(tmp_path):
    """lisenet: httpd-healthcheck's 2 replicas, and 3 pods of app=httpd-server (pii-demo, -blue, -green)."""
    from tests.live.nodes import hosts_needed

    repo = write_files(tmp_path, {"a/check.yaml": _spread("httpd-healthcheck", "httpd-healthcheck", 2),
                                  "b/one.yaml": _spread("httpd-server", "httpd-server", 1),
                                  "c/blue.yaml": _spread("httpd-server-blue", "httpd-server", 1),
                                  "c/green.yaml": _spread("httpd-server-green", "httpd-server", 1)})
    assert hosts_needed(repo) == 3
    assert hosts_needed(write_files(tmp_path / "plain", {"x.yaml": POD.format(
        api="apps/v1", kind="Deployment", name="x", spec="  replicas: 5\n" + _template(
            "      containers: [{name: c, image: i}]\n"))})) == 1
