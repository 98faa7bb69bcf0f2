"""deploy/kubernetes/links/fetch-site.py, the link-check CronJob's init container: run as a
process against a real HTTP server on loopback."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY

SCRIPT = DEPLOY / "kubernetes" / "links" / "fetch-site.py"


def tarball(members: dict[str, bytes | None], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buf.getvalue()


@pytest.fixture
def server() -> Iterator[tuple[dict[str, bytes], str]]:
    files: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield files, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def fetch(url: str, dest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), url, str(dest)], capture_output=True, text=True, timeout=60
    )


def test_fetches_and_unpacks_the_site(server: tuple[dict[str, bytes], str], tmp_path: Path) -> None:
    files, base = server
    files["/site.tar.gz"] = tarball(
        {"index.html": b"<a href='https://example.org/'>x</a>", "docs": None, "docs/a.html": b"<p>"}
    )
    proc = fetch(f"{base}/site.tar.gz", tmp_path / "site")
    assert proc.returncode == 0, proc.stderr
    assert "2 page(s)" in proc.stdout
    assert (tmp_path / "site/docs/a.html").read_bytes() == b"<p>"


@pytest.mark.parametrize(
    ("members", "links", "message"),
    [
        ({"../evil.html": b"x", "index.html": b"x"}, None, "outside the destination"),
        ({"/etc/evil.html": b"x"}, None, "outside the destination"),
        ({"index.html": b"x"}, {"docs": "/etc"}, "not a regular file or directory"),
        ({"readme.txt": b"x"}, None, "no .html page"),
    ],
)
def test_a_bad_archive_is_refused_whole(
    server: tuple[dict[str, bytes], str],
    tmp_path: Path,
    members: dict[str, bytes | None],
    links: dict[str, str] | None,
    message: str,
) -> None:
    files, base = server
    files["/site.tar.gz"] = tarball(members, links)
    dest = tmp_path / "out" / "site"
    proc = fetch(f"{base}/site.tar.gz", dest)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "evil.html").exists()
    if message != "no .html page":
        assert not dest.exists() or not any(dest.iterdir())  # nothing extracted


def test_a_dead_server_or_missing_file_is_one_line(
    server: tuple[dict[str, bytes], str], tmp_path: Path
) -> None:
    _, base = server
    proc = fetch(f"{base}/missing.tar.gz", tmp_path / "site")
    assert proc.returncode == 2 and "404" in proc.stderr
    proc = fetch("http://127.0.0.1:9/site.tar.gz", tmp_path / "site")
    assert proc.returncode == 2 and "Connection refused" in proc.stderr
