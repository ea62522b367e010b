"""3.3 bootstrap.controllers: the Flux controllers are Available and their CRDs established."""
from __future__ import annotations

from ...checklist import Item, Verdict
from ...flux.status import (NS, describe_condition, flux_crds, is_true)
from .common import REQUIRED_CONTROLLERS, REQUIRED_CRDS


# -- 3.3 ----------------------------------------------------------------------------------------
class Controllers(Item):

    def verify(self, session) -> Verdict:
        session.ensure_same_cluster()
        k = session.kubectl
        deps = k.run("get", "deployments", "-n", NS, "-l", "app.kubernetes.io/part-of=flux", "-o", "json",
                     "--request-timeout=20s", timeout=40).json().get("items", [])
        crds = flux_crds(k)
        ev: dict = {"deployments": {}, "crds": {}}
        bad = []
        for d in deps:
            name = d["metadata"]["name"]
            avail = is_true(d, "Available")
            ev["deployments"][name] = describe_condition(d, "Available")
            if not avail:
                bad.append(f"Deployment flux-system/{name} is not Available ({describe_condition(d, 'Available')})")
        for name in REQUIRED_CONTROLLERS:
            if name not in ev["deployments"]:
                bad.append(f"Deployment flux-system/{name} is missing")
        for c in crds:
            name = c["metadata"]["name"]
            ev["crds"][name] = is_true(c, "Established")
            if not ev["crds"][name]:
                bad.append(f"CRD {name} is not Established ({describe_condition(c, 'Established')})")
        for name in REQUIRED_CRDS:
            if name not in ev["crds"]:
                bad.append(f"CRD {name} is missing")
        check = session.flux.run("check", ok_codes=tuple(range(256)), timeout=180)
        ev["flux_check"] = {"command": check.command, "exit_code": check.exit_code,
                            "output": (check.shown_stdout + check.stderr)[-3000:]}
        if check.exit_code != 0:
            last = ((check.stderr or check.stdout).strip().splitlines() or ["?"])[-1]
            bad.append(f"'flux check' exited {check.exit_code}: {last}")
        if bad:
            return Verdict("failed", "; ".join(bad), ev)
        return Verdict("passed", f"{len(deps)} controllers Available, {len(crds)} Flux CRDs Established, "
                                 "'flux check' passed", ev)
