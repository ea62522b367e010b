"""The testbed: a real Kubernetes control plane plus Flux and Sealed Secrets, as host processes.

LOOPBACK ONLY — a hard rule. Nothing may ever dial a pod, a service, a node or any address other
than 127.0.0.1. The cluster has no CNI and no kube-proxy: ClusterIPs and pod IPs (10.x) exist only
as strings in object status and must never become a network target. So:
  * every component address below is an explicit 127.0.0.1:<port> (see ports.py);
  * never run ``kubectl logs``, ``exec``, ``port-forward``, ``attach`` or ``proxy`` against the
    testbed (they dial the node or pods); read a component's log file in <run dir>/logs instead;
  * ``kubeseal`` always gets ``--cert`` (the controller's PEM, fetched from 127.0.0.1), never the
    apiserver's service proxy; ``--validate``/``--re-encrypt`` are out;
  * Flux's fake Deployments (made Ready by KWOK) do nothing; the host processes do the work.

What runs, in order (each in its own session/process group, logging to <run dir>/logs/<name>.log):
  1. etcd                      (http://127.0.0.1:<etcd_client>)
  2. kube-apiserver            (https://127.0.0.1:<apiserver>, static token, openssl CA)
  3. kube-controller-manager, kube-scheduler, kwok (one fake Linux node), the git http server;
     meanwhile the Flux and Sealed Secrets CRDs are applied server-side and the node is created
  4. source-, kustomize-, notification-, helm-controller (KUBECONFIG, RUNTIME_NAMESPACE=flux-system)
     and sealed-secrets-controller (in-cluster config faked inside a private mount namespace)
Start waits until every health endpoint answers; teardown kills every process group and checks
that no process and no listening port is left.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


from . import ports as portmod
from .certs import Credentials, make_credentials, write_kubeconfig
from .components import Binaries, find_binaries
from .probes import Probe, http_get
from .procs import LOG_TAIL_LINES, PidFile, Proc, kill_all, port_listening, proc_alive, spawn

DEFAULT_RUN_DIR = Path("/tmp/homelab-wizard-testbed")
CONTEXT = "homelab-wizard-testbed"
FLUX_NAMESPACE = "flux-system"
SEALED_SECRETS_NAMESPACE = "kube-system"
NODE_NAME = "kwok-node-0"
STORAGE_CLASS = "local-path"  # k3s's default StorageClass, which homelab manifests name
STORAGE_PVS = 24
GIT_SERVER = Path(__file__).resolve().parent / "gitserver.py"
SA_DIR = "secrets/kubernetes.io/serviceaccount"
RUN_DIR_MARKER = ".homelab-wizard-testbed"


# A Kustomization whose dependsOn is not Ready yet is looked at again after this (Flux's default: 30s). Each
# tier of the wizard's chain (infra-controllers -> infra-configs -> apps) can wait one such round, and every
# e2e test waits on that chain; 5s is a documented setting of the same controllers, not a change of behaviour.
REQUEUE_DEPENDENCY = "--requeue-dependency=5s"


class TestbedError(RuntimeError):
    """Something about the testbed failed; the message names the component and what to do."""

    __test__ = False  # not a pytest test class despite the name


class ComponentFailed(TestbedError):
    """A component exited or never became healthy; carries its last log lines."""


class AlreadyRunning(TestbedError):
    """The run dir belongs to a live testbed (make testbed-up or another pytest session)."""


def default_run_dir() -> Path:
    return Path(os.environ.get("TESTBED_RUN_DIR") or DEFAULT_RUN_DIR)


_ERROR_WORDS = re.compile(r"error|fatal|fail|panic|not defined|invalid|unknown|denied|refused|address already in use", re.I)


def _failure(name: str, reason: str, log: Path, lines: int = LOG_TAIL_LINES) -> ComponentFailed:
    """The error for a failed component: its last log lines, plus earlier error-looking lines.

    Some programs print the actual error and then pages of usage (etcd on a bad flag), so the
    tail alone can miss it; the first few lines that look like errors are quoted as well.
    """
    from .procs import tail

    msg = f"testbed: {name} {reason}."
    try:
        all_lines = log.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        all_lines = []
    earlier = all_lines[:-lines] if len(all_lines) > lines else []
    errors = [line for line in earlier if _ERROR_WORDS.search(line) and not line.startswith("# testbed:")][:5]
    if errors:
        msg += "\n--- error lines earlier in its log ---\n" + "\n".join(e[:500] for e in errors)
    return ComponentFailed(f"{msg}\n--- last {lines} lines of {log} ---\n{tail(log, lines)}\n--- end of {name} log ---")


def _kill_tiered(procs: list[Proc], report: list[str]) -> list[str]:
    """Kill in tiers, not all at once: killed together, kube-apiserver's graceful shutdown waits
    on the dying etcd (>15 s, measured) and etcd on the apiserver's connections. Everything else
    first, with a short grace: all state is throwaway, and a controller in mid-reconcile would
    otherwise sit out controller-runtime's graceful-shutdown wait (kustomize-controller: >10 s)."""
    core = ("kube-apiserver", "etcd")
    survivors = kill_all([p for p in reversed(procs) if p.name not in core], grace=3, report=report)
    for name in core:
        survivors += kill_all([p for p in procs if p.name == name], grace=10, report=report)
    return survivors


