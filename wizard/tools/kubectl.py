"""kubectl, always pinned to one kubeconfig and context."""
from __future__ import annotations

from dataclasses import dataclass

from .base import PinnedTool, parse_version


@dataclass
class Kubectl(PinnedTool):
    exe: str = "kubectl"

    def get_json(self, *args: str, **kw) -> dict:
        return self.run("get", *args, "-o", "json", **kw).json()

    def client_version(self):
        out = self.run("version", "--client", "-o", "json", timeout=20).json()
        return parse_version(out["clientVersion"]["gitVersion"])

    def server_version(self):
        out = self.run("version", "-o", "json", "--request-timeout=10s", timeout=20).json()
        return parse_version(out["serverVersion"]["gitVersion"])

    def current_context(self) -> str | None:
        args = [self.exe] + (["--kubeconfig", self.kubeconfig] if self.kubeconfig else [])
        res = self.runner.run([*args, "config", "current-context"], ok_codes=(0, 1), timeout=10)
        return res.stdout.strip() or None

    def config_view(self) -> dict:
        """The whole merged kubeconfig (every context, not only the pinned one), as JSON. Never --raw:
        without it kubectl itself replaces tokens, passwords and key data by REDACTED / DATA+OMITTED."""
        args = [self.exe] + (["--kubeconfig", self.kubeconfig] if self.kubeconfig else [])
        return self.runner.run([*args, "config", "view", "-o", "json"], timeout=10).json()

    def server_url(self) -> str | None:
        # --minify keeps only the pinned context; credentials are omitted by kubectl itself.
        cfg = self.run("config", "view", "--minify", "-o", "json", timeout=10).json()
        clusters = cfg.get("clusters") or []
        return clusters[0]["cluster"].get("server") if clusters else None

    def kube_system_uid(self) -> str:
        return self.get_json("namespace", "kube-system", "--request-timeout=10s", timeout=20)["metadata"]["uid"]

    def apply_stdin(self, manifest: str, *extra: str, **kw):
        return self.run("apply", "-f", "-", *extra, stdin=manifest, **kw)
