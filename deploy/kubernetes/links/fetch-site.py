"""Fetch the exported website (a .tar.gz of Next.js `out/`) for the external link check.

    python fetch-site.py URL DEST

Runs as the CronJob's init container (stdlib only, the image's Python: Debian's 3.11.2, whose
tarfile has no extraction filters). Only regular files and directories whose paths stay inside
DEST are extracted; an archive with anything else (an absolute path, `..`, a link, a device)
is refused as a whole. Exit 2 with one line on standard error when the download or the
archive is bad.
"""

import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path


def checked(members: list[tarfile.TarInfo], dest: Path) -> list[tarfile.TarInfo]:
    root = dest.resolve()
    for m in members:
        if not (m.isfile() or m.isdir()):
            raise ValueError(f"{m.name}: not a regular file or directory, archive refused")
        target = (root / m.name).resolve()
        if m.name.startswith("/") or (target != root and root not in target.parents):
            raise ValueError(f"{m.name}: outside the destination, archive refused")
        m.mode = 0o755 if m.isdir() else 0o644
        m.uid = m.gid = 0
        m.uname = m.gname = ""
    return members


def main(url: str, dest: Path) -> None:
    with tempfile.TemporaryFile() as tmp:
        with urllib.request.urlopen(url, timeout=60) as response:
            shutil.copyfileobj(response, tmp)
        tmp.seek(0)
        with tarfile.open(fileobj=tmp, mode="r:*") as archive:
            members = checked(archive.getmembers(), dest)
            archive.extractall(dest, members=members)
    pages = sum(1 for _ in dest.rglob("*.html"))
    if not pages:
        raise ValueError("the archive holds no .html page")
    print(f"fetch-site: {pages} page(s) from {url} in {dest}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: fetch-site.py URL DEST")
    try:
        main(sys.argv[1], Path(sys.argv[2]))
    except (OSError, ValueError, tarfile.TarError) as exc:
        print(f"fetch-site: {sys.argv[1]}: {exc}", file=sys.stderr)
        sys.exit(2)
