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
        return self.minified().get("server")

    def context_namespace(self) -> str | None:
        """The pinned context's namespace (what `kubectl apply -f` uses for an object without one), or None."""
        return self.minified().get("namespace")

    def minified(self) -> dict:
        """{"server", "namespace"} of the pinned context, as `kubectl config view --minify` reads them from the
        kubeconfig files: remembered by those files (path, inode, size, mtime) and the context, so every run of
        the wizard that checks the cluster's identity does not start one more kubectl to read an unchanged file."""
        from .kubeconfig_memo import recall, remember

        key = self._config_files_key()
        if key is not None:
            hit = recall(key)
            if hit is not None:
                return hit
        # --minify keeps only the pinned context; credentials are omitted by kubectl itself.
        cfg = self.run("config", "view", "--minify", "-o", "json", timeout=10).json()
        clusters = cfg.get("clusters") or []
        contexts = cfg.get("contexts") or []
        got = {"server": clusters[0]["cluster"].get("server") if clusters else None,
               "namespace": (contexts[0].get("context") or {}).get("namespace") if contexts else None}
        if key is not None and got["server"]:
            remember(key, got["server"], got["namespace"])
        return got

    def _config_files_key(self) -> str | None:
        import os

        if self.kubeconfig:
            files = [self.kubeconfig]
        else:
            env = self.runner.env()
            files = [f for f in (env.get("KUBECONFIG") or "").split(os.pathsep) if f] or \
                [os.path.join(env.get("HOME") or os.path.expanduser("~"), ".kube", "config")]
        parts: list = ["v2", self.context]  # v2: the namespace is kept too
        for f in files:
            try:
                st = os.stat(f)
            except OSError:
                return None  # kubectl says what is wrong with it
            parts.append([os.path.abspath(f), st.st_ino, st.st_size, st.st_mtime_ns])
        import json

        return json.dumps(parts)

    def kube_system_uid(self) -> str:
        return self.get_json("namespace", "kube-system", "--request-timeout=10s", timeout=20)["metadata"]["uid"]

    def apply_stdin(self, manifest: str, *extra: str, **kw):
        return self.run("apply", "-f", "-", *extra, stdin=manifest, **kw)