@dataclass
class _Spec:
    """How to run one component and how to tell it is healthy."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    probes: list[Probe] = field(default_factory=list)


class Testbed:
    """Start/stop the whole testbed in ``run_dir`` (default $TESTBED_RUN_DIR or /tmp/homelab-wizard-testbed).

    ``port_base``/``ports`` move the listeners (see ports.py); ``extra_args`` appends flags to a
    component's command line (a test hook: e.g. ``{"etcd": ["--no-such-flag"]}`` makes etcd fail);
    ``binaries`` overrides discovery (tests).
    """

    __test__ = False

    def __init__(self, run_dir: Path | None = None, *, port_base: int | None = None,
                 ports: dict[str, int] | None = None, extra_args: dict[str, list[str]] | None = None,
                 binaries: Binaries | None = None, startup_timeout: float = 180.0):
        self.run_dir = Path(run_dir or default_run_dir()).resolve()
        self.ports = portmod.allocate(port_base, ports)
        self.extra_args = extra_args or {}
        self._binaries = binaries
        self.startup_timeout = startup_timeout
        self.procs: list[Proc] = []
        self.creds: Credentials | None = None
        self.token: str = ""
        self.startup_seconds: float | None = None
        self.timings: dict[str, float] = {}
        self._pidfile = PidFile(self.run_dir / "pids.json")
        self._owned = False  # True once this object started the processes

    # ---- paths and client settings -------------------------------------------------------
    @property
    def bins(self) -> Binaries:
        if self._binaries is None:
            self._binaries = find_binaries()
        return self._binaries

    @property
    def kubeconfig(self) -> Path:
        return self.run_dir / "kubeconfig"

    @property
    def context(self) -> str:
        return CONTEXT

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.ports['apiserver']}"

    @property
    def logs_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def git_root(self) -> Path:
        return self.run_dir / "git"

    @property
    def git_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['git']}"

    @property
    def sealed_secrets_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['sealed_secrets']}"

    @property
    def bin_dir(self) -> list[Path]:
        return self.bins.bin_dirs

    @property
    def env(self) -> dict[str, str]:
        """Environment for tests: testbed binaries first on PATH, then the venv, and KUBECONFIG.

        In-cluster variables are dropped so no client falls back to in-cluster config; the
        caller's proxy variables are replaced by the loopback guard (see proxy_guard_env).
        """
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("KUBERNETES_") and k.lower() not in
               ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
        path = [str(p) for p in self.bins.bin_dirs] + [str(self.bins.kubectl.parent), env.get("PATH", "/usr/bin:/bin")]
        # kubectl and flux keep their discovery cache in the run dir: one folder per testbed (its own port),
        # removed with it, instead of one more folder in ~/.kube/cache for every testbed ever started.
        env.update(PATH=os.pathsep.join(path), KUBECONFIG=str(self.kubeconfig),
                   KUBECACHEDIR=str(self.run_dir / "kube-cache"), SOPS_DISABLE_VERSION_CHECK="1",
                   **self.proxy_guard_env)
        # The helm CLI (on PATH from the build cache) keeps its repositories, cache and plugins in
        # the run dir, never in the user's home.
        helm = self.run_dir / "helm"
        env.update(HELM_CONFIG_HOME=str(helm / "config"), HELM_CACHE_HOME=str(helm / "cache"),
                   HELM_DATA_HOME=str(helm / "data"))
        return env

    @property
    def proxy_guard_env(self) -> dict[str, str]:
        """Loopback guard: every non-loopback HTTP(S) request goes to a closed 127.0.0.1 port.

        Go's net/http and curl (git) honour these; 127.0.0.1/localhost bypass them (Go always
        does for loopback; curl needs NO_PROXY). So a stray call to GitHub or a ClusterIP fails
        immediately and locally instead of leaving the machine.
        """
        guard = f"http://127.0.0.1:{self.ports['proxy_guard']}"
        return {"HTTP_PROXY": guard, "HTTPS_PROXY": guard, "http_proxy": guard, "https_proxy": guard,
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}

    def _component_env(self, **extra: str) -> dict[str, str]:
        """A minimal environment for host components: no inherited KUBECONFIG, proxies or HOME."""
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.run_dir / "home"),
               "LANG": "C.UTF-8", "TMPDIR": str(self.run_dir / "tmp"), **self.proxy_guard_env}
        env.update(extra)
        return env

    def _log(self, name: str) -> Path:
        return self.logs_dir / f"{name}.log"

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self, *, detached: bool = False) -> "Testbed":
        """Start every component and wait until all are healthy; on any failure stop what started.

        ``detached`` marks the run as owned by nobody (``make testbed-up``): a later start in the
        same run dir then refuses instead of treating it as stale.
        """
        t0 = time.monotonic()
        bins = self.bins  # fail fast with "run make testbed-build" before touching anything
        self._clean_stale()
        portmod.check_free(self.ports)
        self._prepare_dirs()
        self._owned = True
        self._detached = detached
        try:
            self._start_all(bins, t0)
        except BaseException:
            # Keep the logs for the post-mortem, but leave no process or port behind.
            self.stop(quiet=True)
            raise
        self.startup_seconds = round(time.monotonic() - t0, 1)
        self._write_state()
        return self

    def _clean_stale(self) -> None:
        """Kill leftovers recorded by an earlier run that died, then wipe its run dir."""
        info = self._pidfile.read()
        if info:
            old = self._pidfile.procs()
            live = [p for p in old if p.alive()]
            owner = info.get("owner_pid")
            owner_alive = bool(owner) and owner != os.getpid() and proc_alive(owner)
            if live and (info.get("detached") or owner_alive):
                who = "make testbed-up" if info.get("detached") else f"process {owner}"
                raise AlreadyRunning(
                    f"testbed: a testbed started by {who} is running in {self.run_dir} "
                    f"({', '.join(p.name for p in live)}); stop it with `make testbed-down` "
                    "(or use another TESTBED_RUN_DIR and TESTBED_PORT_BASE)"
                )
            survivors = _kill_tiered(live, [])
            if survivors:
                raise TestbedError(f"testbed: could not kill leftovers of an earlier run: {survivors}")
        if self.run_dir.exists():
            # Never wipe a directory that is not ours (a mistyped TESTBED_RUN_DIR=$HOME ...).
            ours = (self.run_dir / RUN_DIR_MARKER).exists() or self._pidfile.path.exists() or (
                (self.run_dir / "pki" / "tokens.csv").exists() and (self.run_dir / "logs").is_dir())
            if any(self.run_dir.iterdir()) and not ours:
                raise TestbedError(f"testbed: refusing to wipe {self.run_dir}: it is not empty and has no "
                                   f"{RUN_DIR_MARKER} marker; choose an empty TESTBED_RUN_DIR")
            shutil.rmtree(self.run_dir)

    def _prepare_dirs(self) -> None:
        self.run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.run_dir.chmod(0o700)
        (self.run_dir / RUN_DIR_MARKER).write_text("a homelab-wizard testbed run dir; wiped at the next start\n")
        for d in ("logs", "git", "artifacts", "home", "tmp", "etcd", "certs"):
            (self.run_dir / d).mkdir(mode=0o700, exist_ok=True)

    def _spawn(self, spec: _Spec) -> Proc:
        cmd = spec.cmd + self.extra_args.get(spec.name, [])
        p = spawn(spec.name, cmd, self._log(spec.name), spec.env, cwd=self.run_dir)
        self.procs.append(p)
        self._write_state()
        return p

    def _write_state(self) -> None:
        self._pidfile.write(self.procs, {
            "detached": getattr(self, "_detached", False),
            "ports": self.ports, "server": self.server, "kubeconfig": str(self.kubeconfig),
            "startup_seconds": self.startup_seconds,
        })

    def _wait(self, specs: list[_Spec], procs: dict[str, Proc], deadline: float) -> None:
        """Poll until every spec's probes pass; a dead process fails at once with its log tail."""
        pending = {s.name: s for s in specs}
        reasons: dict[str, str] = {}
        while pending:
            for name in list(pending):
                p = procs[name]
                if not p.alive():
                    raise _failure(name, f"exited during startup (exit code {p.exit_code()})", p.log)
                why = next((r for r in (pr.check() for pr in pending[name].probes) if r), None)
                if why is None:
                    del pending[name]
                    self.timings[name] = round(time.monotonic() - self._t0, 1)
                else:
                    reasons[name] = why
            if not pending:
                return
            if time.monotonic() > deadline:
                name = next(iter(pending))
                raise _failure(name, f"did not become healthy in {self.startup_timeout:.0f}s "
                                     f"(last probe: {reasons.get(name)})", procs[name].log)
            time.sleep(0.2)

    def _start_all(self, bins: Binaries, t0: float) -> None:
        self._t0 = t0
        deadline = t0 + self.startup_timeout
        self.creds = make_credentials(self.run_dir / "pki", bins.openssl)
        self.token = self.creds.token
        write_kubeconfig(self.kubeconfig, self.server, self.creds.ca_crt, self.token, CONTEXT)
        procs: dict[str, Proc] = {}

        def run(specs: list[_Spec]) -> None:
            for s in specs:
                procs[s.name] = self._spawn(s)

        stage1 = [self._etcd(bins)]
        run(stage1)
        self._wait(stage1, procs, deadline)
        stage2 = [self._apiserver(bins)]
        run(stage2)
        self._wait(stage2, procs, deadline)
        stage3 = [self._controller_manager(bins), self._scheduler(bins), self._kwok(bins), self._gitserver()]
        run(stage3)
        # While those start: CRDs first (the host controllers exit if their kinds are unknown).
        self._apply_crds_and_node()
        stage4 = [self._source_controller(bins), self._kustomize_controller(bins),
                  self._notification_controller(bins), self._helm_controller(bins), self._sealed_secrets(bins)]
        run(stage4)
        self._wait(stage3 + stage4, procs, deadline)
        self._wait_node_ready(deadline)

    # ---- kubectl helpers -----------------------------------------------------------------
    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                timeout: float = 60) -> subprocess.CompletedProcess:
        env = self._component_env(KUBECONFIG=str(self.kubeconfig))
        r = subprocess.run([str(self.bins.kubectl), *args], input=input, capture_output=True,
                           text=True, env=env, timeout=timeout)
        if check and r.returncode != 0:
            raise TestbedError(f"testbed: kubectl {' '.join(args)} failed ({r.returncode}):\n{r.stderr.strip()}")
        return r

    def _apply_crds_and_node(self) -> None:
        """The Flux and Sealed Secrets CRDs, and the fake node, in one kubectl call (each kubectl
        start costs ~0.5-1 s on a busy 2-core machine)."""
        files = self.bins.crd_files()
        if not files:
            raise TestbedError("testbed: no CRD files in the build cache; run `make testbed-build`")
        # Server-side: large CRDs overflow the last-applied annotation of client-side apply.
        # The field manager is ours; `flux bootstrap` and then kustomize-controller apply the
        # same CRDs with their own managers and the same values (plus labels), which SSA merges
        # without a conflict (checked: bootstrap and `flux check` pass).
        args = ["apply", "--server-side", "--field-manager=testbed", "-o", "name", "-f", "-"]
        for f in files:
            args += ["-f", str(f)]
        items = {"apiVersion": "v1", "kind": "List", "items": [self._node(), *self._storage()]}
        out = self.kubectl(*args, input=json.dumps(items)).stdout.split()
        crds = [n for n in out if n.startswith("customresourcedefinition")]
        # The host controllers exit at start if their kinds are not served yet.
        self.kubectl("wait", "--for=condition=Established", "--timeout=60s", *crds)

    @staticmethod
    def _node() -> dict:
        return {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {
                "name": NODE_NAME,
                "labels": {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                           "kubernetes.io/hostname": NODE_NAME, "type": "kwok"},
                "annotations": {"node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": "fake"},
            },
            # No kwok.x-k8s.io/node NoSchedule taint (the kwok docs' example has one): Flux's
            # Deployments do not tolerate it and would stay Pending.
            "spec": {},
            "status": {
                "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"},
            },
        }

    @staticmethod
    def _storage(count: int = STORAGE_PVS) -> list[dict]:
        """PVCs bind as on a k3s homelab: a default `local-path` StorageClass and a pool of
        pre-created PVs for the PV controller to bind (no provisioner process: nothing to dial).
        They carry the marks k3s gives its own (the addon hash label; `provisioned-by`), so the
        wizard files them as the distribution's, as it would on k3s."""
        k3s = {"objectset.rio.cattle.io/hash": "testbed"}
        sc = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
              "metadata": {"name": STORAGE_CLASS, "labels": k3s,
                           "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
              "provisioner": "rancher.io/local-path", "reclaimPolicy": "Retain", "volumeBindingMode": "Immediate"}
        pvs = [{"apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": f"testbed-pv-{i:02d}",
                             "annotations": {"pv.kubernetes.io/provisioned-by": "rancher.io/local-path"}},
                "spec": {"capacity": {"storage": "200Gi"}, "accessModes": ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"],
                         "persistentVolumeReclaimPolicy": "Retain", "storageClassName": STORAGE_CLASS,
                         "volumeMode": "Filesystem",
                         # Never mounted: kwok runs no containers. A path that exists nowhere on purpose.
                         "hostPath": {"path": f"/nonexistent/testbed-pv-{i:02d}"}}} for i in range(count)]
        return [sc, *pvs]

    def _wait_node_ready(self, deadline: float) -> None:
        while True:
            r = self.kubectl("get", "node", NODE_NAME, "-o", "json", check=False)
            if r.returncode == 0:
                conds = json.loads(r.stdout).get("status", {}).get("conditions", [])
                if any(c["type"] == "Ready" and c["status"] == "True" for c in conds):
                    return
            if time.monotonic() > deadline:
                raise _failure("kwok", f"did not make node {NODE_NAME} Ready", self._log("kwok"))
            time.sleep(0.3)

    # ---- component specs -----------------------------------------------------------------
    def _etcd(self, b: Binaries) -> _Spec:
        c, peer = self.ports["etcd_client"], self.ports["etcd_peer"]
        return _Spec("etcd", [
            str(b["etcd"]), "--name=default", f"--data-dir={self.run_dir / 'etcd'}",
            f"--listen-client-urls=http://127.0.0.1:{c}", f"--advertise-client-urls=http://127.0.0.1:{c}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}", f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=default=http://127.0.0.1:{peer}",
            "--unsafe-no-fsync=true",  # throwaway data; fsync latency would dominate on a busy disk
        ], self._component_env(), [Probe(f"http://127.0.0.1:{c}/health", expect=b'"health":"true"')])

    def _apiserver(self, b: Binaries) -> _Spec:
        cr = self.creds
        return _Spec("kube-apiserver", [
            str(b["kube-apiserver"]), f"--etcd-servers=http://127.0.0.1:{self.ports['etcd_client']}",
            "--bind-address=127.0.0.1",
            # Without it the apiserver picks the default-route interface, which may not exist.
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.ports['apiserver']}", f"--cert-dir={self.run_dir / 'certs'}",
            f"--tls-cert-file={cr.server_crt}", f"--tls-private-key-file={cr.server_key}",
            f"--token-auth-file={cr.token_file}", "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={cr.sa_key}", f"--service-account-signing-key-file={cr.sa_key}",
            "--service-cluster-ip-range=10.0.0.0/24", "--allow-privileged=true",
            # The kubernetes Service's endpoint would be 127.0.0.1, which Endpoints validation
            # rejects ("may not be in the loopback range") every few seconds; nothing needs it.
            "--endpoint-reconciler-type=none",
            "--profiling=false",
        ], self._component_env(),
            [Probe(f"{self.server}/readyz", cafile=cr.ca_crt, token=cr.token, expect=b"ok")])

    def _kube_common(self, name: str, port_key: str) -> list[str]:
        k = str(self.kubeconfig)
        certs = self.run_dir / "certs" / name
        certs.mkdir(mode=0o700, parents=True, exist_ok=True)
        return [f"--kubeconfig={k}", f"--authentication-kubeconfig={k}", f"--authorization-kubeconfig={k}",
                "--leader-elect=false", "--bind-address=127.0.0.1",
                f"--secure-port={self.ports[port_key]}", f"--cert-dir={certs}"]

    def _controller_manager(self, b: Binaries) -> _Spec:
        return _Spec("kube-controller-manager", [
            str(b["kube-controller-manager"]), *self._kube_common("kube-controller-manager", "controller_manager"),
            f"--service-account-private-key-file={self.creds.sa_key}", f"--root-ca-file={self.creds.ca_crt}",
        ], self._component_env(),
            [Probe(f"https://127.0.0.1:{self.ports['controller_manager']}/healthz", insecure=True, expect=b"ok")])

    def _scheduler(self, b: Binaries) -> _Spec:
        return _Spec("kube-scheduler", [
            str(b["kube-scheduler"]), *self._kube_common("kube-scheduler", "scheduler"),
        ], self._component_env(),
            [Probe(f"https://127.0.0.1:{self.ports['scheduler']}/healthz", insecure=True, expect=b"ok")])

    def _kwok(self, b: Binaries) -> _Spec:
        stages = ",".join(str(s) for s in b.kwok_stages())
        return _Spec("kwok", [
            str(b["kwok"]), f"--kubeconfig={self.kubeconfig}", "--manage-all-nodes=true",
            "--node-lease-duration-seconds=40",
            # Pod IPs are only strings in status; keep them off the service range 10.0.0.0/24.
            "--cidr=10.244.0.0/16", "--node-ip=127.0.0.1",
            f"--server-address=127.0.0.1:{self.ports['kwok']}",  # no --node-port: it binds 0.0.0.0
            f"--config={stages}",  # the binary has no default stages (kwokctl injects them)
        ], self._component_env(), [Probe(f"http://127.0.0.1:{self.ports['kwok']}/healthz")])

    def _gitserver(self) -> _Spec:
        return _Spec("git-server", [
            sys.executable, str(GIT_SERVER), f"--root={self.git_root}", f"--port={self.ports['git']}",
            f"--backend={self.bins.git_http_backend}",
        ], self._component_env(), [Probe(f"{self.git_url}/_health", expect=b"ok")])

    def _flux_env(self) -> dict[str, str]:
        # No --kubeconfig flag: controller-runtime registers it on Go's flag set, which the
        # controllers' pflag parsing does not expose; KUBECONFIG is read instead.
        return self._component_env(KUBECONFIG=str(self.kubeconfig), RUNTIME_NAMESPACE=FLUX_NAMESPACE)

    def _flux_probes(self, key: str) -> list[Probe]:
        return [Probe(f"http://127.0.0.1:{self.ports[key]}/readyz"),
                Probe(f"http://127.0.0.1:{self.ports[key]}/healthz")]

    def _events_url(self) -> str:
        return f"--events-addr=http://127.0.0.1:{self.ports['notification_events']}/"

    def _source_controller(self, b: Binaries) -> _Spec:
        p = self.ports
        return _Spec("source-controller", [
            str(b["source-controller"]), f"--storage-path={self.run_dir / 'artifacts'}",
            f"--storage-addr=127.0.0.1:{p['source_storage']}",
            # Artifact URLs in GitRepository status are built from this: kustomize-controller
            # downloads from 127.0.0.1, never from the Service's ClusterIP.
            f"--storage-adv-addr=127.0.0.1:{p['source_storage']}",
            self._events_url(), f"--metrics-addr=127.0.0.1:{p['source_metrics']}",
            f"--health-addr=127.0.0.1:{p['source_health']}", "--log-level=info", REQUEUE_DEPENDENCY,
        ], self._flux_env(), self._flux_probes("source_health"))

    def _kustomize_controller(self, b: Binaries) -> _Spec:
        p = self.ports
        return _Spec("kustomize-controller", [
            str(b["kustomize-controller"]), self._events_url(),
            f"--metrics-addr=127.0.0.1:{p['kustomize_metrics']}",
            f"--health-addr=127.0.0.1:{p['kustomize_health']}", "--log-level=info", REQUEUE_DEPENDENCY,
        ], self._flux_env(), self._flux_probes("kustomize_health"))

    def _notification_controller(self, b: Binaries) -> _Spec:
        p = self.ports
        return _Spec("notification-controller", [
            str(b["notification-controller"]),
            f"--events-addr=127.0.0.1:{p['notification_events']}",  # here: the bind address
            f"--receiverAddr=127.0.0.1:{p['notification_receiver']}",  # sic: camelCase flag
            f"--metrics-addr=127.0.0.1:{p['notification_metrics']}",
            f"--health-addr=127.0.0.1:{p['notification_health']}",
        ], self._flux_env(), self._flux_probes("notification_health"))

    def _helm_controller(self, b: Binaries) -> _Spec:
        """Takes over hand-installed Helm releases (issue 13). It downloads chart artifacts from the
        URL in a HelmChart's status, which source-controller builds from --storage-adv-addr: 127.0.0.1."""
        p = self.ports
        return _Spec("helm-controller", [
            str(b["helm-controller"]), self._events_url(),
            f"--metrics-addr=127.0.0.1:{p['helm_metrics']}",
            f"--health-addr=127.0.0.1:{p['helm_health']}", "--log-level=info", REQUEUE_DEPENDENCY,
        ], self._flux_env(), self._flux_probes("helm_health"))

    def _sealed_secrets(self, b: Binaries) -> _Spec:
        """The controller only supports in-cluster config (rest.InClusterConfig()).

        It needs KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount/
        {token,ca.crt}. Rather than writing into the host's /run, it runs in a private mount
        namespace (``unshare -m``, we are root) where a directory of the run dir is bind-mounted
        over /run: only this process sees the files, and nothing is left on the host even after
        a SIGKILL. (/var/run is a symlink to /run on Debian.)
        """
        fake_run = self.run_dir / "sealed-secrets-run"
        sa = fake_run / SA_DIR
        sa.mkdir(mode=0o700, parents=True, exist_ok=True)
        (sa / "token").write_text(self.token)
        shutil.copy(self.creds.ca_crt, sa / "ca.crt")
        (sa / "namespace").write_text(SEALED_SECRETS_NAMESPACE)
        mount_point = os.path.realpath("/var/run")
        p = self.ports
        env = self._component_env(KUBERNETES_SERVICE_HOST="127.0.0.1",
                                  KUBERNETES_SERVICE_PORT=str(p["apiserver"]),
                                  POD_NAMESPACE=SEALED_SECRETS_NAMESPACE)
        return _Spec("sealed-secrets-controller", [
            str(self.bins.unshare), "--mount", "--propagation=private", "sh", "-c",
            'mount --bind "$1" "$2" && shift 2 && exec "$@"', "testbed-mount", str(fake_run), mount_point,
            str(b["sealed-secrets-controller"]),
            f"--listen-addr=127.0.0.1:{p['sealed_secrets']}",
            f"--listen-metrics-addr=127.0.0.1:{p['sealed_secrets_metrics']}",
        ], env, [Probe(f"{self.sealed_secrets_url}/healthz"),
                 Probe(f"{self.sealed_secrets_url}/v1/cert.pem", expect=b"BEGIN CERTIFICATE")])

    # ---- services for tests --------------------------------------------------------------
    def create_git_repo(self, name: str) -> str:
        """Create an empty bare repo (default branch main, pushes allowed) and return its URL."""
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"testbed: bad repo name {name!r}")
        repo = self.git_root / f"{name}.git"
        if repo.exists():
            raise TestbedError(f"testbed: git repo {name!r} already exists at {repo}")
        git = str(self.bins.git)
        subprocess.run([git, "init", "--quiet", "--bare", "--initial-branch=main", str(repo)], check=True)
        subprocess.run([git, "-C", str(repo), "config", "http.receivepack", "true"], check=True)
        return f"{self.git_url}/{name}.git"

    def sealed_secrets_cert(self) -> bytes:
        return http_get(f"{self.sealed_secrets_url}/v1/cert.pem")

    @property
    def sealed_secrets_cert_path(self) -> Path:
        """PEM of the running controller's sealing certificate, fetched over 127.0.0.1."""
        path = self.run_dir / "sealed-secrets-cert.pem"
        path.write_bytes(self.sealed_secrets_cert())
        return path

    def health(self) -> list[str]:
        """Problems with the running testbed (empty when healthy): dead processes with log tails."""
        procs = self.procs or self._pidfile.procs()
        if not procs:
            return ["testbed: no processes recorded (not started?)"]
        problems = []
        for p in procs:
            if not p.alive():
                code = p.exit_code()
                problems.append(str(_failure(p.name, "is not running" + (f" (exit code {code})" if code is not None else ""), p.log)))
        return problems

    def assert_healthy(self) -> None:
        problems = self.health()
        if problems:
            raise ComponentFailed("\n\n".join(problems))

    def stop(self, *, quiet: bool = False) -> None:
        """Kill every process group we (or the recorded run) started; verify nothing is left.

        Works from another process too (``make testbed-down``): without live Popen objects it
        uses pids.json. SIGINT is ignored while killing so a second Ctrl-C cannot strand a process.
        """
        procs = self.procs or self._pidfile.procs()
        if not self._pidfile.path.exists() and not self.procs:
            return
        old = None
        try:
            import threading

            if threading.current_thread() is threading.main_thread():
                old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:
            old = None
        try:
            report: list[str] = []
            t0 = time.monotonic()
            survivors = _kill_tiered(procs, report)
            self.teardown_seconds = round(time.monotonic() - t0, 1)
            try:
                with open(self.logs_dir / "teardown.log", "a") as fh:
                    fh.write(f"teardown in {self.teardown_seconds}s:\n  " + "\n  ".join(report) + "\n")
            except OSError:
                pass
            ports = self._pidfile.read().get("ports") or self.ports
            listening = [portmod.describe(k, p) for k, p in ports.items() if k in portmod.LAYOUT and port_listening(p)]
            self._pidfile.path.unlink(missing_ok=True)
            self.procs = []
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)
        if survivors or listening:
            msg = "testbed: teardown left " + "; ".join(
                ([f"processes {survivors}"] if survivors else []) + ([f"listening ports {listening}"] if listening else []))
            if quiet:
                print(msg, file=sys.stderr)
            else:
                raise TestbedError(msg)

    @classmethod
    def from_run_dir(cls, run_dir: Path | None = None) -> "Testbed":
        """A handle on a testbed started by another process (reads pids.json)."""
        tb = cls(run_dir)
        info = tb._pidfile.read()
        if info.get("ports"):
            tb.ports = info["ports"]
        tok = tb.run_dir / "pki" / "tokens.csv"
        if tok.exists():
            tb.token = tok.read_text().split(",", 1)[0]
        return tb

    def __enter__(self) -> "Testbed":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
