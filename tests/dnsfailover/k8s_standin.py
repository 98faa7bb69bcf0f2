"""A stand-in for the Kubernetes API's Lease endpoints (coordination.k8s.io/v1), for tests.

Follows the API's documented behaviour: GET/POST/PUT on
`/apis/coordination.k8s.io/v1/namespaces/{ns}/leases[/{name}]`; every write bumps
`metadata.resourceVersion`; a PUT whose resourceVersion is not the current one gets 409
Conflict, a POST of an existing name 409 AlreadyExists, a missing Lease 404, each as a `Status`
object; a Bearer token is required.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/apis/coordination.k8s.io/v1/namespaces/"


@dataclass
class KubeState:
    token: str
    leases: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    version: int = 100
    writes: list[tuple[str, str]] = field(default_factory=list)  # (method, holderIdentity)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self) -> tuple[str, str | None] | None:
        if not self.path.startswith(PREFIX):
            return None
        parts = self.path[len(PREFIX) :].split("?")[0].strip("/").split("/")
        if len(parts) == 2 and parts[1] == "leases":
            return parts[0], None
        if len(parts) == 3 and parts[1] == "leases":
            return parts[0], parts[2]
        return None

    def _handle(self, method: str) -> None:
        st = self.server.state
        if self.headers.get("Authorization") != f"Bearer {st.token}":
            return self._send(401, _status(401, "Unauthorized", "Unauthorized"))
        route = self._route()
        if route is None:
            return self._send(404, _status(404, "NotFound", "the server could not find it"))
        ns, name = route
        body: dict[str, Any] = {}
        if method in ("POST", "PUT"):
            n = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(n) or b"{}")
        with st.lock:
            if method == "GET" and name is not None:
                lease = st.leases.get((ns, name))
                if lease is None:
                    return self._send(
                        404,
                        _status(404, "NotFound", f'leases.coordination.k8s.io "{name}" not found'),
                    )
                return self._send(200, lease)
            if method == "POST" and name is None:
                name = body.get("metadata", {}).get("name", "")
                if (ns, name) in st.leases:
                    return self._send(
                        409,
                        _status(
                            409,
                            "AlreadyExists",
                            f'leases.coordination.k8s.io "{name}" already exists',
                        ),
                    )
                st.version += 1
                body["metadata"] = {
                    "name": name,
                    "namespace": ns,
                    "resourceVersion": str(st.version),
                }
                st.leases[(ns, name)] = body
                st.writes.append(("POST", body.get("spec", {}).get("holderIdentity") or ""))
                return self._send(201, body)
            if method == "PUT" and name is not None:
                current = st.leases.get((ns, name))
                if current is None:
                    return self._send(404, _status(404, "NotFound", "not found"))
                sent = body.get("metadata", {}).get("resourceVersion")
                if sent != current["metadata"]["resourceVersion"]:
                    return self._send(
                        409,
                        _status(
                            409,
                            "Conflict",
                            "Operation cannot be fulfilled on leases.coordination.k8s.io "
                            f'"{name}": '
                            "the object has been modified; please apply your changes to the latest "
                            "version and try again",
                        ),
                    )
                st.version += 1
                body["metadata"] = {**current["metadata"], "resourceVersion": str(st.version)}
                st.leases[(ns, name)] = body
                st.writes.append(("PUT", body.get("spec", {}).get("holderIdentity") or ""))
                return self._send(200, body)
        return self._send(405, _status(405, "MethodNotAllowed", "method not allowed"))

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: KubeState


def serve(state: KubeState) -> tuple[_Server, str]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.state = state
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}"
