"""The testbed's loopback ports: one fixed, named port per listener, all on 127.0.0.1.

Every listener gets an explicit port because the upstream defaults collide (every Flux
controller wants :8080 and :9440; source-controller's storage and notification-controller's
event server both want :9090; sealed-secrets wants :8080/:8081) and because ``:port`` would bind
all interfaces. Ports are ``base + offset``; the base is $TESTBED_PORT_BASE or 17300, below the
Linux ephemeral range (32768+) so an outgoing connection never happens to hold one.
"""
from __future__ import annotations

import os

from .procs import port_in_use

DEFAULT_PORT_BASE = 17300

# key -> (offset, component, what the port is for)
LAYOUT: dict[str, tuple[int, str, str]] = {
    "etcd_client": (0, "etcd", "client URL"),
    "etcd_peer": (1, "etcd", "peer URL"),
    "apiserver": (2, "kube-apiserver", "secure port"),
    "controller_manager": (3, "kube-controller-manager", "secure port (/healthz)"),
    "scheduler": (4, "kube-scheduler", "secure port (/healthz)"),
    "kwok": (5, "kwok", "server (/healthz)"),
    "git": (6, "git-server", "http"),
    "source_storage": (7, "source-controller", "artifact storage (--storage-addr)"),
    "source_metrics": (8, "source-controller", "metrics"),
    "source_health": (9, "source-controller", "health probes"),
    "kustomize_metrics": (10, "kustomize-controller", "metrics"),
    "kustomize_health": (11, "kustomize-controller", "health probes"),
    "notification_events": (12, "notification-controller", "event receiver (--events-addr)"),
    "notification_receiver": (13, "notification-controller", "webhook receiver (--receiverAddr)"),
    "notification_metrics": (14, "notification-controller", "metrics"),
    "notification_health": (15, "notification-controller", "health probes"),
    "sealed_secrets": (16, "sealed-secrets-controller", "http (--listen-addr)"),
    "sealed_secrets_metrics": (17, "sealed-secrets-controller", "metrics (--listen-metrics-addr)"),
    # Nothing listens here on purpose: it is every process's HTTP(S)_PROXY, so any HTTP request
    # to a non-loopback host (e.g. the flux CLI's GitHub version check) fails at once on
    # 127.0.0.1 instead of leaving the machine. Loopback itself is exempt via NO_PROXY.
    "proxy_guard": (18, "loopback-guard", "closed port used as HTTP(S)_PROXY"),
    "helm_metrics": (19, "helm-controller", "metrics"),
    "helm_health": (20, "helm-controller", "health probes"),
}


class PortInUse(RuntimeError):
    """A port the testbed needs is taken; the message names the port and the component."""


def default_base() -> int:
    return int(os.environ.get("TESTBED_PORT_BASE") or DEFAULT_PORT_BASE)


def allocate(base: int | None = None, overrides: dict[str, int] | None = None) -> dict[str, int]:
    base = default_base() if base is None else base
    ports = {key: base + off for key, (off, _, _) in LAYOUT.items()}
    ports.update(overrides or {})
    if len(set(ports.values())) != len(ports):
        raise ValueError(f"testbed: two listeners share a port: {ports}")
    return ports


def find_free_base(lo: int = 20000, hi: int = 30000, tries: int = 50) -> int:
    """A random base in [lo, hi) whose whole range is free now (for tests that start their own
    testbed next to others, e.g. concurrent sessions of other engineers on the same machine).

    Under pytest-xdist each worker draws from its own slice of [lo, hi), so two workers never pick
    overlapping ranges between one's check and its servers' bind."""
    import os
    import random

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
    if worker.startswith("gw") and worker[2:].isdigit() and count > 1:
        size = (hi - lo) // count
        lo = lo + int(worker[2:]) * size
        hi = lo + size

    span = max(off for off, _, _ in LAYOUT.values()) + 1
    for _ in range(tries):
        base = random.randrange(lo, hi - span)
        if not any(port_in_use(base + i) for i in range(span)):
            return base
    raise PortInUse(f"testbed: no free range of {span} ports found in {lo}-{hi}")


def describe(key: str, port: int) -> str:
    _, comp, what = LAYOUT[key]
    return f"127.0.0.1:{port} ({comp} {what})"


def check_free(ports: dict[str, int]) -> None:
    """Fail before starting anything if any port is taken, naming each one and its component."""
    busy = [describe(k, p) for k, p in ports.items() if port_in_use(p)]
    if busy:
        raise PortInUse(
            "testbed: port(s) already in use: " + "; ".join(busy) + ". "
            "Stop what holds them (see `ss -ltnp`; an earlier testbed stops with `make testbed-down`), "
            "or move the whole testbed with TESTBED_PORT_BASE=<another base>."
        )
