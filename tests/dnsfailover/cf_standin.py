"""A stand-in for the parts of Cloudflare's API v4 that dns-failover uses, for tests and the demo.

Follows the documented shapes: the envelope {success, errors: [{code, message}], messages,
result, result_info: {page, per_page, count, total_count, total_pages}}; `GET /zones?name=`;
`GET/POST /zones/{zone_id}/dns_records` (filters `name`, `name.exact`, `type`, `page`,
`per_page`); `PUT/DELETE /zones/{zone_id}/dns_records/{id}`; Bearer-token auth; 429 with
`Retry-After`. Cloudflare itself cannot be reached from the test machine.

Run as a script (the demo does): `python cf_standin.py --zone example.com --token T
[--records FILE.json]` prints `port=N` once it listens on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/client/v4"


@dataclass
class CloudflareState:
    token: str
    zones: dict[str, str] = field(default_factory=dict)  # zone id -> name
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # record id -> record
    inject: list[tuple[int, float | None]] = field(default_factory=list)  # (status, retry-after)
    log: list[tuple[str, str]] = field(default_factory=list)  # (method, path?query)
    max_per_page: int = 100
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_zone(self, name: str) -> str:
        zid = secrets.token_hex(16)
        self.zones[zid] = name
        return zid

    def add_record(
        self,
        zone_id: str,
        name: str,
        rtype: str,
        content: str,
        ttl: int = 300,
        comment: str | None = None,
    ) -> dict[str, Any]:
        rid = secrets.token_hex(16)
        rec = {
            "id": rid,
            "zone_id": zone_id,
            "zone_name": self.zones[zone_id],
            "name": name,
            "type": rtype,
            "content": content,
            "proxiable": True,
            "proxied": False,
            "ttl": ttl,
            "comment": comment,
            "tags": [],
            "settings": {},
            "meta": {},
            "created_on": "2026-11-24T00:00:00.000000Z",
            "modified_on": "2026-11-24T00:00:00.000000Z",
        }
        self.records[rid] = rec
        return rec

    def contents(self, name: str, rtype: str = "A") -> list[str]:
        return sorted(
            r["content"] for r in self.records.values() if r["name"] == name and r["type"] == rtype
        )


def _envelope(result: Any, info: dict[str, int] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if info is not None:
        out["result_info"] = info
    return out


def _error(code: int, message: str) -> dict[str, Any]:
    return {
        "success": False,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": None,
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def _send(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        n = int(self.headers.get("Content-Length") or 0)
        try:
            data = json.loads(self.rfile.read(n) or b"{}")
        except json.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}

    def _handle(self, method: str) -> None:
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        with st.lock:
            st.log.append((method, self.path))
            injected = st.inject.pop(0) if st.inject else None
        if injected is not None:
            status, retry_after = injected
            headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
            if status == 429:
                body = _error(971, "Please wait and consider throttling your request speed")
            else:
                body = _error(10000 + status, "Internal Server Error")
            return self._send(status, body, headers)
        if self.headers.get("Authorization") != f"Bearer {st.token}":
            return self._send(403, _error(9109, "Invalid access token"))
        if not url.path.startswith(PREFIX):
            return self._send(404, _error(7003, "Could not route to the requested path"))
        parts = url.path[len(PREFIX) :].strip("/").split("/")
        query = dict(urllib.parse.parse_qsl(url.query))
        with st.lock:
            if parts == ["zones"] and method == "GET":
                zones = [
                    {"id": zid, "name": name, "status": "active", "paused": False, "type": "full"}
                    for zid, name in st.zones.items()
                    if "name" not in query or query["name"] == name
                ]
                return self._send(200, _envelope(zones, _info(1, 20, len(zones), len(zones))))
            if len(parts) >= 3 and parts[0] == "zones" and parts[2] == "dns_records":
                zid = parts[1]
                if zid not in st.zones:
                    return self._send(404, _error(7003, "Could not route to /zones/" + zid))
                if len(parts) == 3 and method == "GET":
                    return self._list(zid, query)
                if len(parts) == 3 and method == "POST":
                    return self._create(zid, self._body())
                if len(parts) == 4 and method in ("DELETE", "PUT", "PATCH"):
                    rec = st.records.get(parts[3])
                    if rec is None or rec["zone_id"] != zid:
                        return self._send(404, _error(81044, "Record does not exist."))
                    if method == "DELETE":
                        del st.records[parts[3]]
                        return self._send(200, _envelope({"id": parts[3]}))
                    body = self._body()
                    if method == "PUT":
                        for k in ("name", "type", "content", "ttl", "proxied", "comment"):
                            rec[k] = body.get(k, None if k == "comment" else rec[k])
                    else:
                        rec.update({k: v for k, v in body.items() if k in rec})
                    return self._send(200, _envelope(rec))
        return self._send(405, _error(10405, f"Method {method} not allowed for this path"))

    def _list(self, zid: str, query: dict[str, str]) -> None:
        st = self.server.state
        try:
            page = int(float(query.get("page", "1")))
            per_page = int(float(query.get("per_page", "100")))
        except ValueError:
            return self._send(400, _error(1004, "DNS Validation Error"))
        if page < 1 or not 5 <= per_page <= st.max_per_page:
            return self._send(400, _error(1004, "per_page must be between 5 and 5000000"))
        name = query.get("name.exact", query.get("name"))
        rows = [
            r
            for r in st.records.values()
            if r["zone_id"] == zid
            and (name is None or r["name"] == name)
            and ("type" not in query or r["type"] == query["type"])
        ]
        rows.sort(key=lambda r: (r["type"], r["name"], r["content"]))
        total = len(rows)
        chunk = rows[(page - 1) * per_page : page * per_page]
        return self._send(200, _envelope(chunk, _info(page, per_page, len(chunk), total)))

    def _create(self, zid: str, body: dict[str, Any]) -> None:
        st = self.server.state
        for k in ("name", "type", "content"):
            if not isinstance(body.get(k), str):
                return self._send(400, _error(9005, f"Content for {k} is required"))
        ttl = body.get("ttl", 1)
        if not isinstance(ttl, int) or not (ttl == 1 or 60 <= ttl <= 86400):
            return self._send(400, _error(9009, "TTL must be between 60 and 86400 seconds, or 1"))
        zone = st.zones[zid]
        if body["name"] != zone and not body["name"].endswith("." + zone):
            return self._send(400, _error(9007, "Record name is not in the zone"))
        for r in st.records.values():
            if (r["zone_id"], r["name"], r["type"], r["content"]) == (
                zid,
                body["name"],
                body["type"],
                body["content"],
            ):
                return self._send(400, _error(81058, "An identical record already exists."))
        rec = st.add_record(
            zid, body["name"], body["type"], body["content"], ttl, body.get("comment")
        )
        return self._send(200, _envelope(rec))

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


def _info(page: int, per_page: int, count: int, total: int) -> dict[str, int]:
    pages = max(1, -(-total // per_page))
    return {
        "page": page,
        "per_page": per_page,
        "count": count,
        "total_count": total,
        "total_pages": pages,
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: CloudflareState


def serve(state: CloudflareState, port: int = 0) -> tuple[_Server, str]:
    """Start the stand-in on 127.0.0.1 in a thread; returns (server, base URL)."""
    srv = _Server(("127.0.0.1", port), _Handler)
    srv.state = state
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}{PREFIX}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--zone", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--records", help="JSON list of {name, type, content, ttl, comment}")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    state = CloudflareState(token=args.token)
    zid = state.add_zone(args.zone)
    if args.records:
        with open(args.records, encoding="utf-8") as fh:
            for r in json.load(fh):
                state.add_record(
                    zid,
                    r["name"],
                    r.get("type", "A"),
                    r["content"],
                    r.get("ttl", 300),
                    r.get("comment"),
                )
    srv, _base = serve(state, args.port)
    print(f"port={srv.server_address[1]}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        srv.shutdown()
    sys.exit(0)


if __name__ == "__main__":
    main()
