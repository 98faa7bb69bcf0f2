"""The OCI image (`make image`, deploy/image/build.sh): built once per test session from
Debian packages (mmdebstrap) and this checkout's wheels into a private container storage,
then run with `buildah run --isolation chroot` (podman's crun cannot start a container in
this sandbox: hybrid cgroups, no setrlimit; chroot isolation needs neither). Removed at the
end of the session."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_binary, require_root
from tests.deploy.conftest import DEPLOY, ROOT

# the session's image build (2-4 min) runs in the first test's setup
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]


class Image:
    def __init__(self, root: Path, tag: str) -> None:
        self.buildah = [
            "buildah", "--storage-driver", "vfs", "--root", str(root), "--runroot", f"{root}/run",
        ]  # fmt: skip
        self.tag = tag
        self.ctr = ""

    def __call__(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.buildah, *args], capture_output=True, text=True, timeout=timeout
        )

    def run(self, *argv: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        extra = ["--user", user] if user else []
        return self("run", "--isolation", "chroot", *extra, self.ctr, "--", *argv)


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Image]:
    require_root()
    require_binary("mmdebstrap", "buildah")
    work = tmp_path_factory.mktemp("image")
    img = Image(work / "storage", f"localhost/watcloud-test:{os.getpid()}")
    build = subprocess.run(
        [
            "bash",
            str(DEPLOY / "image/build.sh"),
            "--tag",
            img.tag,
            "--out",
            str(work / "out"),
            "--storage-root",
            str(work / "storage"),
        ],
        env={**os.environ, "PYTHON": sys.executable},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if build.returncode != 0:
        pytest.fail(f"image build failed:\n{build.stderr[-3000:]}")
    print(build.stdout.strip().splitlines()[-1])  # size and build time, shown with -s
    created = img("from", "--name", f"watcloud-test-{os.getpid()}", img.tag)
    assert created.returncode == 0, created.stderr
    img.ctr = created.stdout.strip()
    yield img
    img("rm", img.ctr)
    img("rmi", "--all", "--force")
    shutil.rmtree(work, ignore_errors=True)


def test_image_config_entrypoint_and_non_root_user(image: Image) -> None:
    info = json.loads(image("inspect", "--type", "image", image.tag).stdout)
    config = info["OCIv1"]["config"]
    assert config["Entrypoint"] == ["/opt/watcloud/bin/watcloud"]
    assert config["User"] == "10001:10001"
    proc = image.run("id", "-u")  # buildah run uses the image's user
    assert proc.stdout.strip() == "10001", proc.stderr


def test_every_tool_help_runs_inside(image: Image) -> None:
    from watcloud.cli import COMMANDS

    proc = image.run("/opt/watcloud/bin/watcloud", "--help")
    assert proc.returncode == 0, proc.stderr
    for name in COMMANDS:
        assert f"  {name} " in proc.stdout
        sub = image.run("/opt/watcloud/bin/watcloud", name, "--help")
        assert sub.returncode == 0 and "Usage: watcloud" in sub.stdout, (name, sub.stderr)


def test_tools_run_inside(image: Image, tmp_path: Path) -> None:
    """`outage check` on the notice the package ships, and `links internal` on a site copied in
    (lxml's compiled module loads on Debian's Python)."""
    proc = image.run(
        "sh", "-c",
        "watcloud outage check "
        "$(python3 -c 'import watcloud.outage, pathlib; "
        "print(pathlib.Path(watcloud.outage.__file__).parent / \"data/sample_notice.html\")') "
        "--posted 2027-05-01 --output json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["relevant"] is True
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text('<a href="/gone.html">x</a>')
    copied = image("copy", "--chown", "10001:10001", image.ctr, str(site), "/tmp/site")
    assert copied.returncode == 0, copied.stderr
    proc = image.run("watcloud", "links", "internal", "/tmp/site")
    assert proc.returncode == 1 and "BROKEN /gone.html" in proc.stdout, proc.stderr


def test_fetch_site_refuses_a_bad_archive_on_the_images_python(
    image: Image, tmp_path: Path
) -> None:
    """The link CronJob's init container on the image's Python (Debian's 3.11.2)."""
    for name, members in (("good", {"index.html": b"<p>"}), ("bad", {"../x.html": b"<p>"})):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for member, data in members.items():
                info = tarfile.TarInfo(member)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        (tmp_path / f"{name}.tar.gz").write_bytes(buf.getvalue())
    script = DEPLOY / "kubernetes/links/fetch-site.py"
    assert image("copy", image.ctr, str(script), "/tmp/fetch-site.py").returncode == 0
    for name in ("good", "bad"):
        assert image("copy", image.ctr, str(tmp_path / f"{name}.tar.gz"), "/tmp/").returncode == 0
    run = ["/opt/watcloud/bin/python", "/tmp/fetch-site.py"]
    good = image.run(*run, "file:///tmp/good.tar.gz", "/tmp/good-site")
    assert good.returncode == 0 and "1 page(s)" in good.stdout, good.stderr
    bad = image.run(*run, "file:///tmp/bad.tar.gz", "/tmp/bad-site")
    assert bad.returncode == 2 and "outside the destination" in bad.stderr
