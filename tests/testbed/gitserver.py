"""A git smart-HTTP server on 127.0.0.1: Debian's git-http-backend behind a tiny CGI bridge.

Run as its own process by the testbed (``python gitserver.py --root DIR --port N``), so it is
started, logged, health-checked and killed like every other component. It serves every bare
repository under ``--root`` at ``http://127.0.0.1:N/<name>.git``, for clones/fetches (Flux's
source-controller) and pushes (``flux bootstrap`` and the tests; each repo sets
``http.receivepack true``, since git-http-backend refuses anonymous pushes otherwise).
Authorization headers are ignored: any username/password works.

Stdlib only and import-free from the rest of the package on purpose: it runs as a plain script.
``/_health`` answers 200 for the readiness check.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BACKEND = "/usr/lib/git-core/git-http-backend"


class GitHandler(BaseHTTPRequestHandler):
    server_version = "testbed-git/1"
    root = ""
    backend = BACKEND

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        if self.path == "/_health":
            self._reply(200, [("Content-Type", "text/plain")], b"ok\n")
            return
        self._cgi()

    def do_POST(self) -> None:  # noqa: N802
        self._cgi()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            # The git CLI streams large pushes chunked; CGI wants a length, so de-chunk first.
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # CRLF after each chunk
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _cgi(self) -> None:
        path, _, query = self.path.partition("?")
        body = self._read_body() if self.command == "POST" else b""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": self.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str(self.server.server_address[1]),
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_USER": "git",  # anonymous access; git-http-backend logs pushes under this name
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
        }
        for header in ("Content-Encoding", "Git-Protocol"):
            if header in self.headers:
                env["HTTP_" + header.upper().replace("-", "_")] = self.headers[header]
        r = subprocess.run([self.backend], input=body, env=env, capture_output=True)
        if r.stderr:
            sys.stderr.write(r.stderr.decode(errors="replace"))
        head, sep, payload = r.stdout.partition(b"\r\n\r\n")
        if not sep:
            head, sep, payload = r.stdout.partition(b"\n\n")
        if not sep:
            self._reply(502, [("Content-Type", "text/plain")], b"git-http-backend gave no CGI headers\n")
            return
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.strip().split()[0])
            elif k:
                headers.append((k, v.strip()))
        self._reply(status, headers, payload)

    def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("content-length", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt: str, *args) -> None:
        sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))
        sys.stderr.flush()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True, help="directory holding the bare repositories")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--backend", default=BACKEND)
    a = ap.parse_args(argv)
    GitHandler.root = os.path.abspath(a.root)
    GitHandler.backend = a.backend
    # HTTP/1.1 keep-alive: go-git and git reuse the connection between the ref advertisement and
    # the pack request; every reply carries Content-Length, so that is safe.
    GitHandler.protocol_version = "HTTP/1.1"
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), GitHandler)
    srv.daemon_threads = True
    print(f"git http server on http://127.0.0.1:{a.port}/ serving {GitHandler.root}", file=sys.stderr, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
