"""A Helm chart repository on 127.0.0.1: a tiny local chart, packaged and indexed with the real helm
CLI, served by a Python http.server thread (issue 13's adoption tests).

source-controller fetches the index and the chart from it like from any HelmRepository (type
default, plain http); helm-controller then downloads the chart artifact from source-controller's
storage, also on 127.0.0.1. Nothing here dials anything but loopback.
"""
from __future__ import annotations

import functools
import http.server
import threading
from dataclasses import dataclass
from pathlib import Path

from .tools import run

CHART = "adopt-demo"
CHART_VERSION = "0.1.0"

_CHART_YAML = f"""apiVersion: v2
name: {CHART}
description: A tiny chart the testbed installs by hand and Flux then adopts.
type: application
version: {CHART_VERSION}
appVersion: "1.0.0"
"""

_VALUES = """replicaCount: 1
image: registry.invalid/adopt-demo:1.0.0
greeting: hello
# A credential in the values: the wizard must not write it into the HelmRelease in plaintext.
auth:
  password: ""
service:
  port: 8080
"""

_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {app: {{ .Release.Name }}}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    spec:
      containers:
        - name: app
          image: {{ .Values.image | quote }}
          ports: [{containerPort: {{ .Values.service.port }}}]
          envFrom: [{configMapRef: {name: {{ .Release.Name }}-config}}]
"""

_CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  GREETING: {{ .Values.greeting | quote }}
  PASSWORD_SET: {{ ne .Values.auth.password "" | quote }}
"""

_SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
spec:
  selector: {app: {{ .Release.Name }}}
  ports: [{port: {{ .Values.service.port }}, targetPort: {{ .Values.service.port }}}]
"""


def write_chart(root: Path) -> Path:
    """The chart's source folder (Chart.yaml, values.yaml, three templates) under ``root``."""
    src = root / CHART
    (src / "templates").mkdir(parents=True, exist_ok=True)
    (src / "Chart.yaml").write_text(_CHART_YAML)
    (src / "values.yaml").write_text(_VALUES)
    (src / "templates" / "deployment.yaml").write_text(_DEPLOYMENT)
    (src / "templates" / "configmap.yaml").write_text(_CONFIGMAP)
    (src / "templates" / "service.yaml").write_text(_SERVICE)
    return src


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass  # source-controller polls; the test output should not fill with access lines


@dataclass
class ChartRepo:
    """A running chart repository: ``url`` for a HelmRepository, ``chart`` for `helm install`."""

    url: str
    dir: Path
    chart: Path  # the packaged .tgz
    server: http.server.ThreadingHTTPServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def serve_chart_repo(root: Path, env: dict[str, str]) -> ChartRepo:
    """Package the chart with `helm package`, index it with `helm repo index --url`, serve it on
    127.0.0.1:<free port>. The port is bound first, so the index names the right URL."""
    repo_dir = root / "repo"
    repo_dir.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(repo_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        src = write_chart(root / "src")
        run(["helm", "package", str(src), "--destination", str(repo_dir)], env)
        run(["helm", "repo", "index", str(repo_dir), "--url", url], env)
    except BaseException:
        server.server_close()
        raise
    thread = threading.Thread(target=server.serve_forever, name="chart-repo", daemon=True)
    thread.start()
    return ChartRepo(url, repo_dir, repo_dir / f"{CHART}-{CHART_VERSION}.tgz", server, thread)
