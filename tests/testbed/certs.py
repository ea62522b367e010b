"""Credentials for the testbed's apiserver, made with the openssl CLI (no Python crypto dependency).

- a self-signed CA and a serving certificate for 127.0.0.1/localhost signed by it;
- an RSA key that signs and verifies service-account tokens;
- a random static bearer token for the single admin user (group system:masters).

EC P-256 keys keep generation instant (RSA 2048 takes ~0.1-1 s each on a busy 2-core box);
the service-account key stays RSA because kube-apiserver's default signing algorithm is RS256.
"""
from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Credentials:
    ca_crt: Path
    ca_key: Path
    server_crt: Path
    server_key: Path
    sa_key: Path
    token: str
    token_file: Path


def _openssl(openssl: Path, *args: str, cwd: Path) -> None:
    r = subprocess.run([str(openssl), *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"testbed: openssl {' '.join(args[:2])} failed:\n{r.stderr.strip()}")


def make_credentials(pki: Path, openssl: Path) -> Credentials:
    """Write everything into ``pki`` (mode 0700) and return the paths."""
    pki.mkdir(mode=0o700, parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(openssl, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "30",
             "-subj", "/CN=homelab-wizard-testbed-ca", cwd=pki)
    _openssl(openssl, "req", *ec, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=kube-apiserver", cwd=pki)
    (pki / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
    )
    _openssl(openssl, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.crt", "-days", "30", "-extfile", "server.ext", cwd=pki)
    _openssl(openssl, "genrsa", "-out", "sa.key", "2048", cwd=pki)
    token = secrets.token_hex(24)
    token_file = pki / "tokens.csv"
    # Static token file format: token,user,uid,"group1,group2"
    token_file.write_text(f'{token},admin,admin,"system:masters"\n')
    for p in pki.iterdir():
        p.chmod(0o600)
    return Credentials(
        ca_crt=pki / "ca.crt", ca_key=pki / "ca.key", server_crt=pki / "server.crt",
        server_key=pki / "server.key", sa_key=pki / "sa.key", token=token, token_file=token_file,
    )


def write_kubeconfig(path: Path, server: str, ca_crt: Path, token: str, context: str) -> None:
    """A kubeconfig with the CA and the bearer token; every component and test uses this one."""
    import yaml

    cfg = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": {"server": server, "certificate-authority": str(ca_crt)}}],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": "admin"}}],
        "current-context": context,
        "preferences": {},
    }
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    path.chmod(0o600)
