#!/usr/bin/env bash
# Builds the watcloud OCI image from Debian packages and PyPI wheels only: no registry base image.
#
#   deploy/image/build.sh [--tag watcloud:dev] [--out DIR] [--storage-driver vfs] [--storage-root DIR]
#
# 1. wheels: the project and every dependency as wheels (pip wheel, on this machine: PyPI).
# 2. rootfs: Debian bookworm "minbase" with python3 and python3-venv (mmdebstrap, Debian's
#    mirror); inside it a venv at /opt/watcloud with the wheels installed offline
#    (--no-index), a non-root user `watcloud` (uid 10001), and no apt lists or caches.
# 3. image: `buildah from scratch`, the rootfs added as one layer, user, entrypoint `watcloud`,
#    committed to local container storage under the tag, and also written as an OCI archive
#    (DIR/watcloud-image.tar) that `podman load` or a registry push can take.
# Prints one line `image TAG: SIZE bytes, built in SECONDS s` at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=watcloud:dev
out=build/image
driver=${STORAGE_DRIVER:-vfs}
storage_root=
suite=${DEBIAN_SUITE:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
python=${PYTHON:-python3}
while (($#)); do
  case $1 in
    --tag) tag=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --storage-driver) driver=$2; shift 2 ;;
    --storage-root) storage_root=$2; shift 2 ;;  # private container storage (tests)
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in mmdebstrap buildah; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool not found (Debian package $tool)" >&2; exit 2; }
done
start=$(date +%s)
rm -rf "$out" && mkdir -p "$out/wheels"
out=$(cd "$out" && pwd)

# 1. wheels. Binary wheels for cp311/manylinux fit Debian bookworm's python3 (3.11, glibc 2.36).
"$python" -m pip wheel -q --disable-pip-version-check --wheel-dir "$out/wheels" . 2>&1 \
  | { grep -v "^WARNING: Location" || true; } >&2

# 2. rootfs, as a tarball; the hooks run on the host with $1 = the root directory.
mmdebstrap --variant=minbase --mode=root --quiet \
  --include=python3,python3-venv,ca-certificates,tzdata \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --customize-hook='mkdir -p "$1/tmp/wheels"' \
  --customize-hook="copy-in $out/wheels /tmp" \
  --customize-hook='chroot "$1" python3 -m venv /opt/watcloud' \
  --customize-hook='chroot "$1" /opt/watcloud/bin/pip install -q --no-index --no-cache-dir --disable-pip-version-check --find-links /tmp/wheels watcloud' \
  --customize-hook='chroot "$1" /opt/watcloud/bin/pip uninstall -q -y pip setuptools' \
  --customize-hook='chroot "$1" useradd --uid 10001 --user-group --create-home --home-dir /home/watcloud --shell /usr/sbin/nologin watcloud' \
  --customize-hook='ln -s /opt/watcloud/bin/watcloud "$1/usr/local/bin/watcloud"' \
  --customize-hook='rm -rf "$1/tmp/wheels" "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*.log' \
  --customize-hook='find "$1/opt/watcloud" -name __pycache__ -prune -exec rm -rf {} +' \
  --customize-hook='chroot "$1" /opt/watcloud/bin/python -m compileall -q -j 1 -x "/cloudflare/types/" /opt/watcloud/lib' \
  "$suite" "$out/rootfs.tar" "$mirror"

# 3. image.
b=(buildah --storage-driver "$driver")
[[ -n $storage_root ]] && b+=(--root "$storage_root" --runroot "$storage_root/run")
ctr=$("${b[@]}" from scratch)
trap '"${b[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
"${b[@]}" add "$ctr" "$out/rootfs.tar" /
"${b[@]}" config \
  --user 10001:10001 --workingdir /home/watcloud \
  --env PATH=/opt/watcloud/bin:/usr/local/bin:/usr/bin:/bin \
  --env HOME=/home/watcloud --env LANG=C.UTF-8 --env TZ=America/Toronto \
  --env PYTHONDONTWRITEBYTECODE=1 \
  --entrypoint '["/opt/watcloud/bin/watcloud"]' --cmd '["--help"]' \
  --label org.opencontainers.image.title=watcloud \
  --label "org.opencontainers.image.version=$("$python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')" \
  --label org.opencontainers.image.source=https://github.com/WATonomous/watcloud-tools \
  "$ctr"
"${b[@]}" commit -q --rm "$ctr" "$tag" >/dev/null
trap - EXIT
rm -f "$out/watcloud-image.tar"
"${b[@]}" push -q "$tag" "oci-archive:$out/watcloud-image.tar:$tag" >/dev/null
rm -f "$out/rootfs.tar"
size=$("${b[@]}" images --format "{{.Size}}" "$tag")
echo "image $tag: $size unpacked, $(stat -c %s "$out/watcloud-image.tar") bytes as an OCI archive ($out/watcloud-image.tar), built in $(( $(date +%s) - start )) s"
