"""A Docker Engine API stand-in (`GET /_ping`, `GET /version`) on a unix socket, run as a
process: what a fake `slurm-start-dockerd.sh` launches in the `daemon start` tests.

    python docker_standin.py SOCKET PIDFILE
"""

from __future__ import annotations

import json
import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler
from typing import Any


def make_handler(
    ping_body: bytes = b"OK", requests: list[str] | None = None
) -> type[BaseHTTPRequestHandler]:
    """A handler answering like dockerd; `requests` collects the paths asked for."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if requests is not None:
                requests.append(self.path)
            if self.path == "/_ping":
                body = ping_body
            elif self.path == "/version":
                info = {"Version": "28.2.2", "ApiVersion": "1.50", "Os": "linux"}
                body = json.dumps(info).encode()
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Api-Version", "1.50")
            self.end_headers()
            self.wfile.write(body)

        def address_string(self) -> str:
            return "unix"

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main() -> None:
    path, pidfile = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.unlink(path)  # a stale socket from an earlier daemon, as dockerd does
    server = Server(path, make_handler())
    with open(pidfile, "w") as fh:
        fh.write(str(os.getpid()))
    server.serve_forever(0.05)


if __name__ == "__main__":
    main()
